"""The pure state machine: what the sleeper would see and hear, step by step."""
import pytest

WRAP = 1 << 30


def make(fw, prog=None, now=0, **settings):
    plan = fw.program.load(prog or fw.program.DEFAULT)
    pod = fw.core.Pod(plan, fw.core.Settings(**settings), now)
    inp = fw.core.In()
    inp.contact = inp.sensor_ok = True  # a healthy sleeper on the sensor unless a test says not
    inp.bpm10 = 600
    inp.clock_s = 23 * 3600  # a set clock (a wake "at" a time is refused on an unset one)
    return pod, inp


def run(pod, inp, start, end, step=1000):
    """Step from start to end (ms, may wrap); returns [(t, state)] at each state change."""
    seen = []
    t = start
    while t < end:
        out = pod.step(t % WRAP, inp)
        inp.cmd = 0
        inp.press = False
        if not seen or seen[-1][1] != pod.state:
            seen.append((t, pod.state))
        t += step
    return seen, out


def lit(fw, out, level=800):
    d = fw.light.level_to_u16(level)
    strip_min = fw.light.scale(255, d)
    return (out.white >= d and max(out.r, out.g, out.b) >= strip_min
            and max(out.r2, out.g2, out.b2) >= strip_min)


def test_default_night_walks_every_phase_on_time(fw):
    c = fw.core
    pod, inp = make(fw)
    inp.clock_s = 22 * 3600 + 30 * 60  # 22:30
    inp.cmd = c.CMD_START
    seen, out = run(pod, inp, 0, 9 * 3600 * 1000)
    states = [s for _, s in seen]
    # nobody answers the wake: 20 minutes later (the default answer window) it escalates
    assert states == [c.WIND_DOWN, c.SLEEP, c.WAKE_RAMP, c.AWAKE, c.ALARM]
    times = {s: t for t, s in seen}
    assert times[c.SLEEP] == 30 * 60000          # 30 min of wind-down
    assert times[c.WAKE_RAMP] == 8 * 3600000     # sunrise starts at 06:30
    assert times[c.AWAKE] == int(8.5 * 3600000)  # awake at 07:00
    assert times[c.ALARM] == int(8.5 * 3600000) + 20 * 60000
    assert pod.reason == c.R_UNANSWERED


def test_session_survives_tick_wraparound(fw):
    c = fw.core
    start = WRAP - 20 * 60000  # the ticks counter wraps 20 minutes in
    pod, inp = make(fw, now=start)
    inp.clock_s = 22 * 3600 + 30 * 60
    inp.cmd = c.CMD_START
    seen, _ = run(pod, inp, start, start + 9 * 3600 * 1000)
    assert [s for _, s in seen] == [c.WIND_DOWN, c.SLEEP, c.WAKE_RAMP, c.AWAKE, c.ALARM]
    assert {s: t - start for t, s in seen}[c.AWAKE] == int(8.5 * 3600000)


def test_idle_is_dark_and_silent(fw):
    pod, inp = make(fw)
    out = pod.step(0, inp)
    assert (out.r, out.g, out.b, out.white, out.vol) == (0, 0, 0, 0, 0)


def test_button_wakes_a_sleeper_in_the_same_step(fw):
    c = fw.core
    pod, inp = make(fw)
    inp.cmd = c.CMD_START
    run(pod, inp, 0, 3600 * 1000)
    assert pod.state == c.SLEEP
    inp.press = True
    out = pod.step(3600 * 1000, inp)
    assert pod.state == c.AWAKE and pod.reason == c.R_BUTTON
    assert lit(fw, out)


def test_wind_down_is_warm_dimming_and_soothing(fw):
    c = fw.core
    pod, inp = make(fw)
    inp.cmd = c.CMD_START
    pod.step(0, inp)
    inp.cmd = 0
    first = pod.step(2000, inp)  # (after the start's blue confirmation)
    r0, b0, snd = first.r, first.b, first.vol
    late = pod.step(25 * 60000, inp)
    assert r0 > b0 and late.r > late.b           # warm: more red than blue
    assert max(late.r, late.g, late.b) < max(r0, 1)  # dimmer near the end
    assert first.tone == fw.sound.SOOTHE_HZ and snd > 0


def test_sunrise_goes_from_red_to_white_and_ends_lit(fw):
    c = fw.core
    pod, inp = make(fw, {"version": 1, "wake": {"after_min": 60, "sunrise_min": 30}})
    inp.cmd = c.CMD_START
    pod.step(0, inp)
    inp.cmd = 0
    early = pod.step(36 * 60000, inp)
    assert pod.state == c.WAKE_RAMP
    assert early.r > 0 and early.b == 0 and early.g * 4 <= early.r  # deep red first
    mid = pod.step(45 * 60000, inp)
    assert mid.r > mid.g > mid.b                                      # amber
    end = pod.step(59 * 60000 + 59000, inp)
    assert end.b > 200 and end.vol > 0                                # near daylight, sounding
    done = pod.step(60 * 60000, inp)
    assert pod.state == c.AWAKE and lit(fw, done) and done.vol > 0


