# pod.light and pod.sound on MicroPython: the curves, their ends and their ranges.
from pod import light, sound


def test_level_to_u16_ends_and_monotonic():
    assert light.level_to_u16(-5) == 0
    assert light.level_to_u16(0) == 0
    assert light.level_to_u16(1000) == 65535
    assert light.level_to_u16(2000) == 65535
    prev = -1
    for lvl in range(0, 1001, 5):
        v = light.level_to_u16(lvl)
        assert 0 <= v <= 65535
        assert v >= prev, (lvl, v, prev)
        prev = v
    # perceptual: half the perceived level is far less than half the duty
    assert light.level_to_u16(500) < 65535 // 4


def test_kelvin_channel_table_clamp_and_interpolation():
    # 600 K: the deep red at the start of a sunrise; 6500 K: near white
    assert light.kelvin_channel(600, 0) == 255
    assert light.kelvin_channel(600, 1) == 8
    assert light.kelvin_channel(100, 1) == 8          # clamped below
    assert light.kelvin_channel(6500, 2) == 250
    assert light.kelvin_channel(9000, 2) == 250       # clamped above
    a = light.kelvin_channel(1800, 1)
    b = light.kelvin_channel(1900, 1)
    mid = light.kelvin_channel(1850, 1)
    assert min(a, b) <= mid <= max(a, b)
    for k in range(600, 6501, 50):  # warmer is redder: blue never above green above red
        r = light.kelvin_channel(k, 0)
        g = light.kelvin_channel(k, 1)
        bl = light.kelvin_channel(k, 2)
        assert 0 <= bl <= g <= r <= 255, (k, r, g, bl)


def test_scale():
    assert light.scale(255, 65535) == 255
    assert light.scale(0, 65535) == 0
    assert light.scale(255, 0) == 0
    assert light.scale(128, 32768) == 64
    assert light.scale(255, 1) == 1  # a strong channel still glows at the lowest duty


def test_lerp_and_progress():
    assert light.lerp(2700, 1800, 0) == 2700
    assert light.lerp(2700, 1800, 1000) == 1800
    assert light.lerp(2700, 1800, 500) == 2250
    assert light.progress(0, 60000) == 0
    assert light.progress(-100, 60000) == 0
    assert light.progress(60000, 60000) == 1000
    assert light.progress(5, 0) == 1000
    prev = 0
    for t in range(0, 12 * 3600 * 1000 + 1, 1800 * 1000):
        p = light.progress(t, 12 * 3600 * 1000)
        assert prev <= p <= 1000
        prev = p
    assert 495 <= light.progress(30000, 60000) <= 505


def test_sunrise_curves():
    assert light.sunrise_kelvin(0) == 600
    assert light.sunrise_kelvin(1000) == 6500
    assert light.sunrise_kelvin(500) < 3000  # stays warm through the first half
    assert light.sunrise_level(0, 1000) == 0
    assert light.sunrise_level(1000, 800) == 800
    prev = 0
    for p in range(0, 1001, 10):
        k = light.sunrise_kelvin(p)
        assert k >= prev
        prev = k


def test_breathe_swings_around_the_level():
    assert light.breathe(400, 1234, 0, 300) == 400  # off
    lo = 10 ** 6
    hi = -1
    for t in range(0, 20000, 100):
        v = light.breathe(400, t, 10000, 300)
        lo = min(lo, v)
        hi = max(hi, v)
    assert lo == 400 - 120 and hi == 400 + 120, (lo, hi)
    assert light.breathe(400, 0, 10000, 300) == 280
    assert light.breathe(400, 5000, 10000, 300) == 520


def test_wake_and_alarm_tones():
    notes = [sound.wake_tone(t) for t in range(0, 1800, 300)]
    assert notes == [523, 659, 784, 1047, 0, 0]
    assert sound.wake_tone(1800) == 523  # repeats
    alarm = [sound.alarm_tone(t) for t in range(0, 750, 150)]
    assert alarm == [2400, 1800, 2400, 1800, 0]
    assert sound.SOOTHE_HZ == 174


