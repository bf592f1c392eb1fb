"""Smart wake on the whole simulated pod: the firmware's heart-rate estimator reading the
sensor model, a sleeper whose lighter-sleep moment is known, the weekday program's window
(06:15-06:45)."""
import json
from pathlib import Path

import pytest

from simulator.night import NightSpec, parse_sleeper, run_night

PROGRAM = json.loads((Path(__file__).resolve().parent.parent / "programs" / "weekday.json")
                     .read_text())
START = "03:00"
M = 60000
WINDOW_OPEN = (6 * 60 + 15 - 3 * 60) * M   # ms after the simulation starts
WINDOW_END = (6 * 60 + 45 - 3 * 60) * M


def wake_of(sleeper):
    res, _ = run_night(NightSpec(program=PROGRAM, start_clock=START, sleeper=sleeper,
                                 duration_ms=WINDOW_END + 2 * M))
    wakes = [w for w in res.wakes if w.reason in ("smart", "scheduled")]
    assert len(wakes) == 1, res.wakes
    return wakes[0], res


@pytest.mark.parametrize("clock", ["06:20", "06:28"])
def test_known_light_sleep_in_the_window_wakes_early_and_near_it(clock):
    moment = ((int(clock[:2]) * 60 + int(clock[3:])) - 3 * 60) * M
    w, res = wake_of("light@" + clock)
    assert w.reason == "smart"
    assert w.lit_ms is not None
    assert WINDOW_OPEN <= w.lit_ms < WINDOW_END - 5 * M
    assert moment < w.lit_ms <= moment + 10 * M, (w.lit_ms - moment) / M
    awake = [s.t_ms for s in res.samples if s.state == "AWAKE"]
    assert awake and awake[0] < WINDOW_END


@pytest.mark.parametrize("sleeper", ["steady", "light@05:00"])
def test_no_light_sleep_in_the_window_wakes_at_its_end(sleeper):
    w, _ = wake_of(sleeper)
    assert w.reason == "scheduled" and w.lit_ms is not None
    assert WINDOW_END - 1000 <= w.lit_ms <= WINDOW_END + 3000  # 06:45 on the pod's clock


def test_sleeper_profiles_have_their_moments_where_asked():
    prof = parse_sleeper("light@06:20", START)
    steady = parse_sleeper("steady", START)
    assert prof is not None and steady is not None
    at = (6 * 60 + 20 - 3 * 60)
    assert prof(at + 5) - steady(at + 5) == pytest.approx(8.0)
    assert prof(at - 1) == steady(at - 1)
    assert prof(at + 13) == steady(at + 13)
    assert parse_sleeper("default", START) is None
    with pytest.raises(ValueError):
        parse_sleeper("restless", START)
