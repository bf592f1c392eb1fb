"""Smart wake and snooze in the pure core: a wake window brings the wake forward when the heart
rate rises over the night's baseline (lighter sleep), never before the window opens and never
after the wake time; a tap on a sounding scheduled wake snoozes it within the program's policy."""
import random

M = 60 * 1000
H = 60 * M
START_CLOCK = 22 * 3600 + 30 * 60  # 22:30: a wake "at" 07:00 is 8.5 h in
WAKE_AT = int(8.5 * H)
WINDOW = {"version": 1, "wake": {"at": "07:00", "window_min": 30, "sunrise_min": 30}}


def make(fw, prog, **settings):
    plan = fw.program.load(prog)
    pod = fw.core.Pod(plan, fw.core.Settings(**settings), 0)
    inp = fw.core.In()
    inp.contact = inp.sensor_ok = True
    inp.bpm10 = 560
    inp.clock_s = START_CLOCK
    inp.cmd = fw.core.CMD_START
    pod.step(0, inp)
    inp.cmd = 0
    return pod, inp


def night(fw, pod, inp, bpm10_at, end=9 * H, step=1000):
    """Step the core with the heart rate bpm10_at(t) (None: no contact). Returns
    [(t, state, reason)] at each change."""
    seen = []
    t = step
    while t < end:
        b = bpm10_at(t)
        inp.contact = b is not None
        inp.bpm10 = -1 if b is None else b
        pod.step(t, inp)
        if not seen or seen[-1][1] != pod.state or seen[-1][2] != pod.reason:
            seen.append((t, pod.state, pod.reason))
        t += step
    return seen


def awake_at(fw, seen) -> tuple[int, int]:
    for t, s, r in seen:
        if s == fw.core.AWAKE:
            return t, r
    raise AssertionError("never awake: %r" % seen)


def bump(at_ms, rise=80, length=10 * M, base=560):
    """A sleeper at a steady rate with one lighter-sleep rise of `rise` bpm x10."""
    return lambda t: base + (rise if at_ms <= t < at_ms + length else 0)


def test_light_sleep_inside_the_window_wakes_early_and_near_it(fw):
    c = fw.core
    pod, inp = make(fw, WINDOW)
    moment = 8 * H + 10 * M  # 06:40, ten minutes into the window
    seen = night(fw, pod, inp, bump(moment))
    t, reason = awake_at(fw, seen)
    assert reason == c.R_SMART
    # the rise has to last 2 min and the rest of the sunrise then takes 5
    assert moment + 2 * M <= t <= moment + 8 * M, (t - moment) / M
    assert t < WAKE_AT - 10 * M
    # the sunrise went on without going dark or jumping back
    ramp = [x for x in seen if x[1] == c.WAKE_RAMP]
    assert ramp and ramp[0][0] == 8 * H  # started at the window's opening as scheduled


def test_light_sleep_before_the_window_is_ignored(fw):
    c = fw.core
    pod, inp = make(fw, WINDOW)
    seen = night(fw, pod, inp, bump(7 * H))  # an hour before the window opens
    assert awake_at(fw, seen) == (WAKE_AT, c.R_SCHEDULED)


def test_no_light_sleep_wakes_at_the_end_of_the_window(fw):
    c = fw.core
    pod, inp = make(fw, WINDOW)
    seen = night(fw, pod, inp, lambda t: 560)
    assert awake_at(fw, seen) == (WAKE_AT, c.R_SCHEDULED)


def test_without_a_window_a_rise_changes_nothing(fw):
    c = fw.core
    pod, inp = make(fw, {"version": 1, "wake": {"at": "07:00", "sunrise_min": 30}})
    seen = night(fw, pod, inp, bump(8 * H + 10 * M))
    assert awake_at(fw, seen) == (WAKE_AT, c.R_SCHEDULED)


def test_smart_wake_from_sleep_starts_a_short_sunrise(fw):
    # the sunrise (15 min) starts after the window (45 min) opens: a rise before it brings a
    # 5-minute sunrise from deep red, not a jump to daylight
    c = fw.core
    prog = {"version": 1, "wake": {"at": "07:00", "window_min": 45, "sunrise_min": 15}}
    pod, inp = make(fw, prog)
    moment = WAKE_AT - 40 * M
    seen = night(fw, pod, inp, bump(moment))
    ramp = [x for x in seen if x[1] == c.WAKE_RAMP]
    assert ramp[0][2] == c.R_SMART and moment < ramp[0][0] <= moment + 3 * M
    t, reason = awake_at(fw, seen)
    assert reason == c.R_SMART and t - ramp[0][0] == 5 * M
    # half a minute into that sunrise: deep red
    pod2, inp2 = make(fw, prog)
    night(fw, pod2, inp2, bump(moment), end=ramp[0][0] + 30 * 1000)
    o = pod2.out
    assert pod2.state == c.WAKE_RAMP and o.r > 0 and o.g * 4 <= o.r and o.b == 0


