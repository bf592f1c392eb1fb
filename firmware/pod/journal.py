# The night journal: append-only records in a few bounded files on flash.
#
# Record: 0xA5, n (payload length, 4..100), type, payload (n bytes), CRC32 of n+type+payload
# (4 bytes, little-endian). Every payload starts with t, the RTC's seconds since 2000-01-01
# (u32 LE). Files jr00001.bin, jr00002.bin...: a record goes to the newest file unless it would
# pass FILE_BYTES, then a new file starts and the oldest beyond MAX_FILES is deleted.
# A record is appended by one write of whole bytes and the file closed at once, so a power cut
# can only leave a torn last record; a reader skips a record whose CRC fails by looking for the
# next 0xA5 that starts a record with a good CRC (host_tools/journal.py), so everything written
# before the tear, and after it, still reads.
#
# Flash wear: heart rate is kept in RAM as min/sum/max of the 1 Hz estimate and written once a
# minute, only during a session; events are written when they happen (a few a night).
import binascii
import os
import struct
import time

from micropython import const

from pod.core import ALARM, AWAKE, WAKE_RAMP

MAGIC = const(0xA5)
_MAX_PAYLOAD = const(100)  # t and the fields; a longer text is cut
MAX_FILES = const(8)
FILE_BYTES = const(8192)
PREFIX = "jr"
SUFFIX = ".bin"

# Record types (payload after t)
_T_BOOT = const(1)     # reset cause, boot verdict reason, program source, failed boots
_T_SESSION = const(2)  # program name (text)
_T_PHASE = const(3)    # state, reason
_T_HR = const(4)       # min, mean, max (bpm x10, u16 each), seconds with a rate, contact losses
_T_CONTACT = const(5)  # 0: contact lost (at most one a minute; the HR record counts them all)
_T_FAULT = const(6)    # reason, text
_T_WAKE = const(7)     # reason, latency ms (u16)
_T_ANSWER = const(8)  # how a person answered a wake (1 tap, 2 hold, 3 ack)


def file_name(seq):
    return "%s%05d%s" % (PREFIX, seq, SUFFIX)


def files():
    """Sequence numbers of the journal files on flash, oldest first."""
    out = []
    for name in os.listdir():
        if name.startswith(PREFIX) and name.endswith(SUFFIX):
            try:
                out.append(int(name[2:-4]))
            except ValueError:
                pass
    out.sort()
    return out


class Journal:
    def __init__(self):
        self.buf = bytearray(3 + _MAX_PAYLOAD + 4)
        self.mv = memoryview(self.buf)
        seqs = files()
        self.first = seqs[0] if seqs else 1
        self.seq = seqs[-1] if seqs else 1
        self.name = file_name(self.seq)
        try:
            self.size = os.stat(self.name)[6]
        except OSError:
            self.size = 0
        self.errors = 0   # writes that failed (flash full, I/O error, no heap): counted, never raised
        # (17 attributes: an 18th grows the instance map by 368 bytes on the test VM; heap)
        self.hr_min = 0
        self._new_minute()
        self.contact = False
        self.st = 0  # the core state last recorded
        self.night = False  # ...and whether a night was under way

    def _new_minute(self):
        """One minute of heart rate is kept in RAM: min, sum and max of the 1 Hz estimate."""
        self.hr_n = 0
        self.hr_sum = 0
        self.hr_max = 0
        self.secs = 0
        self.losses = 0
        self.lost_noted = False

    def _put(self, typ, n):
        """Frame the payload in buf[3:3+n] (t is written here) and append it."""
        b = self.buf
        struct.pack_into("<I", b, 3, time.time())  # a small int until 2034
        b[0] = MAGIC
        b[1] = n
        b[2] = typ
        struct.pack_into("<I", b, 3 + n, binascii.crc32(self.mv[1:3 + n]))
        total = n + 7
        try:
            if self.size + total > FILE_BYTES and self.size:
                self._rotate()
            with open(self.name, "ab") as f:
                f.write(self.mv[:total])
            self.size += total
        except Exception:  # noqa: BLE001 - flash full (OSError), no heap for open (MemoryError)
            self.errors += 1

    def _rotate(self):
        self.seq += 1
        self.name = file_name(self.seq)
        self.size = 0
        while self.seq - self.first >= MAX_FILES:
            try:
                os.remove(file_name(self.first))
            except OSError:
                pass
            self.first += 1

    def _text(self, off, s):
        s = s.encode() if isinstance(s, str) else s
        k = min(len(s), _MAX_PAYLOAD + 3 - off)
        self.buf[off:off + k] = s[:k]
        return off + k - 3

    def state(self, app, now, st):
        """A state change of the App's core: session start, phase, wake (with its latency:
        from the start of the tick that decided it to the outputs applied), alarm."""
        prev = self.st
        self.st = st
        reason = app.pod.reason
        night = app.pod.night
        if night and not self.night:  # (back to the night after a lamp is the same night)
            self.session(app.prog[4])
        self.night = night
        self.phase(st, reason)
        if st == ALARM:
            self.fault(reason, "alarm")
        if reason and (st == WAKE_RAMP or st == ALARM
                       or (st == AWAKE and 0 < prev < ALARM)):  # (from a night, or a lamp)
            self.wake(reason, time.ticks_diff(time.ticks_ms(), now))

    def boot(self, cause, reason, src, failed):
        b = self.buf
        b[7] = cause
        b[8] = reason
        b[9] = src
        b[10] = min(failed, 255)
        self._put(_T_BOOT, 8)

    def session(self, name):
        self._put(_T_SESSION, self._text(7, name))

    def phase(self, state, reason):
        self.buf[7] = state
        self.buf[8] = reason
        self._put(_T_PHASE, 6)

    def fault(self, reason, text):
        self.buf[7] = reason
        self._put(_T_FAULT, self._text(8, text))

    def wake(self, reason, latency_ms):
        self.buf[7] = reason
        struct.pack_into("<H", self.buf, 8, max(0, min(latency_ms, 65535)))
        self._put(_T_WAKE, 7)

    def answer(self, how):
        """A person answered a wake (how: 1 tap, 2 hold, 3 ack)."""
        self.buf[7] = how
        self._put(_T_ANSWER, 5)

    def second(self, bpm10, contact, session):
        """Once a second from the loop: fold the heart rate into the minute; at the end of a
        minute (in a session) write it. Allocates nothing except when it writes."""
        if session and self.contact and not contact:
            self.losses += 1
            if not self.lost_noted:
                self.lost_noted = True
                self.buf[7] = 0
                self._put(_T_CONTACT, 5)
        self.contact = contact
        if bpm10 > 0:
            if self.hr_n == 0 or bpm10 < self.hr_min:
                self.hr_min = bpm10
            if bpm10 > self.hr_max:
                self.hr_max = bpm10
            self.hr_sum += bpm10
            self.hr_n += 1
        self.secs += 1
        if self.secs < 60:
            return
        if session:
            b = self.buf
            n = self.hr_n
            struct.pack_into("<HHH", b, 7, self.hr_min if n else 0,
                             self.hr_sum // n if n else 0, self.hr_max)
            b[13] = n
            b[14] = min(self.losses, 255)
            self._put(_T_HR, 12)
        self._new_minute()
