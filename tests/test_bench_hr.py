"""The heart-rate benchmark's scoring and contract, on small synthetic inputs (no reference
library needed), and a tiny end-to-end run of the bench."""
from __future__ import annotations

import json

import numpy as np
import pytest

from simulator import bench_hr
from simulator import hrcases as H


def _case(seconds=40, bpm=60.0, off=None, moving=None, steps=None):
    """A hand-made case: beats at a fixed rate, contact off in [off), movement in [moving)."""
    n = seconds * H.FS
    t = np.arange(n, dtype=np.int64) * 10
    contact = np.ones(n, dtype=bool)
    mov = np.zeros(n, dtype=bool)
    beats = np.arange(0, seconds * 1000, 60000 / bpm).astype(np.int64)
    if off:
        contact[off[0] * H.FS:off[1] * H.FS] = False
        beats = beats[(beats < off[0] * 1000) | (beats >= off[1] * 1000)]
    if moving:
        mov[moving[0] * H.FS:moving[1] * H.FS] = True
    ir = np.full(n, 150000, dtype=np.int64)
    return H.Case("t", "test", t, ir, ir.copy(), beats, contact, mov, steps or [])


def _est(case, fn):
    return [{"t_ms": T, "bpm": fn(T)} for T in H.report_times(case.t_ms)]


def test_truth_is_the_mean_rate_of_recent_beats():
    beats = np.arange(0, 20000, 1000)
    assert H.truth_at(beats, 10000) == pytest.approx(60.0)
    fast = np.concatenate([np.arange(0, 10000, 1000), np.arange(10000, 20000, 500)])
    assert H.truth_at(fast, 19999) == pytest.approx(120.0)
    assert H.truth_at(beats, 500) is None  # one beat: no interval yet


