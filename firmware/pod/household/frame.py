# The household frame: one fixed size, so every buffer and memoryview is made once.
#
#  offset size  field
#   0      1    version (VERSION)
#   1      1    type: T_HEARTBEAT, T_ALARM, T_ACK, T_BEDTIME, T_WAKE_ALL
#   2      1    sender: household id of the pod that sent it (0..MAX_ID)
#   3      1    dest: household id it is for, or ALL
#   4      4    boot epoch of the sender, big-endian, below 2**30 (kept in flash by the caller)
#   8      4    sequence number in that epoch, big-endian, below 2**30 (RAM; starts at 1)
#  12      1    reason (a wake reason code of pod.reasons, or R_UNANSWERED; 0 for none)
#  13      1    subject: household id of the pod the frame is about (the child that alarmed)
#  14      2    arg, big-endian (T_BEDTIME: wind-down minutes; otherwise 0)
#  16      4    ref, big-endian, below 2**30 (T_ALARM: alarm number; T_ACK: the alarm number
#               acknowledged; otherwise 0)
#  20      4    boot: the sender's boot id, a random number drawn at each boot (1..2**30-1)
#  24      4    to boot: the receiver's boot id, as the sender last heard it from that pod (0
#               while it has heard nothing from it in this boot)
#  28     12    name of the subject, UTF-8, zero-padded
#  40     16    tag: HMAC-SHA256 of bytes 0..39 with the household key, first 16 bytes
#
# The to boot is what makes a frame recorded before a pod restarted useless afterwards: the
# receiver acts only on frames that name its own current boot (see receiver.py), and no frame
# naming it can exist before the pod has booted and been heard. It is random, not the epoch,
# because the epoch in flash can repeat (a write that failed, an erased flash): a boot id
# repeats only by a chance of one in 2**30.
#
# Numbers stay below 2**30 so that reading them never makes a big integer (the ESP32's small
# integers are 31-bit): a frame with a top bit set is malformed, not a heap allocation.
from micropython import const

from pod.household import hmac256

VERSION = const(3)
T_HEARTBEAT = const(1)
T_ALARM = const(2)
T_ACK = const(3)
T_BEDTIME = const(4)
T_WAKE_ALL = const(5)
ALL = const(255)
MAX_ID = const(15)
NAME_LEN = const(12)
BODY_LEN = const(40)
_TAG_LEN = const(16)
FRAME_LEN = const(56)
LIMIT = const(0x3FFFFFFF)   # largest epoch, seq, ref or boot id
MAX_REASON = const(63)


def put32(buf, off, v):
    buf[off] = (v >> 24) & 0xFF
    buf[off + 1] = (v >> 16) & 0xFF
    buf[off + 2] = (v >> 8) & 0xFF
    buf[off + 3] = v & 0xFF


def get30(buf, off):
    """The big-endian number at off, or -1 if it is 2**30 or more."""
    b0 = buf[off]
    if b0 & 0xC0:
        return -1
    return (b0 << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]


class Encoder:
    """Makes this pod's frames in one buffer (valid until the next encode)."""

    def __init__(self, mac, my_id, boot):
        if boot < 1 or boot > LIMIT:
            raise ValueError("a boot id is 1..2**30-1")
        self.buf = bytearray(FRAME_LEN)
        self._body = memoryview(self.buf)[:BODY_LEN]
        self._mac = mac
        self.my_id = my_id
        self.boot = boot

    def encode(self, ftype, dest, epoch, seq, reason=0, subject=0, arg=0, ref=0, name=b"",
               to_boot=0):
        """Fill the buffer and return it. name: bytes of at most NAME_LEN (longer is cut)."""
        if (epoch < 0 or epoch > LIMIT or seq < 0 or seq > LIMIT or ref < 0 or ref > LIMIT
                or to_boot < 0 or to_boot > LIMIT):
            raise ValueError("epoch, seq, ref and to_boot must be 0..2**30-1")
        b = self.buf
        b[0] = VERSION
        b[1] = ftype
        b[2] = self.my_id
        b[3] = dest
        put32(b, 4, epoch)
        put32(b, 8, seq)
        b[12] = reason
        b[13] = subject
        b[14] = (arg >> 8) & 0xFF
        b[15] = arg & 0xFF
        put32(b, 16, ref)
        put32(b, 20, self.boot)
        put32(b, 24, to_boot)
        n = len(name)
        for i in range(NAME_LEN):
            b[28 + i] = name[i] if i < n else 0
        tag = self._mac.digest(self._body)
        for i in range(_TAG_LEN):
            b[BODY_LEN + i] = tag[i]
        return b


class Frame:
    """A received frame's fields (filled in place by parse; names copied into one buffer)."""

    def __init__(self):
        self.ftype = 0
        self.sender = 0
        self.dest = 0
        self.epoch = 0
        self.seq = 0
        self.reason = 0
        self.subject = 0
        self.arg = 0
        self.ref = 0
        self.boot = 0
        self.to_boot = 0
        self.name = bytearray(NAME_LEN)


def parse(msg, f):
    """Check the layout of msg and fill Frame f. True if well-formed (the tag is not checked
    here: see receiver.Receiver). Never raises and never allocates."""
    if msg is None or len(msg) != FRAME_LEN:
        return False
    t = msg[1]
    if msg[0] != VERSION or t < T_HEARTBEAT or t > T_WAKE_ALL:
        return False
    sender = msg[2]
    dest = msg[3]
    if sender > MAX_ID or (dest > MAX_ID and dest != ALL) or msg[12] > MAX_REASON:
        return False
    if msg[13] > MAX_ID:
        return False
    epoch = get30(msg, 4)
    seq = get30(msg, 8)
    ref = get30(msg, 16)
    boot = get30(msg, 20)
    to_boot = get30(msg, 24)
    if epoch < 0 or seq < 0 or ref < 0 or boot < 1 or to_boot < 0:
        return False
    f.ftype = t
    f.sender = sender
    f.dest = dest
    f.epoch = epoch
    f.seq = seq
    f.reason = msg[12]
    f.subject = msg[13]
    f.arg = (msg[14] << 8) | msg[15]
    f.ref = ref
    f.boot = boot
    f.to_boot = to_boot
    nm = f.name
    for i in range(NAME_LEN):
        nm[i] = msg[28 + i]
    return True


def tag_ok(mac, msg, body_mv, scratch):
    """True if the last TAG_LEN bytes of msg are the tag of its first BODY_LEN bytes.
    body_mv is a memoryview of scratch[:BODY_LEN]; msg's body is copied there first (a
    memoryview of the radio's receive buffer cannot be made once: the radio owns it)."""
    for i in range(BODY_LEN):
        scratch[i] = msg[i]
    tag = mac.digest(body_mv)
    return hmac256.equal(tag, 0, msg, BODY_LEN, _TAG_LEN)
