"""The example sleep programs in programs/: each is valid, and each runs a whole night on the
simulated pod (the real firmware on the fake board) with what its name promises."""
import json
from pathlib import Path

import pytest

from simulator import cli
from simulator.night import NightSpec, run_night

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "programs"
EXAMPLES = ("default", "nap", "weekday", "child")
M = 60000


def load(name):
    return json.loads((PROGRAMS / (name + ".json")).read_text())


def test_every_example_is_listed_and_valid(fw):
    assert sorted(p.stem for p in PROGRAMS.glob("*.json")) == sorted(EXAMPLES)
    for name in EXAMPLES:
        assert fw.program.validate(load(name)) == [], name


def test_default_file_is_the_built_in_default(fw):
    assert load("default") == fw.program.DEFAULT


def night_json(capsys, *args):
    assert cli.main(["night", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def states(res):
    return [s["state"] for s in res["states"]]


@pytest.mark.parametrize("name, start, wake_clock", [
    ("default", "05:00", "07:00"),
    ("child", "05:00", "07:00"),
    ("weekday", "04:30", "06:45"),
])
def test_example_runs_a_night_to_its_wake_time(capsys, name, start, wake_clock):
    res = night_json(capsys, "--program", str(PROGRAMS / (name + ".json")), "--start", start,
                     "--sleeper", "steady")
    assert res["program"] == load(name)["name"]
    seq = states(res)
    i = seq.index("WIND_DOWN")  # after the tap that lit the lamp and the hold that started
    assert seq[i:i + 4] == ["WIND_DOWN", "SLEEP", "WAKE_RAMP", "AWAKE"]
    assert states(res)[-1] == "IDLE"  # the sleeper got up and switched it off
    assert [w["reason"] for w in res["wakes"]] == ["scheduled"]
    h, m = (int(x) for x in wake_clock.split(":"))
    sh, sm = (int(x) for x in start.split(":"))
    due = ((h - sh) * 60 + (m - sm)) * M
    lit = res["wakes"][0]["lit_ms"]
    assert due <= lit <= due + 10 * 1000, (lit - due)
    assert res["resets"] == []


def test_nap_is_half_an_hour(capsys):
    res = night_json(capsys, "--program", str(PROGRAMS / "nap.json"), "--start", "14:00")
    t = {s["state"]: s["t_ms"] for s in res["states"]}
    start = t["WIND_DOWN"]
    assert t["SLEEP"] - start == pytest.approx(5 * M, abs=1000)
    assert t["WAKE_RAMP"] - start == pytest.approx(15 * M, abs=1000)
    assert t["AWAKE"] - start == pytest.approx(30 * M, abs=1000)


def test_child_keeps_a_warm_night_light_all_night():
    res, _ = run_night(NightSpec(program=load("child"), start_clock="05:00"))
    asleep = [s for s in res.samples if s.state == "SLEEP"]
    assert len(asleep) > 60 * 60
    for s in asleep:
        r, g, b = s.rgb
        assert 0 < r <= 40 and g < r and b == 0 and s.white == 0 and s.volume == 0, s
    # the adult default is dark
    res, _ = run_night(NightSpec(start_clock="05:00", duration_ms=90 * M))
    assert all(s.rgb == (0, 0, 0) and s.rgb2 == (0, 0, 0)
               for s in res.samples if s.state == "SLEEP")


def test_weekday_winds_down_with_soft_noise_and_breathing_light():
    res, _ = run_night(NightSpec(program=load("weekday"), start_clock="04:30",
                                 duration_ms=25 * M))
    wd = [s for s in res.samples if s.state == "WIND_DOWN"]
    tones = {s.tone for s in wd if s.tone}
    assert len(tones) > 10 and max(tones) < 400  # a low wandering tone, not one note
    assert all(s.volume <= 150 for s in wd)
    # paced breathing at 6 a minute: the red channel swells and falls every 10 s
    reds = [s.rgb[0] for s in wd[60:120]]
    peaks = sum(1 for i in range(1, len(reds) - 1) if reds[i - 1] < reds[i] >= reds[i + 1])
    assert 5 <= peaks <= 7, reds


def test_invalid_program_is_refused_with_every_error(tmp_path, capsys):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"version": 1, "wind_down": {"sound": "rain"},
                             "wake": {"at": "06:45", "window_min": 90, "wake_brightness": 5}}))
    assert cli.main(["night", "--program", str(p)]) == 2
    assert capsys.readouterr().err == (
        "pod-sim: %s is not a valid sleep program:\n"
        "  wind_down.sound: 'rain' is not one of tone, noise, none\n"
        "  wake.wake_brightness: a safety limit, set only in the pod's settings\n"
        "  wake.window_min: 90 is above the maximum 60\n" % p)
