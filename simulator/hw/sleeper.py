# A simulated sleeper: heart rate over the night and the optical signal a MAX30102 would see.
# Portable (runs on MicroPython too) and deterministic for a given seed.
import math

# One beat of a fingertip/skin PPG (blood volume), 0..1000, over its first 800 ms: a quick
# systolic rise, a slower fall with a dicrotic wave, then the diastolic baseline. The shape
# keeps its timing at slow rates (a slow heart has a longer rest, not a slower beat) and is
# compressed only when beats come faster than 800 ms. The sensor sees the inverse: more
# blood, less reflected light.
_WAVE_N = 64
_WAVE_MS = 800.0


def _wave():
    w = []
    for i in range(_WAVE_N):
        x = i / _WAVE_N
        v = math.exp(-((x - 0.18) / 0.09) ** 2) + 0.45 * math.exp(-((x - 0.48) / 0.14) ** 2)
        w.append(v)
    top = max(w)
    return [int(1000 * v / top) for v in w]


WAVE = _wave()


def night_hr(min_since_start):
    """A plausible heart rate (bpm) for an adult through a night, by minutes since lights-out.

    Settling from about 68 bpm to the mid 50s over the first 90 minutes, 90-minute sleep cycles
    with faster REM periods that lengthen towards morning, and a rise before waking."""
    m = min_since_start
    settle = 68 - 12 * (1 - math.exp(-m / 35.0))
    cycle = math.sin(2 * math.pi * (m - 60) / 90.0)
    rem = 2.5 + 2.0 * min(1.0, m / 420.0)
    morning = 5.0 / (1 + math.exp(-(m - 470) / 12.0))
    return settle + rem * max(0.0, cycle) - 1.5 * max(0.0, -cycle) + morning


def _index(phase, hr):
    """Index into WAVE for a beat phase (0..1) at a heart rate (bpm)."""
    per = 60000.0 / hr
    if per <= _WAVE_MS:
        return int(phase * _WAVE_N)
    k = int(phase * per * _WAVE_N / _WAVE_MS)
    return k if k < _WAVE_N else _WAVE_N - 1


# Breathing modulates the baseline: one 4.1 s breath (about 15 a minute) in 64 steps of 64 ms.
_RESP = [math.sin(2 * math.pi * i / 64) for i in range(64)]


