# The receiver: every frame is checked, cheapest check first, and a frame that fails any check
# is dropped and counted under the first check it failed:
#   malformed - wrong length, version, type, field range, or meant for another pod;
#   unknown   - the sender id is not a peer of this household, or came from another MAC;
#   stale     - an older boot epoch than the last accepted from that sender;
#   replayed  - the same epoch and a sequence number not above the last accepted;
#   forged    - the tag does not match (wrong key, or altered bytes).
# The tag is checked last but before anything is remembered: a forged frame changes no state.
# Per-peer state lives in slots made in the constructor (at most MAX_PEERS peers).
#
# An authentic frame is acted on only if it names this pod's own boot (its to boot, a random
# boot id, see frame.py). Per-peer state is RAM, so after this pod restarts it cannot tell a
# frame recorded in its last boot from a fresh one by the sender's epoch and sequence number
# alone; the to boot can: a recorded frame names the earlier boot's id. An authentic frame that
# does not name this boot is remembered (its sender's epoch and sequence number, so it cannot
# come twice) but not acted on, and counted:
#   hello     - its sender has not heard this pod yet in this boot (to boot 0);
#   stale     - it names another boot of this pod (a recording, or a sender that has not heard
#               this pod since it restarted).
# Either way self.ask names the sender's slot: this pod's next frame to it (the node sends one
# at once) tells it this boot's id, so a restarted link is whole again in one round trip.
from micropython import const

from pod.household import frame

MAX_PEERS = const(6)
_NO_ID = const(255)

# indexes into Receiver.counts
_C_ACCEPTED = const(0)
C_MALFORMED = const(1)
C_UNKNOWN = const(2)
C_STALE = const(3)
C_REPLAYED = const(4)
C_FORGED = const(5)
C_HELLO = const(6)
# (their names, for status: pod.link.household.COUNT_NAMES)


class Receiver:
    def __init__(self, mac, my_id, my_boot):
        if my_boot < 1:
            raise ValueError("a boot id is 1..2**30-1")  # (0 is what a hello names)
        self._mac = mac
        self.my_id = my_id
        self.my_boot = my_boot  # this pod's boot id: the one frames must name
        self.ids = bytearray(MAX_PEERS)
        self.roles = bytearray(MAX_PEERS)
        self.macs = [b""] * MAX_PEERS
        self.epoch = [-1] * MAX_PEERS
        self.seq = [0] * MAX_PEERS
        self.boot = [0] * MAX_PEERS  # each peer's boot id, as last heard (0: not yet)
        self.heard_ms = [0] * MAX_PEERS
        for i in range(MAX_PEERS):
            self.ids[i] = _NO_ID
        self.n = 0
        self.counts = [0] * 7  # by C_*
        self.tag_checks = 0  # frames that reached the tag check (each costs an HMAC)
        self.frame = frame.Frame()
        self.slot = -1  # the slot of the last accepted frame's sender
        self.ask = -1   # the slot of a sender to tell this boot's epoch (see above), or -1
        self.news = -1  # the slot of a sender whose new boot was just learned, or -1
        self._scratch = bytearray(frame.BODY_LEN)
        self._body = memoryview(self._scratch)

    def add_peer(self, pid, mac, role):
        """Register a peer (setup time only). Raises ValueError when full or repeated."""
        if self.n >= MAX_PEERS:
            raise ValueError("at most %d peers" % MAX_PEERS)
        if pid == self.my_id or pid > frame.MAX_ID or self.slot_of(pid) >= 0:
            raise ValueError("bad or repeated peer id %d" % pid)
        i = self.n
        self.ids[i] = pid
        self.macs[i] = bytes(mac)
        self.roles[i] = role
        self.n = i + 1
        return i

    def slot_of(self, pid):
        for i in range(self.n):
            if self.ids[i] == pid:
                return i
        return -1

    def _drop(self, c):
        self.counts[c] += 1
        return False

    def accept(self, mac, msg, now_ms):
        """True if (mac, msg) is a fresh, authentic frame for this boot of this pod: its fields
        are then in self.frame and its sender's slot in self.slot. Otherwise counted and False
        (and self.ask set, for an authentic frame that names no boot or another one)."""
        f = self.frame
        if not frame.parse(msg, f):
            return self._drop(C_MALFORMED)
        if f.dest != self.my_id and f.dest != frame.ALL:
            return self._drop(C_MALFORMED)
        i = self.slot_of(f.sender)
        if i < 0 or mac != self.macs[i]:
            return self._drop(C_UNKNOWN)
        e = self.epoch[i]
        if f.epoch < e:
            return self._drop(C_STALE)
        if f.epoch == e and f.seq <= self.seq[i]:
            return self._drop(C_REPLAYED)
        self.tag_checks += 1
        if not frame.tag_ok(self._mac, msg, self._body, self._scratch):
            return self._drop(C_FORGED)
        if f.boot != self.boot[i]:
            self.news = i
        self.epoch[i] = f.epoch
        self.seq[i] = f.seq
        self.boot[i] = f.boot
        if f.to_boot != self.my_boot:
            self.ask = i
            return self._drop(C_STALE if f.to_boot else C_HELLO)
        self.heard_ms[i] = now_ms
        self.slot = i
        self.counts[_C_ACCEPTED] += 1
        return True

    def peer_boot(self, i):
        """The boot id of the peer in slot i, as last heard (0 if never): what frames to it
        name as their to boot."""
        return self.boot[i]

    def rejected(self):
        """Frames dropped (a hello is not: it is authentic, only early)."""
        c = self.counts
        return c[C_MALFORMED] + c[C_UNKNOWN] + c[C_STALE] + c[C_REPLAYED] + c[C_FORGED]
