# Streaming heart-rate estimator for the MAX30102's IR and red channels. Pure, causal,
# integer-only, fixed-size state: feeding it a sample allocates nothing.
#
# The pulse is inverted in the raw counts (more blood, less reflected light), so the AC part is
# taken as DC minus the sample. Beats are local maxima of the IR's smoothed slope above an
# adaptive threshold, timed to 1/16 sample by a parabola through the peak. The rate is the
# median of the last beat intervals, and is only given when there is skin contact and the
# intervals agree.
#
# Contact is judged from both channels: the IR level must be in the skin range, and the red
# channel's pulse must agree with the IR's the way arterial blood does: correlated (the same
# beats), and relatively weaker in red than in IR (the "ratio of ratios" R of pulse oximetry is
# well below 1 for blood above about 88 % saturation). Light scattered by a moving sheet or
# hand changes alike at both wavelengths (R near 1); a surface with no pulse gives no
# correlation. Neither is contact, whatever its level.
#
# I2C read errors come in bursts: a sample read as 0 or full scale is held at the last good one;
# so is one that jumps far more than the signal has been moving, for up to _BURST samples in a
# row (past that the level really changed: a movement or the finger lifted).
from array import array

from micropython import const

CONTACT_MIN = const(50000)    # IR counts: below this the sensor sees no skin
CONTACT_MAX = const(258000)   # near full scale: saturated, not usable
_RING = const(8)
_MIN_BEATS = const(4)
_MIN_IV_MS = const(270)       # 222 bpm
_MAX_IV_MS = const(2000)      # 30 bpm
_LOST_MS = const(3000)        # no beat for this long: forget the intervals
_BURST = const(10)            # samples held after a jump before the new level is believed
_YMAX = const(2047)           # slopes beyond this (3 % of DC per 120 ms) are movement: clipped
_SKIN_N = const(50)           # samples (2 s) of both channels before judging skin
_SKIN_HOLD = const(4)         # seconds a skin verdict is kept through doubtful ones

