"""The soak's report and its kept failures: margins and coverage merged across workers, the
scheduled wake's lateness as the program plans it, and a failure a soak finds replayed by the
next `make test` (shown with a deliberately broken firmware)."""
import json

import pytest
from hypothesis import Phase, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import run_state_machine_as_test

from simulator import soakreport
from simulator.failsafe import SafetyMonitor
from simulator.sim import SimPod
from tests.test_failsafe_variants import VARIANTS, broken_copy
from tests.test_property_failsafe import REPLAY, FailuresOnly, PodUnderFaults

M = 60 * 1000


def test_workers_reports_merge_into_one(tmp_path):
    a = soakreport.Recorder()
    a.latency("hang", 5200, 6000)
    a.latency("hang", 5900, 6600)     # slack 700: not the worst
    a.coverage[soakreport.FAULT_TABLE]["SLEEP/hang"] += 2
    b = soakreport.Recorder()
    b.latency("hang", 5690, 6000)     # slack 310: the worst of all
    b.latency("button", 90, 250)
    b.coverage[soakreport.FAULT_TABLE]["SLEEP/hang"] += 1
    b.coverage[soakreport.GESTURE_TABLE]["ALARM/hold"] += 1
    for i, rec in enumerate((a, b)):
        soakreport.Soak(str(tmp_path / "soak")).example(rec, 3600 * 1000)
        (tmp_path / "soak" / next((tmp_path / "soak").glob("worker-*.jsonl")).name).rename(
            tmp_path / "soak" / ("worker-x%d.jsonl" % i))
    rep = soakreport.collect(tmp_path / "soak", wall_s=4.0)
    assert rep["examples"] == 2 and rep["sim_hours"] == 2.0 and rep["examples_per_s"] == 0.5
    assert rep["margins"]["hang"] == {"worst_ms": 5690, "bound_ms": 6000, "n": 3}
    assert rep["margins"]["button"] == {"worst_ms": 90, "bound_ms": 250, "n": 1}
    assert set(soakreport.TRIGGERS) <= set(rep["margins"])       # every trigger has a row
    assert rep["margins"]["boot loop"]["n"] == 0                  # ...reached or not
    assert rep["coverage"][soakreport.FAULT_TABLE] == {"SLEEP/hang": 3}
    soakreport.write(rep, tmp_path / "report")
    assert json.loads((tmp_path / "report.json").read_text()) == rep
    md = (tmp_path / "report.md").read_text()
    assert "| hang | lit <= 5 s + 1 s | 5.69 s | 6.00 s | 0.31 s | 3 |" in md
    assert "Never reached: " in md and "boot loop" in md


@pytest.mark.parametrize("wake", [{"after_min": 40, "sunrise_min": 15},
                                  {"at": "23:30", "sunrise_min": 20}])
def test_an_undisturbed_scheduled_wake_is_measured_against_the_program(wake):
    program = {"version": 1, "wind_down": {"minutes": 5}, "wake": wake}
    pod = SimPod(start_clock="22:30")
    pod.fs.path("program.json").write_text(json.dumps(program))
    mon = SafetyMonitor(pod)
    mon.advance(3000)
    mon.long_press()
    mon.advance(70 * M)
    start = next(e["sim_ms"] for e in pod.res.events if e.get("state") == "WIND_DOWN")
    [(expected, got, late)] = soakreport.scheduled_wakes(mon, program, pod.start_clock_s)
    if "after_min" in wake:
        assert expected == start + 25 * M
    else:  # 23:10 on the clock, which started at 22:30
        assert expected == 40 * M
    assert 0 <= late < 100  # to the 100 ms loop tick
    mon.tap()  # a person acts after the sunrise began: still measured...
    mon.advance(1000)
    assert len(soakreport.scheduled_wakes(mon, program, pod.start_clock_s)) == 1
    pod.close()


def test_a_soak_failure_replays_in_the_next_make_test(tmp_path):
    """A soak of a deliberately broken firmware (its crash handler leaves the wake to the
    watchdog) finds a failure and keeps it; the next run with `make test`'s replay settings
    fails on it again, generating nothing new."""
    patches = VARIANTS["the crash handler leaves the wake to the watchdog"][0]
    db = DirectoryBasedExampleDatabase(tmp_path / "examples")

    @seed(14)  # the same search every run
    class Broken(PodUnderFaults):
        FW_DIR = broken_copy(tmp_path, patches)

    soak = settings(settings.get_profile("deep"), max_examples=30, stateful_step_count=8,
                    database=db, phases=[Phase.generate])
    with pytest.raises(AssertionError) as found:
        run_state_machine_as_test(Broken, settings=soak)
    assert list(tmp_path.joinpath("examples").iterdir()), "the failure was not kept"

    replay = settings(REPLAY, stateful_step_count=8, database=FailuresOnly(db))
    assert Phase.generate not in replay.phases
    for _ in range(2):  # every later run, not only the next: the very same failure
        with pytest.raises(AssertionError) as again:
            run_state_machine_as_test(Broken, settings=replay)
        assert str(again.value).split("\n")[0] == str(found.value).split("\n")[0]  # the violations


def test_heart_rate_out_of_band_right_after_a_sensor_glitch():
    """Found by `POD_PROPERTY_EXAMPLES=24 make soak` (shrunk by hypothesis): the sensor's bus
    dies and comes back 300 ms later; 300 ms after that the rate drops below the band. The
    program holds 10 s, so the alarm is due by 11 s after the drop. It came 47 s after it, then
    11.1 s (the firmware retries the sensor after a back-off and restarts the estimator, whose
    first out-of-band interval was dated from its first beat). Fixed: with no interval
    measured since the restart, the one before the first run outside the band is taken as the
    longest there is (2 s), so the estimator's settling never adds to the hold."""
    program = {"version": 1, "wind_down": {"minutes": 0, "breaths_per_min": 0},
               "sleep": {"hr_hold_s": 10, "no_signal_min": 1, "night_light": 0},
               "wake": {"sunrise_min": 15, "sound_lead_min": 0, "after_min": 20,
                        "window_min": 0}}
    pod = SimPod(start_clock="22:30", seed=1)
    pod.fs.path("program.json").write_text(json.dumps(program))
    mon = SafetyMonitor(pod, hold_ms=10000, grace_ms=M)
    mon.advance(3000)
    mon.long_press()
    mon.advance(5000)
    mon.fault("i2c-dead")
    mon.advance(300)
    mon.heal_sensor()
    mon.advance(300)
    mon.fault("hr-low")
    mon.advance(10 * M)
    pod.close()
    assert mon.violations == []
