# ESP-NOW on a short leash. Every call into network/espnow is wrapped: an exception becomes a
# counted fault, never an exception in the caller's loop. Nothing here waits on purpose:
#   - receive is irecv(0) (never irecv(-1): micropython#18224, it can hang when memory is low);
#   - send is send(mac, msg, False), which queues the frame and returns (a True there is not
#     delivery anyway: the household acknowledges in its own frames, see node.py).
# Two waits cannot be avoided, and are bounded here (from ports/esp32/modespnow.c):
#   - send() retries for up to 2 s while ESP-NOW's transmit buffers are full, then raises
#     ESP_ERR_ESPNOW_NO_MEM, even with sync=False. So the first failed send takes the radio
#     down at once: at most one such stall per RETRY_MS, never one per frame.
#   - every new sender MAC adds an entry to ESPNow.peers_table (the RSSI table), which Python
#     cannot shrink and a WiFi restart does not clear: frames from many spoofed MACs would eat
#     the heap. Once the table holds more than TABLE_MAX entries the radio stops receiving until
#     the next boot (rx_closed; sending, so relaying this pod's own alarm, goes on).
# A radio that fails to start, or keeps failing, goes to S_FAULT and is restarted (WiFi off and
# on again: the only cure for a leaked transmit-buffer pool, esp-idf#18682) at most once every
# RETRY_MS. It never resets the pod. While it is down the pod runs exactly as with no household.
from micropython import const

_S_OFF = const(0)
S_UP = const(1)
S_FAULT = const(2)
# (their names, for status: pod.link.household.STATE_NAMES)
RETRY_MS = const(60000)
FAIL_RUN = const(8)   # this many failed receives in a row: down, for a restart
TABLE_MAX = const(48)  # senders in ESPNow.peers_table before receiving stops (see above)


def _diff(a, b):
    d = (a - b) & 0x3FFFFFFF  # (not a - b + 2**29: past 2**30, a long int on the ESP32)
    if d >= 0x20000000:
        d -= 0x20000000
        d -= 0x20000000
    return d


class Radio:
    def __init__(self, channel, macs):
        self.channel = channel
        self.macs = macs
        self.state = _S_OFF
        self.starts = 0
        self.faults = 0       # start failures and restarts
        self.rx_errors = 0
        self.tx_errors = 0
        self.tx_ok = 0
        self.rx_run = 0       # failed receive calls in a row
        self.last_error = ""  # the class of the last exception ("OSError"), never its data
        self.rx_closed = False  # the peers table is full of strangers: no more receiving
        self._retry_at = 0
        self._e = None
        self._sta = None

    def _fault(self, ex, now_ms):
        self.faults += 1
        self.last_error = ex.__class__.__name__
        self.state = S_FAULT
        self._retry_at = now_ms + RETRY_MS
        self.stop()

    def stop(self):
        try:
            if self._e is not None:
                self._e.active(False)
        except Exception:  # noqa: BLE001 - stopping a broken radio may fail too
            pass
        try:
            if self._sta is not None:
                self._sta.active(False)
        except Exception:  # noqa: BLE001
            pass
        self._e = None

    def start(self, now_ms):
        """Bring WiFi (station, not connected, no power saving, fixed channel) and ESP-NOW up.
        True if up; on any error the radio is in S_FAULT and start() returns False."""
        self.starts += 1
        try:
            import espnow
            import network
            sta = network.WLAN(network.STA_IF)
            self._sta = sta
            sta.active(True)
            sta.disconnect()  # a soft reset leaves WiFi as it was: set a known state
            sta.config(pm=network.WLAN.PM_NONE, channel=self.channel)
            e = espnow.ESPNow()
            e.active(True)
            self._e = e
            for mac in self.macs:
                try:
                    e.add_peer(mac)
                except OSError as ex:
                    if len(ex.args) < 2 or ex.args[1] != "ESP_ERR_ESPNOW_EXIST":
                        raise
        except Exception as ex:  # noqa: BLE001 - whatever fails, the pod goes on alone
            self._fault(ex, now_ms)
            return False
        self.state = S_UP
        self.rx_run = 0
        return True

    def tick(self, now_ms):
        if self.state == S_FAULT and _diff(now_ms, self._retry_at) >= 0:
            self.start(now_ms)

    def _failed(self, ex, run, now_ms):
        self.last_error = ex.__class__.__name__
        if run >= FAIL_RUN:
            self._fault(ex, now_ms)

    def poll(self, now_ms):
        """(mac, msg) of one received frame, or None. The pair and msg are the radio's own
        buffers (irecv): valid until the next poll."""
        if self.state != S_UP or self.rx_closed:
            return None
        try:
            e = self._e
            if len(e.peers_table) > TABLE_MAX:  # type: ignore[union-attr]
                self.rx_closed = True
                return None
            r = e.irecv(0)  # type: ignore[union-attr]
        except Exception as ex:  # noqa: BLE001
            self.rx_errors += 1
            self.rx_run += 1
            self._failed(ex, self.rx_run, now_ms)
            return None
        self.rx_run = 0
        if r is None or r[0] is None:
            return None
        return r

    def send(self, mac, buf, now_ms):
        """Queue buf for mac. True if the radio took it (not that the peer got it)."""
        if self.state != S_UP:
            return False
        try:
            self._e.send(mac, buf, False)  # type: ignore[union-attr]
        except Exception as ex:  # noqa: BLE001
            self.tx_errors += 1
            self._fault(ex, now_ms)  # it may already have waited 2 s: not again this minute
            return False
        self.tx_ok += 1
        return True
