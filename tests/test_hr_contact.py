"""pod.hr judges contact from both channels, holds bursts of bad I2C reads, and finds weak
pulses (issue #15); the sleeper and sensor models' worst-case options that the false-alarm
nights (simulator/hrnights.py) use."""
from __future__ import annotations

import numpy as np
import pytest

from simulator import hrcases as H
from simulator.hw import simstate
from simulator.hw.max30102sim import MAX30102Sim
from simulator.hw.sleeper import Sleeper
from simulator.sandbox import firmware_module

FS = 25
PER = 1000 // FS


@pytest.fixture(scope="module")
def hr():
    return firmware_module("pod.hr")


def _rates(hr, ir, red, fs=H.FS):
    """The rate (bpm or None) and contact at each whole second of a recording."""
    est = hr.Estimator(fs)
    out = []
    for i, (a, b) in enumerate(zip(ir.tolist(), red.tolist())):
        if i and i % fs == 0:
            v = est.bpm10()
            out.append((None if v < 0 else v / 10, est.contact))
        est.add(a, b)
    return out


def test_a_bright_sheet_swaying_like_a_pulse_gets_no_rate(hr):
    """A sheet as bright as skin (60,000-90,000 counts) swaying at 1.1 Hz (66 a minute): its
    red changes just as its IR does, which blood never does. No rate, no contact."""
    for level in (60000, 75000, 90000):
        c = H.finish(H.add_finger_off(H.sleeper_case("s", "", 80, 3), 3,
                                      [(0, 80, "sheet:%d" % level)]))
        got = _rates(hr, c.ir, c.red)
        assert sum(b is not None for b, _ in got) == 0, (level, got)
        assert not any(ct for _, ct in got[5:])


def test_a_pulse_in_ir_alone_is_not_contact(hr):
    """The same skin signal, but a red channel with no pulse in it (a surface that does not
    pass the red light, a red LED that is off): not contact, no rate."""
    c = H.finish(H.sleeper_case("s", "", 40, 4))
    flat = np.full(len(c.red), 120000) + np.random.default_rng(4).integers(-30, 30, len(c.red))
    assert all(b is None for b, _ in _rates(hr, c.ir, flat)[3:])
    good = _rates(hr, c.ir, c.red)
    assert all(ct for _, ct in good[10:]) and all(b is not None for b, _ in good[10:])


def test_bursts_of_bad_reads_do_not_lose_the_rate(hr):
    """3-10 samples in a row read as 0, 0x3FFFF or garbage every few seconds."""
    c = H.sleeper_case("s", "", 120, 5)
    c = H.finish(H.add_glitch_bursts(c, 5, every_s=4.0))
    got = _rates(hr, c.ir, c.red)[10:]
    true = c.beats_ms
    assert all(b is not None for b, _ in got), got
    mean = 60000.0 / float(np.diff(true).mean())
    assert all(abs(b - mean) <= 6 for b, _ in got)


def test_a_pulse_of_0_05_percent_is_found(hr):
    """75 counts of pulse on a 150,000-count DC, at the pod's 25 Hz with the sleeper's noise
    (not averaged down as the sensor's own 4:1 averaging would): a rate is often missing, but
    never for long, and never wrong."""
    s = Sleeper(21)
    s.set_perfusion(0.0833)
    est = hr.Estimator(FS)
    t = 0
    got = []
    for k in range(120 * FS):
        t += PER
        red, ir = s.sample(t)
        est.add(ir, red)
        if k % FS == FS - 1 and k > 20 * FS:
            v = est.bpm10()
            got.append(None if v < 0 else (v / 10, s.true_hr(t)))
    have = [g for g in got if g is not None]
    assert len(have) >= 0.15 * len(got), got
    assert all(abs(b - tr) <= 4 for b, tr in have), have
    gap = run = 0
    for g in got:
        run = run + 1 if g is None else 0
        gap = max(gap, run)
    assert gap < 60, got


def test_estimator_state_stays_in_esp32_small_ints(hr):
    """Whatever arrives (full-scale swings, garbage, a sway, nothing), the estimator's state
    stays within the ESP32's small ints (no big int: no allocation on the pod)."""
    rng = np.random.default_rng(7)
    est = hr.Estimator(FS)
    lim = 1 << 30
    signals = [rng.integers(0, 0x40000, 3000), np.tile([1, 0x3FFFE], 1500),
               (150000 + 60000 * np.sin(np.arange(3000) * 0.8)).astype(int),
               150000 + 15000 * np.sign(np.sin(np.arange(3000) * 1.3)).astype(int),
               np.full(3000, 258000)]
    for ir in signals:
        red = ir[::-1].copy()
        for a, b in zip(ir.tolist(), red.tolist()):
            est.add(a, b)
            if rng.random() < 0.05:
                est.bpm10()
        assert all(-lim <= v < lim for v in est.st), list(est.st)
        assert all(-lim <= v < lim for v in vars(est).values() if isinstance(v, int))


# -- the models' worst-case options -------------------------------------------------------

def test_a_posture_change_moves_dc_and_pulse_and_stays():
    s = Sleeper(3)
    base = [s.sample(t)[1] for t in range(40, 4040, 40)]
    s.posture(4000, 20, -0.3)
    mid = [s.sample(t)[1] for t in range(4040, 44040, 40)]
    after = [s.sample(t)[1] for t in range(44040, 48040, 40)]
    assert abs(np.mean(after) / np.mean(base) - 0.7) < 0.01
    assert abs(np.ptp(after) / np.ptp(base) - 0.7) < 0.15  # the pulse scales with the light
    assert min(mid) < np.mean(base) < max(mid)             # a ramp, not a step


def test_a_glitch_burst_reads_wrong_then_right():
    simstate.current = b = simstate.Board()
    sensor = MAX30102Sim(Sleeper(3))
    sensor.regs[0x09] = 0x03   # SpO2 mode: running
    sensor.regs[0x0A] = 0x27   # 100 sps
    sensor.regs[0x08] = 0x50   # 4:1 averaging: 25 Hz
    b.us = 0
    sensor._catch_up()
    sensor.glitch(5, 1)
    b.us = 400000
    sensor._catch_up()
    assert sensor.ir[:5] == [0x3FFFF] * 5 and sensor.red[:5] == [0x3FFFF] * 5
    assert all(100000 < v < 160000 for v in sensor.ir[5:10])


def test_worst_nights_are_reproducible_and_have_every_disturbance():
    from simulator.hrnights import worst_events
    span = 7 * 3600 * 1000
    ev = worst_events(9, span)
    assert ev == worst_events(9, span)
    kinds = {k for _, k, _ in ev}
    assert {"perf", "move", "posture", "glitch"} <= kinds
    assert any(a == (0.0833,) for _, k, a in ev if k == "perf")
    assert all(4 <= a[0] <= 8 for _, k, a in ev if k == "move")
    assert all(3 <= a[0] <= 10 for _, k, a in ev if k == "glitch")
    gain = 1.0
    for _, k, a in ev:
        if k == "posture":
            gain *= 1 + a[1]
            assert 0.6 <= gain <= 1.4


def test_the_night_counter_counts_a_real_loss_of_signal():
    """The fast path is the real Heart and core: a sleeper off the sensor is alarmed after
    the no-signal grace; one on it through a short worst-case stretch is not."""
    from simulator.hrnights import night
    off = night((3, None, False, 50 * 60000, True))
    assert off["alarm"] == "no_signal"
    on = night((4, None, True, 50 * 60000))
    assert on["alarm"] is None and on["longest_no_rate_s"] < 300
