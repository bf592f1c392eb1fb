# Streaming heart-rate estimator for the MAX30102's IR channel. Pure, causal, integer-only,
# fixed-size state: feeding it a sample allocates nothing.
#
# The pulse is inverted in the raw counts (more blood, less reflected light), so the AC part is
# taken as DC minus the sample. Beats are local maxima of the smoothed AC above an adaptive
# threshold, timed to 1/16 sample by a parabola through the peak. The rate is the median of the
# last beat intervals, and is only given when there is skin contact and the intervals agree.
from array import array

from micropython import const

CONTACT_MIN = const(50000)    # IR counts: below this the sensor sees no skin
CONTACT_MAX = const(258000)   # near full scale: saturated, not usable
_RING = const(8)
_MIN_BEATS = const(4)
_MIN_IV_MS = const(270)       # 222 bpm
_MAX_IV_MS = const(2000)      # 30 bpm
_LOST_MS = const(3000)        # no beat for this long: forget the intervals


_FS_WORK = const(25)           # Hz the detector runs at; faster input is averaged down to it


class Estimator:
    def __init__(self, fs):
        # Faster input is averaged in blocks of `dec` samples (as the sensor's SMP_AVE would),
        # so a 100 Hz recording meets the same filters as the pod's 25 Hz FIFO stream.
        self.dec = max(1, fs // _FS_WORK)
        self.fs = fs // self.dec
        self._iv = array("i", [0] * _RING)   # beat intervals, ms
        self._tmp = array("i", [0] * _RING)  # scratch for the median
        self._one = array("i", [0])
        self.iv_slow = 60000 // 40  # beat intervals longer than this are below the band
        self.iv_fast = 60000 // 130
        self.reset()

    def set_band(self, low_bpm, high_bpm):
        """The safe band, so the estimator can time how long the beats have been outside it."""
        self.iv_slow = 60000 // low_bpm
        self.iv_fast = 60000 // high_bpm

    def reset(self):
        self.dc = 0          # x256
        self.x1 = 0
        self.x2 = 0
        self.x3 = 0
        self.x4 = 0
        self.y1 = 0
        self.y2 = 0
        self.env = 0
        self.pk = 0          # typical slope peak of the accepted beats, 0 until learnt
        self.hold = 0        # samples left ignoring peaks after a movement
        self.rej = 0         # movement peaks in a row (many: the amplitude really changed)
        self.since = 0       # samples since the last beat
        self.frac = 0        # 1/16-sample offset of the last beat
        self.have_beat = False
        self.count = 0
        self.head = 0
        self.contact = False
        self.quality = 0
        self.last = 0
        self.oob = 0         # beats outside the band: 0 no, 1 too slow, 2 too fast
        self.oob_age = 0     # samples since that run of beats began
        self.inband = 0      # in-band intervals since, to end a run
        self.prev_len = 0    # length of the previous beat interval, samples
        self.acc = 0         # sum of the raw samples of the block being averaged
        self.nacc = 0

    def _forget(self):
        self.count = 0
        self.have_beat = False
        self.oob = 0

    def bad_ms(self):
        """How long the beats have been outside the band (ms), or -1 if they are not.

        Timed from the start of the beat interval before the first one outside the band, so a
        change of rate is never dated later than it happened (at most one beat earlier)."""
        if not self.oob:
            return -1
        return self.oob_age * 1000 // self.fs

    def add(self, ir):
        """Feed one IR sample (18-bit counts)."""
        self._one[0] = ir
        self.feed(self._one, 1)

    def feed(self, samples, n):
        """Feed the first n IR samples of an array. The state lives in locals for the loop
        and is stored back once: the same maths as n calls of add(), much cheaper."""
        last = self.last
        dcs = self.dc          # DC level x256
        x1 = self.x1
        x2 = self.x2
        x3 = self.x3
        x4 = self.x4
        y1 = self.y1
        y2 = self.y2
        env = self.env
        pk = self.pk
        hold = self.hold
        since = self.since
        contact = self.contact
        fs = self.fs
        lost = _LOST_MS * fs
        oob_age = self.oob_age
        dec = self.dec
        acc = self.acc
        nacc = self.nacc
        for k in range(n):
            ir = samples[k]
            if ir <= 0 or ir >= 0x3FFFF:  # an I2C glitch or a saturated sample: hold the last
                ir = last
            last = ir
            if dec > 1:
                acc += ir
                nacc += 1
                if nacc < dec:
                    continue
                ir = acc // dec
                acc = 0
                nacc = 0
            c = CONTACT_MIN <= ir <= CONTACT_MAX
            if c != contact:
                contact = c
                self._forget()
            if not c:
                dcs = ir << 8
                since = 0
                env = 0
                pk = 0
                hold = 0
                continue
            dc = dcs >> 8
            diff = ir - dc
            if diff > (dc >> 3) or -diff > (dc >> 3):  # first touch or movement: re-centre
                dcs = ir << 8
                x1 = x2 = x3 = x4 = y1 = y2 = 0
                env = 0
                self._forget()
                continue
            dcs += ((ir << 8) - dcs) >> 5
            x0 = dc - ir
            # slope of the inverted pulse: pairs of samples three apart (120 ms at 25 Hz). Its
            # peak is the systolic upstroke, which is sharp, while breathing and the dicrotic
            # notch are slow or shallow; pairing smooths flicker and noise near 5 Hz
            y0 = x0 + x1 - x3 - x4
            x4 = x3
            x3 = x2
            x2 = x1
            x1 = x0
            since += 1
            if oob_age < 0x100000:
                oob_age += 1
            env -= env >> 7
            if y1 > env:
                env = y1
            # y1 is a beat if it rises above both neighbours and clears half the envelope
            peak = False
            if hold:
                hold -= 1
                if not hold:
                    env = pk
            else:
                peak = y1 > y2 and y1 >= y0 and y1 > 0 and y1 * 2 > env
                if peak and pk and y1 > 3 * pk:
                    # far steeper than the beats so far: movement. Intervals across it mean
                    # nothing; look again in 2 s. The out-of-band timing is kept through a
                    # movement shorter than _LOST_MS, so a sleeper who twitches still gets the
                    # slow/fast alarm; a longer one forgets it, as any long gap in the beats does
                    peak = False
                    self.count = 0
                    self.have_beat = False
                    hold = 2 * fs
                    self.rej += 1
                    if self.rej >= 4:  # 8 s of it: the pulse itself got stronger
                        pk = 0
                        self.rej = 0
            if peak:
                self.rej = 0
                pk = y1 if not pk else pk + ((y1 - pk) >> 2)
                den = y2 - 2 * y1 + y0
                frac = 0
                if den < 0:
                    frac = 8 * (y2 - y0) // den
                # the peak was one sample ago; intervals are timed to 1/16 sample
                iv = ((since - 1) * 16 + frac - self.frac) * 1000 // (16 * fs)
                if iv >= _MIN_IV_MS:
                    if self.have_beat:
                        if iv <= _MAX_IV_MS:
                            self._iv[self.head] = iv
                            self.head = (self.head + 1) % _RING
                            if self.count < _RING:
                                self.count += 1
                        else:  # slower than 30 bpm: no rate to give, but surely too slow
                            self.count = 0
                        d = 1 if iv > self.iv_slow else (2 if iv < self.iv_fast else 0)
                        if d == 0:
                            self.inband += 1
                            if self.inband >= 2:  # one odd interval does not end a run
                                self.oob = 0
                        elif d != self.oob:
                            self.oob = d
                            self.inband = 0
                            oob_age = since - 1 + self.prev_len
                        self.prev_len = since - 1
                    self.have_beat = True
                    since = 1
                    self.frac = frac
            elif since * 1000 > lost:
                self._forget()
                since = 0
            y2 = y1
            y1 = y0
        self.last = last
        self.acc = acc
        self.nacc = nacc
        self.dc = dcs
        self.x1 = x1
        self.x2 = x2
        self.x3 = x3
        self.x4 = x4
        self.y1 = y1
        self.y2 = y2
        self.env = env
        self.pk = pk
        self.hold = hold
        self.since = since
        self.contact = contact
        self.oob_age = oob_age

    def bpm10(self):
        """Heart rate x10, or -1 when there is no contact or the beats do not agree."""
        n = self.count
        if not self.contact or n < _MIN_BEATS:
            self.quality = 0
            return -1
        t = self._tmp
        for i in range(n):
            v = self._iv[i]
            j = i
            while j > 0 and t[j - 1] > v:
                t[j] = t[j - 1]
                j -= 1
            t[j] = v
        med = t[n >> 1]
        ok = 0
        for i in range(n):
            d = t[i] - med
            if -d * 5 <= med and d * 5 <= med:  # within 20 % of the median
                ok += 1
        self.quality = ok * 100 // n
        if ok * 4 < n * 3:
            return -1
        return 600000 // med