def test_alarm_is_sticky_until_acknowledged(fw):
    c = fw.core
    pod, inp = make(fw)
    inp.cmd = c.CMD_START
    pod.step(0, inp)
    pod.alarm(1000, c.R_CAP)
    for cmd in (c.CMD_WAKE, c.CMD_START, c.CMD_STOP):
        inp.cmd = cmd
        out = pod.step(2000, inp)
        assert pod.state == c.ALARM
    assert out.refusal == c._REF_ALARM  # refused until acknowledged
    inp.cmd = 0
    inp.press = True       # a short press does not silence a fail-safe alarm
    out = pod.step(3000, inp)
    inp.press = False
    assert pod.state == c.ALARM and out.vol > 0 and lit(fw, out)
    inp.cmd = c.CMD_ACK
    out = pod.step(4000, inp)
    assert pod.state == c.AWAKE and out.vol == 0 and lit(fw, out)


def test_long_press_acknowledges_the_alarm(fw):
    c = fw.core
    pod, inp = make(fw)
    pod.alarm(0, 4)
    inp.press = True
    pod.step(100, inp)
    inp.press = False
    for t in range(200, 2400, 100):
        inp.held_ms = t - 100
        pod.step(t, inp)
    assert pod.state == c.AWAKE


def test_long_press_from_idle_starts_the_night_and_again_ends_the_day(fw):
    c = fw.core
    pod, inp = make(fw)
    inp.press = True
    out = pod.step(0, inp)
    assert pod.state == c.AWAKE and lit(fw, out)  # a tap is a lamp
    inp.press = False
    for t in range(100, 2200, 100):
        inp.held_ms = t
        pod.step(t, inp)
    assert pod.state == c.WIND_DOWN
    inp.held_ms = 0
    pod.step(3000, inp)


@pytest.mark.parametrize("bad,reason", [(1, "R_HR_LOW"), (2, "R_HR_HIGH")])
def test_heart_rate_out_of_band_for_the_hold_time_alarms(fw, bad, reason):
    c = fw.core
    pod, inp = make(fw)
    inp.cmd = c.CMD_START
    run(pod, inp, 0, 3600 * 1000)
    hold = pod.plan.hr_hold_ms
    inp.hr_bad = bad
    for t in range(0, hold + 1000, 500):  # the estimator reports how long it has lasted
        inp.hr_bad_ms = t
        out = pod.step(3600 * 1000 + t, inp)
        if t < hold:
            assert pod.state == c.SLEEP
    assert pod.state == c.ALARM and pod.reason == getattr(c, reason)
    assert out.vol > 0 and lit(fw, out)


def test_a_brief_excursion_does_not_alarm(fw):
    c = fw.core
    pod, inp = make(fw)
    inp.cmd = c.CMD_START
    run(pod, inp, 0, 3600 * 1000)
    inp.hr_bad = 2
    for t in range(0, 30000, 1000):
        inp.hr_bad_ms = t
        pod.step(3600 * 1000 + t, inp)
    inp.hr_bad = 0
    inp.hr_bad_ms = -1
    run(pod, inp, 3630 * 1000, 3700 * 1000)
    assert pod.state == c.SLEEP


def test_no_signal_while_asleep_alarms_after_the_grace_time(fw):
    c = fw.core
    pod, inp = make(fw)
    inp.cmd = c.CMD_START
    inp.contact = inp.sensor_ok = True
    inp.bpm10 = 600
    run(pod, inp, 0, 3600 * 1000)
    inp.contact = False
    inp.bpm10 = -1
    grace = pod.plan.nosig_ms
    seen, _ = run(pod, inp, 3600 * 1000, 3600 * 1000 + grace + 2000)
    assert pod.state == c.ALARM and pod.reason == c.R_NO_SIGNAL


def test_session_cap_cannot_be_raised_past_12_hours(fw):
    c = fw.core
    assert c.Settings(cap_ms=48 * 3600 * 1000).cap_ms == 12 * 3600 * 1000
    assert c.Settings(wake_level=0).wake_level >= 300


def test_cap_wakes_even_if_the_schedule_is_broken(fw):
    c = fw.core
    pod, inp = make(fw, cap_ms=2 * 3600 * 1000)
    inp.cmd = c.CMD_START
    pod.step(0, inp)
    inp.cmd = 0
    pod.wake_target = pod.rise_start = 10 ** 9  # a plan that would never wake
    seen, _ = run(pod, inp, 1000, 2 * 3600 * 1000 + 2000)
    assert pod.state == c.ALARM and pod.reason == c.R_CAP


def test_alarm_strip_pattern_alternates_and_stays_bright(fw):
    pod, inp = make(fw)
    pod.alarm(0, 9)
    a = pod.step(100, inp)
    first = (a.r, a.g, a.b, a.r2, a.g2, a.b2)
    b = pod.step(600, inp)
    second = (b.r, b.g, b.b, b.r2, b.g2, b.b2)
    assert first != second and first[:3] == second[3:] and lit(fw, b)


def test_start_is_refused_during_a_night_so_the_cap_clock_is_not_reset(fw):
    c = fw.core
    pod, inp = make(fw)
    inp.cmd = c.CMD_START
    pod.step(0, inp)
    t0 = pod.t_session
    inp.cmd = c.CMD_START
    out = pod.step(3600 * 1000, inp)
    assert out.refusal == c._REF_NIGHT
    assert pod.t_session == t0 and pod.state == c.SLEEP


def test_estimator_calls_a_pulse_below_30_bpm_too_slow(fw):
    """Beats slower than the estimator will put a number on still start an hr_low run."""
    from simulator.hw.sleeper import Sleeper
    s = Sleeper(2)
    s.override = 24.0
    e = fw.hr.Estimator(25)
    e.set_band(40, 130)
    for i in range(25 * 40):
        red, ir = s.sample(i * 40)
        e.add(ir, red)
    assert e.oob == 1 and e.bad_ms() > 30000 and e.bpm10() == -1
