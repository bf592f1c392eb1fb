# pod.core on MicroPython: a session through every state, button, alarm, tick wrap-around.
# Time starts 5 s before ticks_ms() wraps at 2**30, so every session here crosses the wrap.
from pod import core, light, program
from pod.reasons import REF_ALARM, REF_NO_ALARM, REF_OK

MASK = 0x3FFFFFFF
T0 = (1 << 30) - 5000
# Wind-down 1 min, sleep until the sunrise starts at 5 min, sunrise 15 min, awake at 20 min.
PROG = {"version": 1, "wind_down": {"minutes": 1},
        "wake": {"after_min": 20, "sunrise_min": 15, "sound_lead_min": 10}}
MIN = 60000


class Run:
    """A Pod driven in steps of virtual time, with a healthy heart-rate signal by default."""

    def __init__(self, prog=PROG, t0=T0, settings=None):
        self.t = t0
        self.t0 = t0
        self.pod = core.Pod(program.load(prog), settings or core.Settings(), t0)
        self.inp = core.In()
        self.inp.bpm10 = 600
        self.inp.contact = True
        self.inp.sensor_ok = True
        self.changes = []  # (state, reason, ms since t0)

    def step(self, ms=1000, cmd=core.CMD_NONE, press=False, held_ms=0):
        self.t = (self.t + ms) & MASK
        inp = self.inp
        inp.cmd = cmd
        inp.press = press
        inp.held_ms = held_ms
        out = self.pod.step(self.t, inp)
        if out.changed:
            self.changes.append((self.pod.state, self.pod.reason, self.elapsed()))
        return out

    def elapsed(self):
        return core.ticks_diff(self.t, self.t0)

    def until(self, state, limit_ms, ms=1000):
        end = self.elapsed() + limit_ms
        while self.pod.state != state:
            assert self.elapsed() < end, "no %s within %d ms (state %s)" % (
                core.STATE_NAMES[state], limit_ms, core.STATE_NAMES[self.pod.state])
            self.step(ms)


def test_ticks_diff_wraps_like_time_ticks_diff():
    d = core.ticks_diff
    assert d(5, MASK - 4) == 10
    assert d(MASK - 4, 5) == -10
    assert d(T0, T0) == 0
    assert d((T0 + 12 * 3600 * 1000) & MASK, T0) == 12 * 3600 * 1000
    assert d(0x1FFFFFFF, 0) == 0x1FFFFFFF
    assert d(0x20000000, 0) == -0x20000000


def test_session_goes_through_every_state_across_the_wrap():
    r = Run()
    out = r.step(100, cmd=core.CMD_START)
    assert out.refusal == REF_OK and out.changed
    assert r.pod.state == core.WIND_DOWN
    r.until(core.AWAKE, 21 * MIN)
    names = [core.STATE_NAMES[c[0]] for c in r.changes]
    assert names == ["WIND_DOWN", "SLEEP", "WAKE_RAMP", "AWAKE"], names
    t_sleep = r.changes[1][2]
    t_ramp = r.changes[2][2]
    t_awake = r.changes[3][2]
    assert 1 * MIN <= t_sleep <= 1 * MIN + 1100, t_sleep
    assert 5 * MIN <= t_ramp <= 5 * MIN + 1100, t_ramp
    assert 20 * MIN <= t_awake <= 20 * MIN + 1100, t_awake
    assert r.changes[2][1] == core.R_SCHEDULED
    assert r.pod.reason == core.R_SCHEDULED
    assert r.t < T0  # the ticks wrapped during the session
    out = r.pod.out
    assert out.white == light.level_to_u16(800)  # Settings() wake level
    assert out.r > 200 and out.g > 200 and out.b > 200
    out = r.step(100, press=True)  # a tap answers the wake (unanswered, it would escalate)
    assert out.white > 0 and out.vol == 0 and r.pod.how == 1
    r.until(core.IDLE, 31 * MIN)  # awake_min defaults to 30
    assert r.pod.out.white == 0


