"""The synthetic sleeper's optional effects (beat-to-beat variability, breathing in the rate,
perfusion, movement, saturation), each read by the firmware's estimator as the pod would."""
import pytest

from simulator.hw.sleeper import Sleeper
from simulator.sandbox import firmware_module

FS = 25
PER = 1000 // FS


@pytest.fixture(scope="module")
def hr():
    return firmware_module("pod.hr")


def _feed(est, s, t, seconds, every=None):
    """Feed `seconds` of the sleeper; call every(t, est) once a second. Returns the time."""
    for k in range(seconds * FS):
        t += PER
        red, ir = s.sample(t)
        est.add(ir, red)
        if every is not None and k % FS == FS - 1:
            every(t, est)
    return t


def _beats(s, seconds):
    """Beat times (ms) of a sleeper: its phase wrapping."""
    out = []
    prev = s.phase
    for t in range(10, seconds * 1000, 10):
        s.sample(t)
        if s.phase < prev:
            out.append(t)
        prev = s.phase
    return out


def test_defaults_are_unchanged_and_block_matches_sample():
    a = Sleeper(5)
    b = Sleeper(5)
    reds, irs = b.block(0, 40000, 250)
    assert [a.sample((j + 1) * 40)[1] for j in range(250)] == irs
    c = Sleeper(5)
    c.hrv = 0.05
    d = Sleeper(5)
    d.hrv = 0.05
    assert [c.sample((j + 1) * 40) for j in range(250)] == list(zip(*d.block(0, 40000, 250)))


def test_beat_to_beat_variability_and_breathing_vary_the_intervals(hr):
    plain = _beats(Sleeper(6), 60)
    iv = [b - a for a, b in zip(plain, plain[1:])]
    assert max(iv) - min(iv) <= 20  # no variability by default
    s = Sleeper(6)
    s.hrv = 0.05
    s.rsa = 0.04
    beats = _beats(s, 60)
    iv = [b - a for a, b in zip(beats, beats[1:])]
    assert max(iv) - min(iv) >= 60
    mean_bpm = 60000 * len(iv) / (beats[-1] - beats[0])
    assert abs(mean_bpm - s.true_hr(30000)) <= 2
    s = Sleeper(6)
    s.hrv = 0.05
    s.rsa = 0.04
    est = hr.Estimator(FS)
    t = _feed(est, s, 0, 30)
    assert abs(est.bpm10() / 10 - s.true_hr(t)) <= 3


def test_low_perfusion_shrinks_the_pulse_and_the_rate_is_still_read(hr):
    s = Sleeper(7)
    full = [s.sample(t)[1] for t in range(40, 5000, 40)]
    s = Sleeper(7)
    s.set_perfusion(0.2)
    weak = [s.sample(t)[1] for t in range(40, 5000, 40)]
    assert (max(weak) - min(weak)) < 0.5 * (max(full) - min(full))  # breathing stays
    est = hr.Estimator(FS)
    t = _feed(est, s, 5000, 25)
    assert abs(est.bpm10() / 10 - s.true_hr(t)) <= 3


def test_movement_never_reads_as_a_rate_and_the_rate_comes_back(hr):
    s = Sleeper(8)
    est = hr.Estimator(FS)
    t = _feed(est, s, 0, 20)
    true = s.true_hr(t)
    s.move(t, 6)
    seen = []
    t = _feed(est, s, t, 30, lambda t, e: seen.append(e.bpm10()))
    assert all(b == -1 or abs(b / 10 - true) <= 5 for b in seen), seen
    assert seen[-1] > 0 and abs(seen[-1] / 10 - s.true_hr(t)) <= 3


def test_saturation_gives_no_rate_and_contact_regained_gives_it_back(hr):
    s = Sleeper(9)
    est = hr.Estimator(FS)
    t = _feed(est, s, 0, 20)
    s.saturated = True
    assert s.sample(t + 40) == (0x3FFFF, 0x3FFFF)
    t = _feed(est, s, t + 40, 10)
    assert est.bpm10() == -1  # full-scale readings carry no pulse
    s.saturated = False
    s.contact = False
    t = _feed(est, s, t, 5)
    assert not est.contact and est.bpm10() == -1
    s.contact = True
    t = _feed(est, s, t, 15)
    b = est.bpm10()  # which also renews the contact verdict (once a second on the pod)
    assert est.contact and abs(b / 10 - s.true_hr(t)) <= 3