def test_labels_warm_on_edge_off():
    c = _case(40, off=(20, 30))
    lab = {T // 1000: (l, tr) for T, l, tr in H.labels(c)}
    assert lab[5][0] == "warm" and lab[15][0] == "on"
    assert lab[15][1] == pytest.approx(60.0)
    assert lab[21][0] == "edge" and lab[22][0] == "edge" and lab[25][0] == "off"
    assert lab[31][0] == "warm" and lab[39][0] == "warm"  # contact again: warm for 10 s


def test_movement_makes_seconds_warm():
    c = _case(40, moving=(15, 18))
    lab = {T // 1000: l for T, l, _ in H.labels(c)}
    assert lab[14] == "on" and lab[16] == "warm" and lab[27] == "warm" and lab[29] == "on"


def test_score_mae_coverage_and_false_estimates():
    c = _case(40, off=(20, 30))
    perfect = H.score(c, _est(c, lambda T: 60.0))
    p = H.pool([perfect], 0.0, 40.0)
    assert p["mae_bpm"] == 0.0 and p["coverage_pct"] == 100.0
    assert p["no_contact_estimates_pct"] == 100.0  # a rate every off second is a false one
    careful = H.score(c, _est(c, lambda T: None if 20000 <= T <= 31000 else 65.0))
    p = H.pool([careful], 0.0, 40.0)
    assert p["mae_bpm"] == 5.0 and p["no_contact_estimates_pct"] == 0.0
    silent = H.pool([H.score(c, _est(c, lambda T: None))], 0.0, 40.0)
    assert silent["mae_bpm"] is None and silent["coverage_pct"] == 0.0


def test_pooling_weights_seconds_not_cases():
    a = _case(40)
    b = _case(40)
    sa = H.score(a, _est(a, lambda T: 62.0))
    sb = H.score(b, _est(b, lambda T: 60.0 if T > 20000 else None))
    p = H.pool([sa, sb], 1.0, 3600.0)
    assert p["mae_bpm"] == pytest.approx(2.0 * sa["n_err"] / (sa["n_err"] + sb["n_err"]), abs=0.01)
    assert p["cpu_s_per_hour"] == 1.0


def test_settling_time_after_a_step():
    steps = [(10000, 130.0), (30000, 60.0)]
    c = _case(50, steps=steps)
    # settles 3 s after the first step; never after the second one
    est = _est(c, lambda T: 130.0 if 13000 <= T < 30000 else 80.0)
    assert H.settling(steps, est, 50000) == [3.0, 20.0]
    # a brief visit to the new rate does not count as settled
    blip = _est(c, lambda T: 130.0 if T in (11000, 12000, 16000, 17000, 18000, 19000, 20000)
                else 80.0)
    assert H.settling(steps[:1], blip, 30000) == [6.0]


def test_sliding_window_sees_only_earlier_samples():
    c = _case(20)
    c.ir = c.t_ms.copy()  # the sample's value is its own time
    seen = []

    def fn(x, fs):
        seen.append((-x).max())
        return 70.0
    out = H.sliding(fn, c, window_s=5.0, min_s=1.0)
    times = [r["t_ms"] for r in out]
    assert times == H.report_times(c.t_ms)
    assert all(m < T for m, T in zip(seen, times))
    assert all(r["bpm"] == 70.0 for r in out)

    def broken(x, fs):
        raise ValueError("no peaks")
    assert all(r["bpm"] is None for r in H.sliding(broken, c, 5.0, 1.0))


def test_pod_sim_hr_contract(tmp_path, capsys):
    c = H.finish(H.sleeper_case("s", "", 25, 3))
    path = tmp_path / "rec.csv"
    H.write_csv(c, path)
    from simulator.cli import main
    assert main(["hr", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    recs = [json.loads(s) for s in lines]
    assert len(recs) == len(H.report_times(c.t_ms)) == 24
    for k, r in enumerate(recs):
        assert set(r) == {"t_ms", "bpm", "contact", "alarm"}
        assert r["t_ms"] == 1000 * (k + 1)
        assert r["bpm"] is None or isinstance(r["bpm"], float)
        assert isinstance(r["contact"], bool) and isinstance(r["alarm"], bool)
    assert recs[-1]["contact"] and abs(recs[-1]["bpm"] - 68) < 3  # the sleeper's first rate
    # causal: a second's line does not change when later samples change
    from simulator.hrcsv import estimate
    data = list(zip(c.t_ms.tolist(), c.ir.tolist(), c.red.tolist()))
    cut = estimate(data[:1500])
    assert cut == [r for r in estimate(data) if r["t_ms"] <= cut[-1]["t_ms"]]


def test_ours_does_not_report_a_rate_without_contact():
    c = H.finish(H.add_finger_off(H.sleeper_case("s", "", 60, 4), 4, [(20, 40, "sheet")]))
    s = H.score(c, H.ours(c))
    assert s["off"] > 10 and s["off_est"] == 0
    assert s["on_est"] > 0.9 * s["on"]


def test_tiny_bench_run_end_to_end(tmp_path):
    cases = H.build_cases(30, with_nk=False)
    assert [c.name for c in cases] == ["sleeper-evening", "sleeper-rem", "sleeper-restless",
                                       "steps-60-130", "sleeper-weak"]
    res = bench_hr.run(cases, {})
    p = res["pooled"]["pod.hr (ours)"]
    assert p["contact_seconds"] > 40 and p["mae_bpm"] is not None and p["mae_bpm"] < 3
    assert p["steps"] == 2  # 60->130 at 10 s, back at 20 s
    out = tmp_path / "r.json"
    assert bench_hr.main(["--seconds", "20", "--no-refs", "--no-mpy", "--baseline", "none",
                          "--out", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert "pod.hr (ours)" in saved["pooled"] and saved["ours_meets_targets"]


def test_a_recording_feeds_the_register_model_and_the_real_driver(tmp_path):
    """CSV -> MAX30102Sim -> pod.max30102 (FIFO by pointers, 4:1 averaging) -> pod.hr."""
    from simulator import FIRMWARE_DIR
    from simulator.hrcsv import CsvSource
    from simulator.hw import simstate
    from simulator.hw.flash import FlashFS
    from simulator.hw.max30102sim import MAX30102Sim
    from simulator.sandbox import Sandbox
    c = H.finish(H.sleeper_case("s", "", 40, 5))
    path = tmp_path / "rec.csv"
    H.write_csv(c, path)
    b = simstate.Board()
    simstate.current = b
    sb = Sandbox(FIRMWARE_DIR, b, FlashFS(tmp_path / "fs"))
    src = CsvSource.from_file(str(path))
    b.i2c[0x57] = MAX30102Sim(src)
    drv = sb._load("pod.max30102")
    hr = sb._load("pod.hr")
    assert drv is not None and hr is not None
    dev = drv.MAX30102(sb.fakes["machine"].I2C(0), 0x57)
    dev.init()
    est = hr.Estimator(drv.RATE_HZ)
    got = 0
    for _ in range(88):  # 35.2 s, read every 400 ms as the pod does
        b.advance_us(400000)
        n = dev.read()
        got += n
        est.feed(dev.ir, dev.red, n)
        assert all(abs(dev.ir[i] - 150000) < 3000 for i in range(n))
    assert abs(got - 88 * 400 * drv.RATE_HZ // 1000) <= 1 and dev.overflows == 0
    true = H.truth_at(c.beats_ms, 35000)
    assert true is not None and abs(est.bpm10() / 10 - true) <= 2
    b.advance_us(10 * 1000000)  # past the end of the recording: nothing on the sensor
    est.feed(dev.ir, dev.red, dev.read())
    assert not est.contact and est.bpm10() == -1


def test_contract_alarm_is_the_unsafe_rate_held_for_a_minute():
    from simulator.hrcsv import estimate
    slow = H.finish(H.sleeper_case("slow", "", 80, 6, profile=H.step_profile([34.0], 1000)))
    recs = estimate(list(zip(slow.t_ms.tolist(), slow.ir.tolist(), slow.red.tolist())))
    first = next(r["t_ms"] for r in recs if r["alarm"])
    assert 58000 <= first <= 63000 and all(r["alarm"] for r in recs if r["t_ms"] >= first)
    ok = H.finish(H.sleeper_case("ok", "", 80, 6))
    assert not any(r["alarm"] for r in estimate(list(zip(ok.t_ms.tolist(), ok.ir.tolist(),
                                                           ok.red.tolist()))))