def test_wind_down_dims_and_sunrise_brightens():
    r = Run()
    r.step(100, cmd=core.CMD_START)
    first = r.step(1000)
    lvl0 = first.r + first.g + first.b
    r.step(50000)
    lvl1 = r.pod.out.r + r.pod.out.g + r.pod.out.b
    assert r.pod.state == core.WIND_DOWN
    assert lvl1 < lvl0
    assert r.pod.out.tone == 174 and r.pod.out.vol > 0  # the soothing tone
    r.until(core.WAKE_RAMP, 6 * MIN)
    prev = -1
    whites = []
    while r.pod.state == core.WAKE_RAMP:
        o = r.step(30000)
        lv = o.r + o.g + o.b
        assert lv >= prev - 3, (lv, prev)
        prev = lv
        whites.append(o.white)
    assert whites[0] == 0 and max(whites) > 0


def test_button_press_in_sleep_wakes_without_sound():
    r = Run()
    r.step(100, cmd=core.CMD_START)
    r.until(core.SLEEP, 2 * MIN)
    r.step(30000)
    out = r.step(100, press=True, held_ms=1)
    assert out.changed
    assert r.pod.state == core.AWAKE
    assert r.pod.reason == core.R_BUTTON
    assert out.white > 0 and out.tone == 0 and out.vol == 0
    out = r.step(100, held_ms=101)
    assert r.pod.state == core.AWAKE  # a short press does not stop or restart anything


def test_long_press_from_idle_starts_a_session():
    r = Run()
    assert r.pod.state == core.IDLE
    r.step(100, press=True, held_ms=1)
    assert r.pod.state == core.AWAKE  # the lamp comes on at once
    held = 1
    while held < 2100:
        held += 100
        r.step(100, held_ms=held)
    assert r.pod.state == core.WIND_DOWN
    r.step(100)
    assert r.pod.state == core.WIND_DOWN


def test_alarm_is_sticky_until_acknowledged():
    r = Run()
    r.step(100, cmd=core.CMD_START)
    r.until(core.SLEEP, 2 * MIN)
    r.inp.hr_bad = 1  # the estimator: beats below hr_low (40) for hr_hold_s (60 s)
    r.inp.hr_bad_ms = 60000
    r.until(core.ALARM, 2 * MIN)
    assert r.pod.reason == core.R_HR_LOW
    r.inp.hr_bad = 0
    r.inp.hr_bad_ms = -1
    for cmd in (core.CMD_START, core.CMD_STOP, core.CMD_WAKE):
        out = r.step(100, cmd=cmd)
        assert r.pod.state == core.ALARM, core.STATE_NAMES[r.pod.state]
    out = r.step(100, cmd=core.CMD_START)
    assert out.refusal == REF_ALARM
    out = r.step(100, cmd=core.CMD_STOP)
    assert out.refusal == REF_ALARM
    out = r.step(100, press=True, held_ms=1)  # a short press does not silence it
    assert r.pod.state == core.ALARM
    out = r.step(100)
    sounding = 0
    for _ in range(2 * 3600):  # two hours later: still lit and sounding
        out = r.step(1000)
        assert r.pod.state == core.ALARM
        assert out.white == 65535
        if out.tone:
            sounding += 1
    assert sounding > 3600
    out = r.step(100, cmd=core.CMD_ACK)
    assert out.refusal == REF_OK and out.changed
    assert r.pod.state == core.AWAKE
    assert out.tone == 0  # acknowledged: the lights stay, the sound stops
    out = r.step(100, cmd=core.CMD_ACK)
    assert out.refusal == REF_NO_ALARM  # nothing left to acknowledge


def test_long_press_also_acknowledges_an_alarm():
    r = Run()
    r.step(100, cmd=core.CMD_START)
    r.pod.alarm(r.t, core.R_CAP)
    r.step(100, press=True, held_ms=1)
    held = 1
    while held < 2100:
        held += 100
        r.step(100, held_ms=held)
    assert r.pod.state == core.AWAKE


def test_no_signal_in_sleep_raises_the_alarm():
    r = Run({"version": 1, "wind_down": {"minutes": 1}, "wake": {"after_min": 60}})
    r.step(100, cmd=core.CMD_START)
    r.until(core.SLEEP, 2 * MIN)
    r.inp.contact = False
    r.inp.bpm10 = -1
    r.until(core.ALARM, 11 * MIN)
    assert r.pod.reason == core.R_NO_SIGNAL
    # 10 min (no_signal_min) after contact was lost, give or take a step
    lost = r.changes[1][2]
    assert r.changes[-1][2] - lost >= 10 * MIN - 61000


