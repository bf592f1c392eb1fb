"""Heart-rate sensor faults in a running pod: a NACKing or stuck bus and a pulled sensor are
reported in telemetry ("sensor": "fail"), the pod keeps running (no reset, the watchdog fed),
the fail-safe's no-signal wake still fires, and a sensor that comes back is used again."""
import pytest

from simulator.night import HOLD_MS, START_PRESS_MS
from simulator.sim import SimPod

M = 60 * 1000
AT = 40 * M       # asleep by then (from 05:30 the default program sleeps from 06:00)
GRACE = 10 * M    # the default program's no-signal grace


def _asleep_pod():
    pod = SimPod(start_clock="05:30")
    pod.press(START_PRESS_MS, HOLD_MS)
    return pod


@pytest.mark.parametrize("kind", ["i2c-dead", "i2c-stuck", "sensor-removed"])
def test_sensor_fault_is_reported_and_the_no_signal_wake_still_fires(kind):
    pod = _asleep_pod()
    try:
        pod.inject(kind, AT)
        pod.advance_to(AT - 2000)
        before = dict(pod.last_tel)
        pod.advance_to(AT + 3000)
        during = dict(pod.last_tel)
        res = pod.run(AT + GRACE + 60000)
    finally:
        pod.close()
    assert before["sensor"] == "ok" and before["bpm"] is not None and before["state"] == "SLEEP"
    assert during["sensor"] == "fail" and during["bpm"] is None and not during["contact"]
    assert during["state"] == "SLEEP"  # still running, nothing else disturbed
    assert res.resets == []            # no watchdog reset: a stuck bus times out, never hangs
    assert pod.board.i2c_errors > 0
    assert len(res.wakes) == 1 and res.wakes[0].reason == "no_signal"
    lit = res.wakes[0].lit_ms
    assert lit is not None and GRACE <= lit - AT <= GRACE + 2000


@pytest.mark.parametrize("kind", ["i2c-dead", "i2c-stuck", "sensor-removed"])
def test_a_sensor_that_comes_back_is_used_again(kind):
    pod = _asleep_pod()
    try:
        pod.inject(kind, AT)
        pod.advance_to(AT + 2 * M)
        assert pod.last_tel["sensor"] == "fail"
        errors = pod.board.i2c_errors
        assert errors >= 3  # retried meanwhile, with a growing backoff, not every tick
        assert errors < 2 * M // 400 // 4
        pod.board.i2c_fault = ""
        pod.board.i2c[pod.pins.HR_ADDR] = pod.sensor
        pod.advance_to(AT + 3 * M)  # the backoff is at most 32 s, the rate needs a few beats
        tel = dict(pod.last_tel)
        res = pod.run(AT + GRACE + 2 * M)
    finally:
        pod.close()
    assert tel["sensor"] == "ok" and tel["contact"] and tel["state"] == "SLEEP"
    true = pod.sleeper.true_hr(AT + 3 * M)
    assert tel["bpm"] is not None and abs(tel["bpm"] - true) <= 3
    assert res.wakes == [] and res.resets == []  # back within the grace: the night goes on


def test_a_recording_runs_the_whole_pod(tmp_path):
    """A t_ms,ir,red recording in place of the simulated sleeper: sensor model, driver,
    estimator and core, unchanged; when the recording ends the pod sees no skin."""
    from simulator import hrcases as H
    from simulator.hrcsv import CsvSource
    c = H.finish(H.sleeper_case("rec", "", 120, 9))
    path = tmp_path / "rec.csv"
    H.write_csv(c, path)
    pod = SimPod(start_clock="05:30", sleeper=CsvSource.from_file(str(path), t0_ms=10000))  # type: ignore[arg-type]
    try:
        pod.advance_to(100000)
        during = dict(pod.last_tel)
        pod.advance_to(150000)
        after = dict(pod.last_tel)
    finally:
        pod.close()
    true = H.truth_at(c.beats_ms, 100000 - 10000)  # the recording started at 10 s
    assert during["sensor"] == "ok" and during["contact"] and true is not None
    assert during["bpm"] is not None and abs(during["bpm"] - true) <= 3
    assert after["sensor"] == "ok" and not after["contact"] and after["bpm"] is None
