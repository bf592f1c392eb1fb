"""The fail-safe alarm cannot be mistaken for anything else the pod shows or plays: whole
nights of every example program (pure core, 1 s steps, with snoozes and a smart wake) never
show its pattern or play its siren, and the alarm always does both."""
import json
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
M = 60000


def alarm_like(out):
    """Even and odd pixels of clearly different colours (more than one step apart)."""
    return any(abs(a - b) > 1 for a, b in ((out.r, out.r2), (out.g, out.g2), (out.b, out.b2)))


@pytest.mark.parametrize("name", ["default", "nap", "weekday", "child"])
def test_no_other_state_looks_or_sounds_like_the_alarm(fw, name):
    c = fw.core
    prog = json.loads((PROGRAMS / (name + ".json")).read_text())
    pod = c.Pod(fw.program.load(prog), c.Settings(), 0)
    inp = c.In()
    inp.contact = inp.sensor_ok = True
    inp.clock_s = 22 * 3600 + 30 * 60
    inp.cmd = c.CMD_START
    seen = set()
    t = 0
    taps = 0
    while t < 13 * 60 * M:
        # a lighter-sleep rise before 06:40 (smart wake in the weekday window); taps once awake
        inp.bpm10 = 650 if 7 * 60 * M + 50 * M <= t < 8 * 60 * M + 20 * M else 560
        inp.press = pod.state == c.AWAKE and taps < 3 and t % (4 * M) == 0
        taps += inp.press
        out = pod.step(t, inp)
        inp.cmd = 0
        seen.add(pod.state)
        assert pod.state != c.ALARM
        assert not alarm_like(out), (t, pod.state, out.r, out.g, out.b, out.r2, out.g2, out.b2)
        assert out.tone not in (1800, 2400), (t, pod.state, out.tone)
        t += 1000
    assert {c.WIND_DOWN, c.SLEEP, c.WAKE_RAMP, c.AWAKE} <= seen


def test_the_alarm_shows_its_pattern_and_sounds_its_siren(fw):
    c = fw.core
    pod = c.Pod(fw.program.load(fw.program.DEFAULT), c.Settings(), 0)
    inp = c.In()
    pod.alarm(0, c.R_CAP)
    frames = []
    tones = set()
    for t in range(0, 2000, 100):
        out = pod.step(t, inp)
        assert alarm_like(out) and out.white == 65535
        assert out.vol == (1000 if out.tone else 0)
        frames.append((out.r, out.g, out.b, out.r2, out.g2, out.b2))
        tones.add(out.tone)
    assert {1800, 2400} <= tones
    assert frames[0][:3] == frames[5][3:] and frames[0][3:] == frames[5][:3]  # swap at 0.5 s