def test_scheduled_wake_comes_before_the_cap():
    prog = {"version": 1, "wind_down": {"minutes": 1}, "wake": {"after_min": 720}}
    r = Run(prog, settings=core.Settings(cap_ms=3600000))  # a one-hour cap
    r.step(100, cmd=core.CMD_START)
    r.until(core.AWAKE, 61 * MIN, ms=5000)
    assert r.pod.reason == core.R_SCHEDULED
    assert r.elapsed() < 60 * MIN


def test_smart_wake_across_the_wrap_without_allocating():
    # wind-down with noise, then a window of 10 min before the wake at 20 min: a heart-rate
    # rise at 12 min wakes early, every step with the heap locked (and across the tick wrap)
    import micropython
    prog = {"version": 1, "wind_down": {"minutes": 1, "sound": "noise", "volume": 20},
            "wake": {"after_min": 20, "window_min": 10, "sunrise_min": 15}}
    r = Run(prog)
    r.step(100, cmd=core.CMD_START)  # loads the smart-wake module: allowed to allocate
    pod = r.pod
    inp = r.inp
    t = r.t
    el = 100
    quiet = 0
    awake_at = -1
    micropython.heap_lock()
    try:
        while el < 21 * MIN:
            t = (t + 500) & MASK
            el += 500
            inp.bpm10 = 700 if 12 * MIN <= el < 22 * MIN else 560
            out = pod.step(t, inp)
            if pod.state == core.WIND_DOWN and out.tone == 0:
                quiet += 1
            if pod.state == core.AWAKE:
                awake_at = el
                break
    finally:
        micropython.heap_unlock()
    assert quiet == 0  # the noise played all through the wind-down
    assert pod.reason == core.R_SMART, (pod.reason, awake_at)
    assert 14 * MIN <= awake_at <= 20 * MIN - 30000, awake_at


def _answered_with_check(check_min=2):
    """A night with a wake-up check, its wake answered by `ack`; returns the Run and the
    answer's time (since t0)."""
    prog = {"version": 1, "wind_down": {"minutes": 1},
            "wake": {"after_min": 20, "sunrise_min": 15, "sound_lead_min": 0,
                     "check_min": check_min}}
    r = Run(prog)
    r.step(100, cmd=core.CMD_START)
    r.until(core.AWAKE, 21 * MIN, ms=100)
    r.step(100, cmd=core.CMD_ACK)
    assert r.pod.silenced and not r.pod.night
    return r, r.elapsed()


def _looking(r):
    import sys
    return "pod.wakecheck" in sys.modules


def test_wake_up_check_looks_a_minute_without_allocating():
    # contact lost right at the check's due time (across the tick wrap): it looks at every step,
    # the module loaded once, nothing allocated per look; contact back: the wake calls
    import micropython
    r, t = _answered_with_check()
    r.inp.contact = False
    while r.elapsed() < t + 2 * MIN:
        r.step(100)
    assert _looking(r) and r.pod.unanswered()  # its first look loaded pod.wakecheck
    micropython.heap_lock()
    try:
        for _ in range(300):  # 30 s more of looks, with the heap locked
            r.step(100)
            assert r.pod.silenced
    finally:
        micropython.heap_unlock()
    r.inp.contact = True
    r.step(100)
    assert r.pod.state == core.AWAKE and not r.pod.silenced and r.pod.reason == core.R_SCHEDULED
    assert r.pod.night and not _looking(r)  # let go once it has called


def test_wake_up_check_ends_after_a_minute_of_someone_up():
    r, t = _answered_with_check()
    r.inp.bpm10 = 900  # up and about
    while r.elapsed() < t + 2 * MIN + 59000:
        r.step(100)
    assert _looking(r) and r.pod.unanswered()
    while r.elapsed() < t + 2 * MIN + 61000:
        r.step(100)
    assert not _looking(r) and not r.pod.unanswered() and r.pod.silenced
    r.inp.bpm10 = 600  # asleep again, too late: the check has ended
    for _ in range(50):
        r.step(1000)
    assert r.pod.silenced or r.pod.state == core.IDLE
