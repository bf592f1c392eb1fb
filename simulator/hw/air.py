# The simulated air between the pods of a household: what the fake espnow/network modules
# (espnow.py, network.py here) send through. Each pod's board has a Station (board.radio);
# frames reach another station after a delay in virtual time, unless the air loses them, the
# pods are partitioned, the radio is down, or the receiver is powered off. A Hostile sender can
# replay captured frames, forge new ones and flood.
#
# Not modelled yet: a board's reset does not touch its station (on an ESP32 a hard or watchdog
# reset turns WiFi off and a soft reset leaves it on); a runner of whole pods must call
# Station.power() or set wlan_active itself when its board resets.
#
# Runs on CPython and on the MicroPython unix port (tests/mpy): only the shared subset, and the
# receive path allocates nothing once a station's slots hold frames of the size in use.
try:
    from simulator.hw import simstate
except ImportError:
    import simstate

MAX_DATA_LEN = 250
RX_SLOTS = 8  # about what ESP-NOW's default 516-byte receive buffer holds of 52-byte frames


class Station:
    def __init__(self, air, mac, board):
        self.air = air
        self.mac = bytes(mac)
        self.board = board
        self.powered = True
        self.wlan_active = False
        self.channel = 1
        self.pm = 1
        self.espnow_active = False
        self.peers = []
        self.peers_table = {}     # espnow's RSSI table: every sender MAC ever read (not cleared)
        self.fail_start = False   # active(True) raises OSError (a radio that will not start)
        self.fail_send = 0        # the next N sends raise OSError ESP_ERR_ESPNOW_NO_MEM
        self.fail_recv = 0        # the next N irecv calls raise OSError
        self.deaf = False         # its radio acknowledges frames its application never reads
        # the receive ring: arrival time, sender MAC, data
        self.t_us = [0] * RX_SLOTS
        self.src = [b""] * RX_SLOTS
        self.data = [bytearray(0) for _ in range(RX_SLOTS)]
        self.head = 0
        self.n = 0
        self.rx_dropped = 0       # arrived with the ring full (the sender still got its ack)
        self.received = 0

    def now_us(self):
        return self.board.us if self.board is not None else 0

    def listening(self):
        return self.powered and self.wlan_active

    def deliver(self, src, data, t_us):
        if self.n >= RX_SLOTS:
            self.rx_dropped += 1
            return
        i = (self.head + self.n) % RX_SLOTS
        buf = self.data[i]
        n = len(data)
        if len(buf) != n:
            buf = bytearray(n)
            self.data[i] = buf
        for k in range(n):
            buf[k] = data[k]
        self.src[i] = src
        self.t_us[i] = t_us
        self.n += 1

    def take(self, pair):
        """Put the oldest arrived frame into pair ([mac, msg]); False if none has arrived."""
        if not self.n:
            return False
        i = self.head
        if self.t_us[i] > self.now_us():
            return False
        pair[0] = self.src[i]
        pair[1] = self.data[i]
        self.head = (i + 1) % RX_SLOTS
        self.n -= 1
        self.received += 1
        return True

    def power(self, on):
        self.powered = on
        if not on:
            self.n = 0
            self.wlan_active = False
            self.espnow_active = False
            self.peers = []


class Air:
    def __init__(self, delay_ms=5, loss_pct=0, seed=1):
        self.stations = []
        self.delay_us = delay_ms * 1000
        self.loss_pct = loss_pct
        self.down = False         # jammed: nothing gets through
        self.groups = None        # partition: {mac: group}; frames cross no group boundary
        self._rng = seed & 0x7FFFFFFF or 1
        self.sent = 0
        self.delivered = 0
        self.lost = 0
        self.capturing = False    # keep (src, dst, bytes) of every frame sent in capture
        self.capture = []
        self.capture_max = 200

    def station(self, mac, board=None):
        st = Station(self, mac, board)
        self.stations.append(st)
        if board is not None:
            board.radio = st
        return st

    def find(self, mac):
        for st in self.stations:
            if st.mac == mac:
                return st
        return None

    def _random_pct(self):
        # a small LCG, the same on CPython and MicroPython
        self._rng = (self._rng * 1103515245 + 12345) & 0x7FFFFFFF
        return (self._rng >> 8) % 100

    def partition(self, *groups):
        """partition([mac, ...], [mac, ...]): frames only travel within a group."""
        g = {}
        for k, macs in enumerate(groups):
            for m in macs:
                g[bytes(m)] = k
        self.groups = g

    def heal(self):
        self.groups = None

    def transmit(self, src, dst_mac, data, t_us):
        """A frame on the air. True if the receiving radio acknowledges it: its WiFi is on and
        on the same channel, whether or not its application ever reads the frame."""
        self.sent += 1
        if self.capturing and len(self.capture) < self.capture_max:
            self.capture.append((bytes(src.mac), bytes(dst_mac), bytes(data)))
        dst = self.find(dst_mac)
        reach = (dst is not None and dst.listening() and dst.channel == src.channel
                 and not self.down)
        if reach and self.groups is not None:
            reach = self.groups.get(src.mac, -1) == self.groups.get(dst.mac, -2)  # type: ignore[union-attr]
        if reach and self.loss_pct and self._random_pct() < self.loss_pct:
            reach = False
        if not reach or dst is None:
            self.lost += 1
            return False
        self.delivered += 1
        if dst.deaf or not dst.espnow_active:
            dst.rx_dropped += 1
        else:
            dst.deliver(src.mac, data, t_us + self.delay_us)
        return True

    def inject(self, src_mac, dst_mac, data, t_us=None):
        """A frame from a radio that is not a pod (a hostile sender spoofing src_mac)."""
        dst = self.find(dst_mac)
        if dst is None or not dst.listening() or not dst.espnow_active:
            return False
        dst.deliver(bytes(src_mac), data, dst.now_us() if t_us is None else t_us)
        return True


class Hostile:
    """A sender outside the household: replays what it captured, forges, floods."""

    def __init__(self, air):
        self.air = air
        air.capturing = True
        self.sent = 0

    def replay(self, i=-1, dst_mac=None):
        src, dst, data = self.air.capture[i]
        self.sent += 1
        return self.air.inject(src, dst_mac or dst, data)

    def replay_all(self):
        n = 0
        for src, dst, data in list(self.air.capture):
            n += 1 if self.air.inject(src, dst, data) else 0
            self.sent += 1
        return n

    def forge(self, src_mac, dst_mac, data):
        self.sent += 1
        return self.air.inject(src_mac, dst_mac, data)

    def flood(self, src_mac, dst_mac, data, n):
        for _ in range(n):
            self.forge(src_mac, dst_mac, data)


def current_station():
    """The Station of the board being run (a board nobody placed in an Air gets one of its
    own, alone: its radio works and hears nothing)."""
    b = simstate.current
    st = getattr(b, "radio", None)
    if st is None:
        mac = bytes((0x02, 0, 0, 0, 0, (len(_lonely.stations) + 1) & 0xFF))
        st = _lonely.station(mac, b)
    return st


_lonely = Air()