class Sleeper:
    def __init__(self, seed=1, profile=None):
        self.seed = seed & 0x7FFFFFFF or 1
        self.profile = profile or night_hr
        self.override = 0.0   # a forced heart rate (a fault), 0 for the profile
        self.contact = True   # skin on the sensor
        self.phase = 0.0
        self.t_ms = 0
        self._t_hr = 0
        self.hr = self.profile(0)
        self.dc_ir = 150000
        self.dc_red = 120000
        self.amp = 900        # pulse amplitude in counts
        self.resp = 0.0015    # breathing swing, as a fraction of the baseline
        # Optional realism, all off by default (the default night stays as it was):
        self.hrv = 0.0        # beat-to-beat variability: each beat's rate off by up to this fraction
        self.rsa = 0.0        # respiratory sinus arrhythmia: rate swings with breathing, fraction
        self.move_until = 0   # moving on the sensor until this time (ms): a sway and a shift
        self.move_amp = 4000  # counts, of that sway
        self.saturated = False  # bright light floods the photodiode: full-scale readings
        self.gain = 1000      # permille: a posture change alters the light path (DC and pulse)
        self._g0 = 1000       # ...ramping from _g0 at _gt0 to _g1 at _gt1 (ms)
        self._g1 = 1000
        self._gt0 = 0
        self._gt1 = 0
        self._beat_k = 1.0
        self._amp0 = self.amp
        self._tables()

    def set_perfusion(self, frac):
        """Perfusion changes (cold hands, vasoconstriction): the pulse at frac of its normal size."""
        self.amp = max(1, int(self._amp0 * frac))
        self._tables()

    def move(self, t_ms, seconds):
        """The sleeper moves on the sensor for `seconds` from t_ms."""
        self.move_until = t_ms + int(seconds * 1000)

    def posture(self, t_ms, seconds, frac):
        """A slow posture change from t_ms: the light reaching the sensor (its DC and the
        pulse alike) changes by frac (e.g. -0.3) over `seconds`, and stays so."""
        self._g0 = self.gain
        self._g1 = max(1, int(self.gain * (1 + frac)))
        self._gt0 = t_ms
        self._gt1 = t_ms + int(seconds * 1000)

    def _extras(self):
        return self.hrv or self.rsa or self.move_until > self.t_ms or self.saturated or \
            self.gain != 1000 or self._g1 != self.gain

    def _tables(self):
        """Recompute the per-sample lookups after changing dc_*, amp or resp."""
        self._resp_ir = [int(self.dc_ir * (1 + self.resp * r)) for r in _RESP]
        self._resp_red = [int(self.dc_red * (1 + self.resp * r)) for r in _RESP]
        self._pulse_ir = [self.amp * w // 1000 for w in WAVE]
        self._pulse_red = [self.amp * 6 * w // 10000 for w in WAVE]

    def true_hr(self, t_ms):
        if self.override:
            return self.override
        return self.profile(t_ms / 60000.0)

    def sample(self, t_ms):
        """(red, ir) counts at t_ms (times must not go backwards)."""
        dt = t_ms - self.t_ms
        self.t_ms = t_ms
        if dt > 0:
            if t_ms >= self._t_hr:  # the rate is updated once a second
                self.hr = self.true_hr(t_ms)
                self._t_hr = t_ms + 1000
            hr = self.hr
            if self.rsa:
                hr *= 1 + self.rsa * _RESP[(t_ms >> 6) & 63]
            if self.hrv:
                hr *= self._beat_k
            ph = self.phase + hr * dt / 60000.0
            if ph >= 1 and self.hrv:  # a new beat: its own rate, within +-hrv
                self.seed = (self.seed * 1103515245 + 12345) & 0x7FFFFFFF
                self._beat_k = 1 + self.hrv * (((self.seed >> 8) & 1023) - 512) / 512.0
            self.phase = ph - int(ph)
        seed = (self.seed * 1103515245 + 12345) & 0x7FFFFFFF
        self.seed = seed
        n1 = ((seed >> 8) & 63) - 32
        n2 = ((seed >> 16) & 63) - 32
        if self.saturated:
            return 0x3FFFF, 0x3FFFF
        if not self.contact:
            return 900 + n1, 1200 + n2
        k = _index(self.phase, self.hr)
        r = (t_ms >> 6) & 63
        red = self._resp_red[r] - self._pulse_red[k] + n2
        ir = self._resp_ir[r] - self._pulse_ir[k] + n1
        if self._g1 != self.gain and t_ms >= self._gt0:  # a posture change under way
            if t_ms >= self._gt1:
                self.gain = self._g1
            else:
                self.gain = self._g0 + (self._g1 - self._g0) * (t_ms - self._gt0) // (
                    self._gt1 - self._gt0)
        if self.gain != 1000:
            red = red * self.gain // 1000
            ir = ir * self.gain // 1000
        if t_ms < self.move_until:  # a 2 Hz sway (in the heart-rate band) and a shifted baseline
            m = int(self.move_amp * _RESP[(t_ms >> 3) & 63]) + self.move_amp // 2
            red += m
            ir += m
        return red, ir

    def block(self, t0_us, per_us, n):
        """n samples, the first at t0_us + per_us, spaced per_us: two lists (red, ir).

        The same signal as n calls of sample(), with the per-call overhead paid once."""
        if self._extras():  # the optional effects: sample by sample
            reds = [0] * n
            irs = [0] * n
            for j in range(n):
                reds[j], irs[j] = self.sample((t0_us + (j + 1) * per_us) // 1000)
            return reds, irs
        # (the hot loop of a simulated night: _index inlined, the beat period kept until the
        # rate changes, time counted on in us; the very same arithmetic, so the same samples)
        reds = [0] * n
        irs = [0] * n
        phase = self.phase
        t_prev = self.t_ms
        hr = self.hr
        t_hr = self._t_hr
        seed = self.seed
        contact = self.contact
        rr = self._resp_red
        ri = self._resp_ir
        pr = self._pulse_red
        pi = self._pulse_ir
        per = 60000.0 / hr
        slow = per > _WAVE_MS
        step_dt = -1   # the phase step hr * dt / 60000.0, kept while hr and dt stay the same
        step = 0.0
        tu = t0_us
        wn = _WAVE_N
        # The first sample follows the last one by any time; when the spacing is whole ms,
        # the others follow it by exactly that, and a faster loop below does them.
        m = min(n, 1) if per_us > 0 and per_us % 1000 == 0 else n
        for j in range(m):
            tu += per_us
            t = tu // 1000
            dt = t - t_prev
            t_prev = t
            if dt > 0:
                if t >= t_hr:
                    hr = self.true_hr(t)
                    t_hr = t + 1000
                    per = 60000.0 / hr
                    slow = per > _WAVE_MS
                    step_dt = -1
                if dt != step_dt:
                    step = hr * dt / 60000.0
                    step_dt = dt
                phase += step
                if phase >= 1.0:  # (below 1 the integer part is 0: nothing to take off)
                    phase -= int(phase)
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            if contact:
                if slow:
                    k = int(phase * per * wn / _WAVE_MS)
                    if k >= wn:
                        k = wn - 1
                else:
                    k = int(phase * wn)
                r = (t >> 6) & 63
                reds[j] = rr[r] - pr[k] + ((seed >> 16) & 63) - 32
                irs[j] = ri[r] - pi[k] + ((seed >> 8) & 63) - 32
            else:
                reds[j] = 868 + ((seed >> 8) & 63)
                irs[j] = 1168 + ((seed >> 16) & 63)
        if m < n:  # (the loop above with dt always per_ms: the same arithmetic, less of it)
            dt = per_us // 1000
            t = t_prev
            if dt != step_dt:
                step = hr * dt / 60000.0
            wms = _WAVE_MS
            pw = per * wn  # (phase * per * wn: times 64, a power of two, exact either way)
            for j in range(m, n):
                t += dt
                if t >= t_hr:
                    hr = self.true_hr(t)
                    t_hr = t + 1000
                    per = 60000.0 / hr
                    pw = per * wn
                    slow = per > wms
                    step = hr * dt / 60000.0
                phase += step
                if phase >= 1.0:
                    phase -= int(phase)
                seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
                if contact:
                    if slow:
                        k = int(phase * pw / wms)
                        if k >= wn:
                            k = wn - 1
                    else:
                        k = int(phase * wn)
                    r = (t >> 6) & 63
                    reds[j] = rr[r] - pr[k] + ((seed >> 16) & 63) - 32
                    irs[j] = ri[r] - pi[k] + ((seed >> 8) & 63) - 32
                else:
                    reds[j] = 868 + ((seed >> 8) & 63)
                    irs[j] = 1168 + ((seed >> 16) & 63)
            t_prev = t
        self.phase = phase
        self.t_ms = t_prev
        self.hr = hr
        self._t_hr = t_hr
        self.seed = seed
        return reds, irs


# -- Sleepers for smart-wake demonstrations: profiles whose lighter-sleep moments are known. --

def steady_hr(min_since_start):
    """A calm sleeper with no lighter-sleep moment: settling from 68 to 56 bpm, then steady.

    No REM swings and no rise before waking, so a smart wake has nothing to find in it."""
    return 68 - 12 * (1 - math.exp(-min_since_start / 35.0))


def with_light_sleep(moments, base=steady_hr, rise=8.0, minutes=12.0):
    """A profile: `base` plus a lighter-sleep episode at each of `moments` (minutes since the
    simulation started): the rate climbs by `rise` bpm over two minutes, holds, and settles
    back over the last two, `minutes` in all. The moments are the truth a smart wake should
    find."""
    moments = tuple(moments)

    def profile(m):
        v = base(m)
        for s in moments:
            d = m - s
            if 0 <= d < minutes:
                v += rise * min(1.0, d / 2.0, (minutes - d) / 2.0)
        return v

    return profile
