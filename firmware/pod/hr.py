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


class Estimator:
    def __init__(self, fs):
        self.fs = fs
        self._iv = array("i", [0] * _RING)   # beat intervals, ms
        self._tmp = array("i", [0] * _RING)  # scratch for the median
        self.reset()

    def reset(self):
        self.dc = 0          # x256
        self.x1 = 0
        self.x2 = 0
        self.y1 = 0
        self.y2 = 0
        self.env = 0
        self.since = 0       # samples since the last beat
        self.frac = 0        # 1/16-sample offset of the last beat
        self.have_beat = False
        self.count = 0
        self.head = 0
        self.contact = False
        self.quality = 0
        self.last = 0

    def _forget(self):
        self.count = 0
        self.have_beat = False

    def add(self, ir):
        """Feed one IR sample (18-bit counts)."""
        if ir <= 0 or ir >= 0x3FFFF:  # an I2C glitch or a saturated sample: hold the last one
            ir = self.last
        self.last = ir
        dc = self.dc >> 8
        contact = CONTACT_MIN <= ir <= CONTACT_MAX
        if contact != self.contact:
            self.contact = contact
            self._forget()
        if not contact:
            self.dc = ir << 8
            self.since = 0
            self.env = 0
            return
        diff = ir - dc
        if diff > (dc >> 3) or -diff > (dc >> 3):  # a jump (first touch, movement): re-centre
            self.dc = ir << 8
            self.x1 = self.x2 = self.y1 = self.y2 = 0
            self.env = 0
            self._forget()
            return
        self.dc += ((ir << 8) - self.dc) >> 5
        x0 = dc - ir
        # slope of the inverted pulse over two samples: its peak is the systolic upstroke,
        # which is sharp, while breathing and the dicrotic notch are slow or shallow
        y0 = x0 - self.x2
        self.x2 = self.x1
        self.x1 = x0
        self.since += 1
        fs = self.fs
        env = self.env - (self.env >> 6)
        if self.y1 > env:
            env = self.y1
        self.env = env
        y1 = self.y1
        y2 = self.y2
        # y1 is a peak if it rises above both neighbours and clears half the envelope
        if y1 > y2 and y1 >= y0 and y1 > 0 and y1 * 2 > env:
            den = y2 - 2 * y1 + y0
            frac = 0
            if den < 0:
                frac = 8 * (y2 - y0) // den
            # the peak was one sample ago
            since16 = (self.since - 1) * 16 + frac - self.frac
            iv = since16 * 1000 // (16 * fs)
            if iv >= _MIN_IV_MS:
                if self.have_beat and iv <= _MAX_IV_MS:
                    self._iv[self.head] = iv
                    self.head = (self.head + 1) % _RING
                    if self.count < _RING:
                        self.count += 1
                self.have_beat = True
                self.since = 1
                self.frac = frac
        elif self.since * 1000 > _LOST_MS * fs:
            self._forget()
            self.since = 0
        self.y2 = y1
        self.y1 = y0

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
