# pod.hr on MicroPython, fed the simulated sleeper's optical signal (IR and red) at the
# sensor's 25 Hz.
from array import array

from sleeper import Sleeper

from pod import hr

FS = 25
PERIOD_MS = 1000 // FS


def _run(est, sleeper, t0_ms, seconds):
    t = t0_ms
    for _ in range(seconds * FS):
        t += PERIOD_MS
        red, ir = sleeper.sample(t)
        est.add(ir, red)
    return t


def test_rate_within_3_bpm_after_20_s():
    for seed, t0_min in ((1, 0), (2, 45), (3, 200)):
        s = Sleeper(seed)
        est = hr.Estimator(FS)
        t = _run(est, s, t0_min * 60000, 20)
        got = est.bpm10()
        true10 = int(s.true_hr(t) * 10 + 0.5)
        assert got >= 0, "no rate after 20 s (seed %d)" % seed
        assert abs(got - true10) <= 30, (seed, got, true10)
        assert est.contact
        assert est.quality >= 75


def test_no_contact_gives_no_rate():
    s = Sleeper(4)
    est = hr.Estimator(FS)
    t = _run(est, s, 0, 20)
    assert est.bpm10() > 0
    s.contact = False
    _run(est, s, t, 10)
    assert not est.contact
    assert est.bpm10() == -1
    assert est.quality == 0


def test_no_rate_from_a_sensor_that_never_touched_skin():
    s = Sleeper(5)
    s.contact = False
    est = hr.Estimator(FS)
    _run(est, s, 0, 30)
    assert est.bpm10() == -1


def test_glitches_are_held_not_fed():
    s = Sleeper(6)
    est = hr.Estimator(FS)
    t = 0
    for i in range(25 * FS):
        t += PERIOD_MS
        red, ir = s.sample(t)
        if i % 50 == 7:
            ir = red = 0    # an I2C glitch
        elif i % 50 == 31:
            ir = 0x3FFFF    # saturated
        est.add(ir, red)
    got = est.bpm10()
    assert abs(got - int(s.true_hr(t) * 10 + 0.5)) <= 30, got


def test_feeding_blocks_matches_single_samples():
    # The loop feeds the FIFO's samples in blocks (Estimator.feed, where it exists).
    a = hr.Estimator(FS)
    b = hr.Estimator(FS)
    if not hasattr(b, "feed"):
        return
    s = Sleeper(7)
    buf = array("i", [0] * 32)
    buf_r = array("i", [0] * 32)
    t = 0
    for _ in range(60):
        n = 10
        for i in range(n):
            t += PERIOD_MS
            red, ir = s.sample(t)
            buf[i] = ir
            buf_r[i] = red
            a.add(ir, red)
        b.feed(buf, buf_r, n)
        assert a.bpm10() == b.bpm10()
    assert a.bpm10() > 0


def test_a_100_hz_recording_gives_the_same_rate():
    # `pod-sim hr` feeds 100 Hz recordings; the estimator averages them down to its 25 Hz
    for seed in (8, 9):
        s = Sleeper(seed)
        est = hr.Estimator(100)
        t = 0
        for _ in range(20 * 100):
            t += 10
            red, ir = s.sample(t)
            est.add(ir, red)
        got = est.bpm10()
        assert abs(got - int(s.true_hr(t) * 10 + 0.5)) <= 30, (seed, got)


def test_movement_is_not_read_as_a_fast_heart():
    # a sleeper shifting on the sensor: a 3 Hz sway four times the pulse for 4 s. The rate
    # may go missing for a while, but is never the sway's 180 bpm
    s = Sleeper(10)
    est = hr.Estimator(FS)
    t = _run(est, s, 0, 20)
    true10 = int(s.true_hr(t) * 10 + 0.5)
    sway = (0, 2800, 3600, 1100, -2300, -3800, -2300, 1100)  # 3.125 Hz at 25 Hz
    for k in range(40 * FS):
        t += PERIOD_MS
        red, ir = s.sample(t)
        if k < 4 * FS:  # the sway moves both channels' light alike
            ir += sway[k & 7]
            red += sway[k & 7] * 4 // 5
        est.add(ir, red)
        if k % FS == 0:
            got = est.bpm10()
            assert got == -1 or abs(got - true10) <= 50, (k // FS, got, true10)
    assert abs(est.bpm10() - true10) <= 30


def test_contact_needs_the_red_pulse_to_agree():
    # the same IR pulse, with red that has no pulse (flat), or that moves exactly as the IR
    # does (light scattered by a sheet, not absorbed by blood): no contact, no rate
    for mode in ("flat", "same"):
        s = Sleeper(11)
        est = hr.Estimator(FS)
        t = 0
        for _ in range(30 * FS):
            t += PERIOD_MS
            red, ir = s.sample(t)
            red = 120000 + (ir & 15) if mode == "flat" else ir * 4 // 5
            est.add(ir, red)
        assert est.bpm10() == -1, mode
        assert not est.contact, mode
    s = Sleeper(11)
    est = hr.Estimator(FS)
    _run(est, s, 0, 30)
    assert est.bpm10() > 0 and est.contact