def test_soothe_volume_between_a_fifth_and_all():
    vol = 200
    seen = []
    for t in range(0, 20000, 250):
        v = sound.soothe_volume(t, vol)
        assert vol // 5 <= v <= vol, (t, v)
        seen.append(v)
    assert min(seen) == vol // 5 and max(seen) == vol
    assert sound.soothe_volume(0, 0) == 0


def _pair(channel, duty):
    """What the core shows on an even and an odd pixel for this channel and duty."""
    v = light.half_steps(channel, duty)
    return (v + 1) >> 1, v >> 1


def test_dithered_ramp_tracks_the_target_without_steps():
    # a full-scale channel swept through every perceived level: the strip's average (even and
    # odd pixels) stays within a quarter step of the exact value, never goes down, and the
    # two pixels never differ by more than one step
    prev = -1
    worst = 0
    for lvl in range(1, 1001):
        d = light.level_to_u16(lvl)
        e, o = _pair(255, d)
        assert 0 <= e - o <= 1, (lvl, e, o)
        avg2 = e + o  # twice the average, to stay in integers
        assert avg2 >= prev, (lvl, avg2, prev)
        prev = avg2
        exact2 = 2 * 255 * d / 65535
        if lvl > 30:  # below this the glow floor holds the dimmest light up
            worst = max(worst, abs(avg2 - exact2))
    # a quarter of one 8-bit step (x2: avg2 is twice the average), plus the 1/65536 of full
    # scale between a duty of 65535 and the shift by 2**16
    assert worst <= 0.5 + 2 * 255 / 65535, worst
    assert _pair(255, 65535) == (255, 255)
    assert _pair(255, 0) == (0, 0)


def test_dither_doubles_the_distinct_levels_of_a_dim_ramp():
    # the bottom tenth of the perceived range, where 8 bits show as stairs
    plain = set()
    dithered = set()
    for lvl in range(1, 101):
        d = light.level_to_u16(lvl)
        plain.add(light.scale(255, d))
        dithered.add(_pair(255, d))
    assert len(dithered) >= 2 * len(plain) - 1, (len(plain), len(dithered))


def test_dimmest_light_still_glows():
    e, o = _pair(255, 1)
    assert (e, o) == (1, 0)  # half the pixels at the lowest step, not dark
    assert _pair(40, 1) == (0, 0)  # a weak channel may vanish: the colour stays warm


def test_sunrise_goes_red_then_amber_then_white():
    def rgb(p):
        k = light.sunrise_kelvin(p)
        return [light.kelvin_channel(k, c) for c in range(3)]

    r, g, b = rgb(50)  # first minutes: deep red
    assert r == 255 and g * 100 // r <= 15 and b == 0, (r, g, b)
    r, g, b = rgb(450)  # amber: green half of red, little blue
    assert 35 <= g * 100 // r <= 70 and b * 100 // r <= 15, (r, g, b)
    r, g, b = rgb(1000)  # daylight: near white
    assert min(r, g, b) >= 240, (r, g, b)


def test_noise_is_a_low_pink_walk():
    tones = [sound.noise_tone(t) for t in range(0, 160 * 2000, 160)]
    assert min(tones) >= sound.NOISE_LOW_HZ and max(tones) <= sound.NOISE_LOW_HZ + 28 * 9
    assert len(set(tones)) >= 20  # it wanders over the range...
    # ...but in small steps: a pink walk's hop-to-hop change is well below that of
    # independent draws over the same range (about a third of the range for white noise)
    steps = 0
    for i in range(1, len(tones)):
        steps += abs(tones[i] - tones[i - 1])
    mean_step = steps // (len(tones) - 1)
    assert mean_step * 5 < 28 * 9, mean_step
    assert sound.noise_tone(12345) == sound.noise_tone(12345)  # deterministic


def test_noise_is_quiet_and_alarm_is_distinct():
    for t in range(0, 20000, 160):
        v = sound.noise_volume(t, 200)
        assert 80 <= v <= 100, v
    alarm = set(sound.alarm_tone(t) for t in range(0, 750, 150)) - {0}
    calm = set(sound.noise_tone(t) for t in range(0, 160 * 500, 160))
    calm.add(sound.SOOTHE_HZ)
    wake = set(sound.wake_tone(t) for t in range(0, 1800, 300)) - {0}
    assert min(alarm) > 1.5 * max(wake) and min(wake) > max(calm)
