# Fake `espnow` (MicroPython's ESP-NOW module) for the simulated ESP32, over air.py. Same calls,
# same return values and errors as the docs describe (docs/library/espnow.rst), including the
# pitfalls: send() succeeds when the peer's radio acknowledges, not its application; irecv()
# reuses one [mac, msg] pair; irecv with a timeout blocks the board for that long (irecv(-1)
# forever, as micropython#18224 can on a real board); send() with the transmit buffers full
# retries for 2 s before it raises ESP_ERR_ESPNOW_NO_MEM, sync or not; every new sender MAC
# read by irecv() is added for good to peers_table (ports/esp32/modespnow.c).
try:
    from simulator.hw import air, simstate
except ImportError:
    import air
    import simstate

MAX_DATA_LEN = 250
KEY_LEN = 16
MAX_TOTAL_PEER_NUM = 20
MAX_ENCRYPT_PEER_NUM = 6
SEND_TIMEOUT_MS = 2000  # DEFAULT_SEND_TIMEOUT_MS in modespnow.c


def _err(name):
    return OSError(-1, name)


class ESPNow:
    def __init__(self):
        self._st = air.current_station()
        self._pair = [None, None]
        self._none = (None, None)
        self._timeout = 300000
        self.peers_table = self._st.peers_table

    def active(self, flag=None):
        st = self._st
        if flag is None:
            return st.espnow_active
        if flag:
            if not st.wlan_active:
                raise _err("ESP_ERR_ESPNOW_IF")
            if st.fail_start:
                raise _err("ESP_ERR_ESPNOW_INTERNAL")
            st.espnow_active = True
        else:
            st.espnow_active = False
            st.peers = []
            st.n = 0
        return flag

    def config(self, *args, **kw):
        if "timeout_ms" in kw:
            self._timeout = kw["timeout_ms"]
        return None

    def add_peer(self, mac, *args, **kw):
        st = self._st
        if not st.espnow_active:
            raise _err("ESP_ERR_ESPNOW_NOT_INIT")
        if len(mac) != 6:
            raise ValueError("invalid peer MAC address")
        mac = bytes(mac)
        if mac in st.peers:
            raise _err("ESP_ERR_ESPNOW_EXIST")
        if len(st.peers) >= MAX_TOTAL_PEER_NUM:
            raise _err("ESP_ERR_ESPNOW_FULL")
        st.peers.append(mac)

    def del_peer(self, mac):
        st = self._st
        if bytes(mac) not in st.peers:
            raise _err("ESP_ERR_ESPNOW_NOT_FOUND")
        st.peers.remove(bytes(mac))

    def send(self, mac, msg, sync=True):
        st = self._st
        if not st.espnow_active:
            raise _err("ESP_ERR_ESPNOW_NOT_INIT")
        if not st.wlan_active:
            raise _err("ESP_ERR_ESPNOW_IF")
        if len(msg) > MAX_DATA_LEN:
            raise ValueError("msg too long")
        if mac not in st.peers:
            raise _err("ESP_ERR_ESPNOW_NOT_FOUND")
        if st.fail_send:
            st.fail_send -= 1
            simstate.current.advance_us(SEND_TIMEOUT_MS * 1000)  # it retries, then gives up
            raise _err("ESP_ERR_ESPNOW_NO_MEM")
        ok = st.air.transmit(st, mac, msg, st.now_us())
        return True if not sync else ok

    def irecv(self, timeout_ms=None):
        st = self._st
        if not st.espnow_active:
            raise _err("ESP_ERR_ESPNOW_NOT_INIT")
        if st.fail_recv:
            st.fail_recv -= 1
            raise _err("ESP_ERR_ESPNOW_IF")
        pair = self._pair
        if st.take(pair):
            self._seen(pair)
            return pair
        if timeout_ms is None:
            timeout_ms = self._timeout
        b = simstate.current
        if timeout_ms < 0:
            b.hang()  # waits for ever (a watchdog reset ends it)
        if timeout_ms > 0:
            b.advance_us(timeout_ms * 1000)
            if st.take(pair):
                self._seen(pair)
                return pair
        return self._none

    def _seen(self, pair):
        # the RSSI table: one entry per sender, for good; the pair's mac is that entry's key
        t = self.peers_table
        mac = pair[0]
        if mac not in t:
            t[mac] = [0, 0]
        pair[0] = mac

    def any(self):
        return self._st.n > 0

    def stats(self):
        st = self._st
        return (st.air.sent, st.air.delivered, st.air.lost, st.received, st.rx_dropped)