# indices of the filter state in Estimator.st (an array: far smaller than attributes)
_S_LAST = const(0)
_S_LAST_R = const(1)
_S_MAD = const(2)
_S_NBAD = const(3)
_S_DC = const(4)
_S_DCR = const(5)
_S_X1 = const(6)
_S_X2 = const(7)
_S_X3 = const(8)
_S_X4 = const(9)
_S_R1 = const(10)
_S_R2 = const(11)
_S_R3 = const(12)
_S_R4 = const(13)
_S_Y1 = const(14)
_S_Y2 = const(15)
_S_YA = const(16)
_S_YB = const(17)
_S_YM = const(18)
_S_YRM = const(19)
_S_SII = const(20)
_S_SIR = const(21)
_S_SRR = const(22)
_S_NSK = const(23)
_S_ENV = const(24)
_S_PK = const(25)
_S_HOLD = const(26)
_S_SINCE = const(27)
_S_CAND = const(28)
_S_CY = const(29)
_S_CF = const(30)
_S_WIN = const(31)
_S_OOB_AGE = const(32)
_S_ACC = const(33)
_S_ACC_R = const(34)
_S_NACC = const(35)
_S_REJ = const(36)
_S_NPK = const(37)
_S_FRAC = const(38)
_S_LAST_IV = const(39)
_S_SKIPPED = const(40)
_S_PROV_IV = const(41)
_S_PROV_Y = const(42)
_S_PROV_LI = const(43)
_S_SKIN = const(44)
_S_INBAND = const(45)
_S_PREV_LEN = const(46)
_S_N = const(47)

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
        self._one_r = array("i", [0])
        self.st = array("i", [0] * _S_N)
        self.iv_slow = 60000 // 40  # beat intervals longer than this are below the band
        self.iv_fast = 60000 // 130
        self.reset()

    def set_band(self, low_bpm, high_bpm):
        """The safe band, so the estimator can time how long the beats have been outside it."""
        self.iv_slow = 60000 // low_bpm
        self.iv_fast = 60000 // high_bpm

    def reset(self):
        st = self.st
        for i in range(_S_N):
            st[i] = 0
        # no interval measured yet (a sensor back after a glitch): the one before the first
        # out-of-band run is taken as the longest there is (2 s), so the estimator's settling
        # never adds to the hold
        st[_S_PREV_LEN] = 2 * self.fs
        st[_S_WIN] = 7
        # The state in st (index _S_<NAME>), all small ints:
        # dc: IR DC x256
        # dcr: red DC x256
        # r1: red AC, as x1..x4
        # y1: smoothed slope, one and two samples ago
        # ya: raw slope, one and two samples ago
        # ym: mean IR slope x16 (a slow drift's share of the slope)
        # yrm: mean red slope x16
        # sii: sums of the slopes' products (IR.IR, IR.red, red.red), decaying
        # nsk: samples in those sums since they were cleared
        # skin: seconds left of the last skin verdict
        # pk: typical slope peak of the accepted beats, 0 until learnt
        # npk: peaks it was learnt from (up to 3)
        # hold: samples left ignoring peaks after a movement
        # rej: movement peaks in a row (many: the amplitude really changed)
        # since: samples since the last beat
        # frac: 1/16-sample offset of the last beat
        # cand: a candidate beat: 1 + its samples after the last beat, 0 none
        # cy: its slope peak
        # cf: its 1/16-sample offset
        # win: samples a candidate waits for a steeper peak
        # last_iv: the last beat interval, ms
        # skipped: the last interval was taken for a missed beat
        # prov_iv, prov_y, prov_li: the last interval if it was short (ms), the slope peak
        # that ended it, and the interval before it
        # Outside it (read by the pod or the tests):
        self.have_beat = False
        self.count = 0
        self.head = 0
        self.level = False   # the IR level is in the skin range
        self.contact = False  # ...and the red channel's pulse agrees (judged once a second)
        self.quality = 0
        # last: last good raw IR sample (held through glitches)
        # mad: typical raw sample-to-sample change x16
        # nbad: raw samples held in a row
        self.oob = 0         # beats outside the band: 0 no, 1 too slow, 2 too fast
        # oob_age: samples since that run of beats began
        # inband: in-band intervals since, to end a run
        # prev_len: length of the previous beat interval, samples
        # acc: sums of the raw samples of the block being averaged

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
        return self.st[_S_OOB_AGE] * 1000 // self.fs

    def add(self, ir, red):
        """Feed one sample (18-bit counts of both channels)."""
        self._one[0] = ir
        self._one_r[0] = red
        self.feed(self._one, self._one_r, 1)

    def feed(self, irs, reds, n):
        """Feed the first n samples of two arrays (IR, red). The state lives in locals for the
        loop and is stored back once: the same maths as n calls of add(), much cheaper."""
        st = self.st
        last = st[_S_LAST]
        last_r = st[_S_LAST_R]
        mad = st[_S_MAD]
        nbad = st[_S_NBAD]
        dcs = st[_S_DC]        # DC level x256
        dcr = st[_S_DCR]
        x1 = st[_S_X1]
        x2 = st[_S_X2]
        x3 = st[_S_X3]
        x4 = st[_S_X4]
        r1 = st[_S_R1]
        r2 = st[_S_R2]
        r3 = st[_S_R3]
        r4 = st[_S_R4]
        y1 = st[_S_Y1]
        y2 = st[_S_Y2]
        ya = st[_S_YA]
        yb = st[_S_YB]
        ym = st[_S_YM]
        yrm = st[_S_YRM]
        sii = st[_S_SII]
        sir = st[_S_SIR]
        srr = st[_S_SRR]
        nsk = st[_S_NSK]
        env = st[_S_ENV]
        pk = st[_S_PK]
        hold = st[_S_HOLD]
        since = st[_S_SINCE]
        cand = st[_S_CAND]
        cy = st[_S_CY]
        cf = st[_S_CF]
        win = st[_S_WIN]
        minwin = (4 * self.fs) // 25
        level = self.level
        fs = self.fs
        lost = _LOST_MS * fs // 1000  # (since * 1000 > _LOST_MS * fs, in whole samples)
        oob_age = st[_S_OOB_AGE]
        dec = self.dec
        acc = st[_S_ACC]
        acc_r = st[_S_ACC_R]
        nacc = st[_S_NACC]
        for k in range(n):
            ir = irs[k]
            red = reds[k]
            if ir <= 0 or ir >= 0x3FFFF or red <= 0 or red >= 0x3FFFF:
                ir = last  # an I2C error or a saturated sample: hold the last good one
                red = last_r
            else:
                d = ir - last
                if d < 0:
                    d = -d
                if last and d > (mad >> 1) + (last >> 6) and nbad < _BURST:
                    # far beyond how the signal has been moving: a sample read wrong, held;
                    # a new level that lasts past a burst is believed
                    nbad += 1
                    ir = last
                    red = last_r
                else:
                    nbad = 0
                    if d > 0x3FFF:
                        d = 0x3FFF
                    mad += d - (mad >> 4)
                    last = ir
                    last_r = red
            if dec > 1:
                acc += ir
                acc_r += red
                nacc += 1
                if nacc < dec:
                    continue
                ir = acc // dec
                red = acc_r // dec
                acc = 0
                acc_r = 0
                nacc = 0
            c = CONTACT_MIN <= ir <= CONTACT_MAX
            if c != level:
                level = c
                cand = 0
                self._forget()
                sii = sir = srr = nsk = ym = yrm = 0
                st[_S_SKIN] = 0
            if not c:
                dcs = ir << 8
                dcr = red << 8
                since = 0
                env = 0
                pk = 0
                hold = 0
                continue
            dc = dcs >> 8
            diff = ir - dc
            q = dc >> 3
            if diff > q or -diff > q:  # first touch or movement: re-centre
                dcs = ir << 8
                dcr = red << 8
                x1 = x2 = x3 = x4 = y1 = y2 = ya = yb = 0
                r1 = r2 = r3 = r4 = 0
                sii = sir = srr = nsk = ym = yrm = 0
                st[_S_SKIN] = 0
                env = 0
                cand = 0
                self._forget()
                continue
            dcs += ((ir << 8) - dcs) >> 5
            drc = dcr >> 8
            dcr += ((red << 8) - dcr) >> 5
            x0 = dc - ir
            xr = drc - red
            # slope of the inverted pulse: pairs of samples three apart (120 ms at 25 Hz). Its
            # peak is the systolic upstroke, which is sharp, while breathing and the dicrotic
            # notch are slow or shallow; pairing smooths flicker and noise near 5 Hz
            y0 = x0 + x1 - x3 - x4
            yr = xr + r1 - r3 - r4
            # the beat detector sees the slope smoothed once more (1-2-1): weak pulses in noise
            ys = y0 + 2 * ya + yb
            yb = ya
            ya = y0
            x4 = x3
            x3 = x2
            x2 = x1
            x1 = x0
            r4 = r3
            r3 = r2
            r2 = r1
            r1 = xr
            # both slopes relative to their own DC (x65536), less their slow mean (a posture
            # drift), clipped; their products summed with a decay of 128 samples (5 s)
            if drc > 255 and dc > 255:
                a = (y0 << 8) // (dc >> 8)
                b = (yr << 8) // (drc >> 8)
                ym += a - (ym >> 4)
                yrm += b - (yrm >> 4)
                a -= ym >> 4
                b -= yrm >> 4
                if a > _YMAX:  # clipped: a*a <= 2**22 keeps the sums below 2**29
                    a = _YMAX
                elif a < -_YMAX:
                    a = -_YMAX
                if b > _YMAX:
                    b = _YMAX
                elif b < -_YMAX:
                    b = -_YMAX
                # a slope far beyond the recent ones is movement: left out, or its energy
                # would drown the pulse's for half a minute
                q = a * a
                d = b * b
                if nsk < _SKIN_N or (q <= (sii >> 3) and d <= (srr >> 3)):
                    sii += q - (sii >> 7)
                    sir += a * b - (sir >> 7)
                    srr += d - (srr >> 7)
                    if nsk < 0x7FFF:
                        nsk += 1
            since += 1
            if oob_age < 0x100000:
                oob_age += 1
            env -= env >> 7
            if y1 > env:
                env = y1
            if cand and since - cand > win:  # no steeper peak came: the candidate is a beat
                pos = cand - 1
                cand = 0
                # intervals are timed to 1/16 sample
                iv = (pos * 16 + cf - st[_S_FRAC]) * 1000 // (16 * fs)
                li = st[_S_LAST_IV]
                if iv >= _MIN_IV_MS and self.have_beat and self.count >= 2 and \
                        not st[_S_SKIPPED] and 4 * (iv - 2 * li) <= li and 4 * (2 * li - iv) <= li:
                    # twice the last interval: one beat too weak to see. Not an interval (nor
                    # a slow run); twice in a row it is believed (the rate really halved)
                    st[_S_SKIPPED] = 1
                    since -= pos
                    st[_S_FRAC] = cf
                elif iv >= _MIN_IV_MS:
                    st[_S_SKIPPED] = 0
                    if self.have_beat:
                        pv = st[_S_PROV_IV]
                        st[_S_PROV_IV] = 0
                        lb = st[_S_PROV_LI]
                        s2 = pv + iv
                        if pv and self.count and cy > 2 * st[_S_PROV_Y] and \
                                5 * (s2 - lb) <= lb and 5 * (lb - s2) <= lb:
                            # a short interval, then one that makes it up to the usual length
                            # ending on a far steeper peak: the peak between was no beat
                            self.head = (self.head - 1) % _RING
                            self.count -= 1
                            iv = s2
                        elif li and 20 * iv < 13 * li:  # short: perhaps ended on noise
                            st[_S_PROV_IV] = iv
                            st[_S_PROV_Y] = cy
                            st[_S_PROV_LI] = li
                        st[_S_LAST_IV] = iv
                        if iv <= _MAX_IV_MS:
                            self._iv[self.head] = iv
                            self.head = (self.head + 1) % _RING
                            if self.count < _RING:
                                self.count += 1
                        else:  # slower than 30 bpm: no rate to give, but surely too slow
                            self.count = 0
                        d = 1 if iv > self.iv_slow else (2 if iv < self.iv_fast else 0)
                        if d == 0:
                            st[_S_INBAND] += 1
                            if st[_S_INBAND] >= 2:  # one odd interval does not end a run
                                self.oob = 0
                        elif d != self.oob:
                            self.oob = d
                            st[_S_INBAND] = 0
                            oob_age = since - 1 + st[_S_PREV_LEN]
                        st[_S_PREV_LEN] = pos
                        win = (pos * 7) // 20
                        if win < minwin:
                            win = minwin

                    self.have_beat = True
                    since -= pos
                    st[_S_FRAC] = cf
            # y1 is a beat if it rises above both neighbours and clears half the envelope
            if hold:
                hold -= 1
                if not hold:
                    env = pk
            elif y1 > y2 and y1 >= ys and y1 > 0 and y1 * 2 > env:
                if pk and y1 > 3 * pk and st[_S_NPK] >= 3:
                    # far steeper than the beats so far: movement. Intervals across it mean
                    # nothing; look again in 2 s. The out-of-band timing is kept through a
                    # movement shorter than _LOST_MS, so a sleeper who twitches still gets the
                    # slow/fast alarm; a longer one forgets it, as any long gap in the beats does
                    cand = 0
                    self.count = 0
                    self.have_beat = False
                    hold = 2 * fs
                    st[_S_REJ] += 1
                    if st[_S_REJ] >= 4:  # 8 s of it: the pulse itself got stronger
                        pk = 0
                        st[_S_REJ] = 0
                else:  # a peak
                    st[_S_REJ] = 0
                    if pk and y1 <= 3 * pk:
                        pk += (y1 - pk) >> 2
                        if st[_S_NPK] < 3:
                            st[_S_NPK] += 1
                    else:  # the first, or one learnt from too few peaks (noise after a
                        pk = y1  # touch) far steeper: learnt again
                        st[_S_NPK] = 1
                    den = y2 - 2 * y1 + ys
                    frac = 0
                    if den < 0:
                        frac = 8 * (y2 - ys) // den
                    # a candidate beat; a steeper peak soon after it (within 35 % of the last
                    # interval) takes its place: in a weak pulse a dicrotic wave or noise may
                    # come first. (A rate jumping up 2.5 times at once is not merged.)
                    if not cand or y1 > cy:
                        cand = since  # the peak was one sample ago: since - 1 after the beat
                        cy = y1
                        cf = frac
            if not cand and since > lost:
                self._forget()
                since = 0
            y2 = y1
            y1 = ys
        st[_S_LAST] = last
        st[_S_LAST_R] = last_r
        st[_S_MAD] = mad
        st[_S_NBAD] = nbad
        st[_S_ACC] = acc
        st[_S_ACC_R] = acc_r
        st[_S_NACC] = nacc
        st[_S_DC] = dcs
        st[_S_DCR] = dcr
        st[_S_X1] = x1
        st[_S_X2] = x2
        st[_S_X3] = x3
        st[_S_X4] = x4
        st[_S_R1] = r1
        st[_S_R2] = r2
        st[_S_R3] = r3
        st[_S_R4] = r4
        st[_S_Y1] = y1
        st[_S_Y2] = y2
        st[_S_YA] = ya
        st[_S_YB] = yb
        st[_S_YM] = ym
        st[_S_YRM] = yrm
        st[_S_SII] = sii
        st[_S_SIR] = sir
        st[_S_SRR] = srr
        st[_S_NSK] = nsk
        st[_S_ENV] = env
        st[_S_PK] = pk
        st[_S_HOLD] = hold
        st[_S_SINCE] = since
        st[_S_CAND] = cand
        st[_S_CY] = cy
        st[_S_CF] = cf
        st[_S_WIN] = win
        self.level = level
        st[_S_OOB_AGE] = oob_age
        if not level:  # off the skin range: no contact at once; skin is judged once a second
            self.contact = False

    def skin_now(self):
        """Whether the last 5 s of both channels look like a pulse in skin: 1 yes, 0 no.

        R = (red's pulse / red's DC) / (IR's pulse / IR's DC), from the slopes' regression,
        between 0.2 and 0.9, and the two slopes correlated (r >= 0.25)."""
        st = self.st
        if st[_S_NSK] < _SKIN_N:
            return 0
        a = st[_S_SIR]
        b = st[_S_SII]
        c = st[_S_SRR]
        if a <= 0 or b <= 0 or c <= 0:
            return 0
        while b > 0xFFF or c > 0xFFF:  # scaled so the products below stay small ints
            a >>= 1
            b >>= 1
            c >>= 1
        if b == 0 or c == 0:
            return 0
        if a * 10 > b * 9 or a * 5 < b:
            return 0
        return 1 if a * a * 16 >= b * c else 0

    def bpm10(self):
        """Heart rate x10, or -1 when there is no contact or the beats do not agree. Called
        once a second: it also renews the contact verdict."""
        st = self.st
        if self.skin_now():
            st[_S_SKIN] = _SKIN_HOLD
        elif st[_S_SKIN]:
            st[_S_SKIN] -= 1
        self.contact = self.level and st[_S_SKIN] > 0
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