def test_wake_always_inside_the_window_for_random_heart_rates(fw):
    c = fw.core
    rng = random.Random(6)
    for _ in range(25):
        pod, inp = make(fw, WINDOW)
        # a random walk with random lighter-sleep bumps and signal gaps
        pts = {}
        v = 560
        for m in range(0, 9 * 60 + 1):
            v = max(420, min(800, v + rng.randint(-8, 8)))
            pts[m] = v
        bumps = [rng.randint(6 * 60, 9 * 60) for _ in range(rng.randint(0, 3))]

        def hr(t, pts=pts, bumps=bumps):
            m = t // M
            if m % 97 == 13:
                return None
            return pts[m] + sum(70 for b in bumps if b <= m < b + 6)

        seen = night(fw, pod, inp, hr, step=2000)
        t, reason = awake_at(fw, seen)
        assert reason in (c.R_SMART, c.R_SCHEDULED)
        assert WAKE_AT - 30 * M <= t <= WAKE_AT, t / M
        if reason == c.R_SCHEDULED:
            assert t == WAKE_AT


def test_fail_safe_keeps_priority_inside_the_window(fw):
    c = fw.core
    pod, inp = make(fw, WINDOW)
    night(fw, pod, inp, bump(8 * H + 5 * M), end=8 * H + 6 * M)
    inp.hr_bad = 2
    inp.hr_bad_ms = 61000
    pod.step(8 * H + 6 * M, inp)
    assert pod.state == c.ALARM and pod.reason == c.R_HR_HIGH


SNOOZE = {"version": 1, "wake": {"after_min": 60, "sunrise_min": 15, "snooze_min": 5,
                                 "max_snoozes": 2}}


def tap(fw, pod, inp, t):
    inp.press = True
    out = pod.step(t, inp)
    inp.press = False
    return out


def test_tap_snoozes_within_the_policy_then_silences(fw):
    c = fw.core
    pod, inp = make(fw, SNOOZE)
    night(fw, pod, inp, lambda t: 560, end=60 * M + 1000)
    assert pod.state == c.AWAKE and pod.out.vol > 0
    for n in range(2):
        t0 = 60 * M + 1000 + n * 6 * M
        out = tap(fw, pod, inp, t0)
        assert pod.state == c.SLEEP and out.vol == 0 and out.white == 0  # snoozing: dark, quiet
        out = pod.step(t0 + 5 * M - 1000, inp)
        assert pod.state == c.SLEEP
        out = pod.step(t0 + 5 * M, inp)
        assert pod.state == c.AWAKE and pod.reason == c.R_SCHEDULED and out.vol > 0
        pod.step(t0 + 6 * M - 1000, inp)
    out = tap(fw, pod, inp, 60 * M + 13 * M)  # the third tap: no snooze left, just quiet
    assert pod.state == c.AWAKE and out.vol == 0 and out.white > 0


def test_no_snooze_by_default_after_a_button_wake_or_past_the_cap(fw):
    c = fw.core
    pod, inp = make(fw, {"version": 1, "wake": {"after_min": 60}})
    night(fw, pod, inp, lambda t: 560, end=60 * M + 1000)
    tap(fw, pod, inp, 60 * M + 2000)
    assert pod.state == c.AWAKE  # max_snoozes defaults to 0
    # a sleeper woken by their own tap is not snoozed by the next one
    pod, inp = make(fw, SNOOZE)
    night(fw, pod, inp, lambda t: 560, end=30 * M)
    tap(fw, pod, inp, 30 * M)
    assert pod.state == c.AWAKE and pod.reason == c.R_BUTTON
    tap(fw, pod, inp, 31 * M)
    assert pod.state == c.AWAKE
    # a snooze never reaches past the session cap (1 h here; the wake is moved before it)
    pod, inp = make(fw, {"version": 1, "wake": {"after_min": 59, "sunrise_min": 15,
                                                "snooze_min": 9, "max_snoozes": 3}},
                    cap_ms=H)
    night(fw, pod, inp, lambda t: 560, end=59 * M + 1000)
    assert pod.state == c.AWAKE
    tap(fw, pod, inp, 59 * M + 2000)
    assert pod.state == c.AWAKE


def test_holding_through_a_snoozing_tap_switches_off(fw):
    c = fw.core
    pod, inp = make(fw, SNOOZE)
    night(fw, pod, inp, lambda t: 560, end=60 * M + 1000)
    t = 60 * M + 1000
    tap(fw, pod, inp, t)
    assert pod.state == c.SLEEP
    for dt in range(100, 2300, 100):
        inp.held_ms = dt
        pod.step(t + dt, inp)
    inp.held_ms = 0
    assert pod.state == c.IDLE


def test_wind_down_noise_and_dithered_pixels(fw):
    c = fw.core
    s = fw.sound
    pod, inp = make(fw, {"version": 1, "wind_down": {"minutes": 30, "sound": "noise",
                                                     "volume": 30},
                         "wake": {"after_min": 480}})
    tones = set()
    for t in range(0, 20 * M, 500):
        out = pod.step(t, inp)
        assert pod.state == c.WIND_DOWN
        assert 0 < out.vol <= 300
        assert s.NOISE_LOW_HZ <= out.tone <= s.NOISE_LOW_HZ + 28 * s.NOISE_STEP_HZ
        tones.add(out.tone)
        for a, b in ((out.r, out.r2), (out.g, out.g2), (out.b, out.b2)):
            assert 0 <= a - b <= 1
    assert len(tones) > 10
    pod, inp = make(fw, {"version": 1, "wind_down": {"sound": "none"},
                         "wake": {"after_min": 480}})
    assert pod.step(60000, inp).vol == 0
