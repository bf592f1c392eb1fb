"""An exhaustive walk of the pure core: every state it can reach, under every input, keeps a
path to waking the sleeper."""
import itertools

M = 60 * 1000
H = 60 * M

INPUTS = ("nothing", "tap", "hold", "wake", "ack", "start", "stop", "hr_low", "hr_high",
          "no_signal", "hr_ok", "minute", "half_hour", "hour")


SHORT = {"version": 1, "wind_down": {"minutes": 20}, "wake": {"after_min": 90, "sunrise_min": 30}}
# the same night with a wake window (smart wake) and a snooze policy
SNOOZY = {"version": 1, "wind_down": {"minutes": 20},
          "wake": {"after_min": 90, "sunrise_min": 30, "window_min": 20, "snooze_min": 5,
                   "max_snoozes": 2}}


def new_pod(fw, prog=SHORT):
    # a short night, so three inputs reach every phase: wind-down 20 min, sleep until 60 min,
    # sunrise until 90 min
    plan = fw.program.load(prog)
    pod = fw.core.Pod(plan, fw.core.Settings(), 0)
    inp = fw.core.In()
    inp.contact = inp.sensor_ok = True
    inp.bpm10 = 600
    inp.clock_s = 22 * 3600
    return pod, inp, [0]


def apply(fw, pod, inp, clock, what):
    """Feed one input to the core as the loop would, advancing time as the input takes."""
    c = fw.core
    t = clock[0]
    if what == "tap":
        inp.press = True
    elif what == "hold":
        inp.press = True
        for dt in range(100, 2300, 100):
            pod.step(t, inp)
            inp.press = False
            inp.held_ms = dt
            t += 100
        inp.held_ms = 0
    elif what in ("wake", "ack", "start", "stop"):
        inp.cmd = getattr(c, "CMD_" + what.upper())
    elif what == "hr_low" or what == "hr_high":
        inp.hr_bad = 1 if what == "hr_low" else 2
        inp.hr_bad_ms = 3 * M
    elif what == "no_signal":
        inp.contact = False
        inp.bpm10 = -1
    elif what == "hr_ok":
        inp.contact = True
        inp.bpm10 = 600
        inp.hr_bad = 0
        inp.hr_bad_ms = -1
    elif what == "minute":
        t += M
    elif what == "half_hour":
        t += 30 * M
    elif what == "hour":
        t += H
    out = pod.step(t, inp)
    inp.press = False
    inp.cmd = 0
    clock[0] = t + 100
    return out


def lit(fw, out, pod):
    d = fw.light.level_to_u16(pod.settings.wake_level)
    m = fw.light.scale(255, d)
    return out.white >= d and max(out.r, out.g, out.b) >= m and max(out.r2, out.g2, out.b2) >= m


def replay(fw, path, prog=SHORT):
    pod, inp, clock = new_pod(fw, prog)
    out = pod.step(0, inp)
    for what in path:
        out = apply(fw, pod, inp, clock, what)
    return pod, inp, clock, out


def test_every_reachable_state_under_every_input_keeps_a_way_to_wake(fw):
    """From every state reached by every sequence of up to three inputs: a tap lights the pod
    within one loop step, unless it is an acknowledged-off IDLE where a tap is a lamp (lit too);
    and with no person at all, time alone brings light before the session cap."""
    c = fw.core
    seen_states = set()
    for n in range(4):
        for path in itertools.product(INPUTS, repeat=n):
            pod, inp, clock, out = replay(fw, path)
            seen_states.add(pod.state)
            # 1. a tap lights the pod in the same step
            p2, i2, c2, _ = replay(fw, path)
            o2 = apply(fw, p2, i2, c2, "tap")
            assert lit(fw, o2, p2), (path, c.STATE_NAMES[p2.state])
            # 2. with nobody there, the pod is lit before the cap, or was never in a session
            p3, i3, c3, o3 = replay(fw, path)
            if p3.night or p3.state == c.ALARM:
                assert lit_within(fw, p3, i3, c3, o3, "hour"), (path, c.STATE_NAMES[p3.state])
    assert seen_states == set(range(len(c.STATE_NAMES)))  # every state was reached


def lit_within(fw, pod, inp, clock, out, step, n=13):
    """Whether the pod is lit now or within n more steps of `step` with nobody there."""
    for _ in range(n):
        if lit(fw, out, pod):
            return True
        out = apply(fw, pod, inp, clock, step)
    return lit(fw, out, pod)


def test_alarm_only_ends_by_acknowledgement(fw):
    """In ALARM, every input but an acknowledgement (long press or ack) leaves it in ALARM."""
    c = fw.core
    for what in INPUTS:
        pod, inp, clock, _ = replay(fw, ("start", "minute", "hr_high"))
        assert pod.state == c.ALARM
        apply(fw, pod, inp, clock, what)
        assert (pod.state == c.ALARM) == (what not in ("ack", "hold")), what


def test_with_snooze_and_a_window_every_state_still_wakes(fw):
    """The same walk with a snooze policy and a wake window: a tap lights the pod, or snoozes a
    scheduled wake (dark, a snooze running, within the policy); and time alone always brings
    light before the cap, from a snooze too."""
    c = fw.core
    snoozed = 0
    for n in range(4):
        for path in itertools.product(INPUTS, repeat=n):
            p2, i2, c2, _ = replay(fw, path, SNOOZY)
            o2 = apply(fw, p2, i2, c2, "tap")
            if not lit(fw, o2, p2):
                assert p2.state == c.SLEEP and p2.snooze_end >= 0, (path, c.STATE_NAMES[p2.state])
                assert 1 <= p2.snoozes <= 2
                snoozed += 1
                assert lit_within(fw, p2, i2, c2, o2, "minute") and p2.snooze_end < 0, path
            p3, i3, c3, o3 = replay(fw, path, SNOOZY)
            if p3.night or p3.state == c.ALARM:
                assert lit_within(fw, p3, i3, c3, o3, "hour"), (path, c.STATE_NAMES[p3.state])
    assert snoozed > 0  # the walk did reach a snooze
