# Light engine: colour temperature to RGB, perceptual brightness, sunrise and breathing curves.
# Pure and integer-only at run time, so it allocates nothing when called from the loop.
from micropython import const

# RGB for 600 K .. 6500 K in 100 K steps. 1000 K and up follow the usual black-body fit;
# the four entries below 1000 K are a deeper red used for the first minutes of a sunrise.
_KELVIN_MIN = const(600)
_KELVIN_MAX = const(6500)
_KRGB = bytes.fromhex(
    "ff0800ff1600ff2400ff3400ff4400ff4d00ff5600ff5e00ff6500ff6c00ff7300ff7900ff7e00ff8400ff890e"
    "ff8e1bff9227ff9732ff9b3dff9f46ffa34fffa757ffaa5fffae67ffb16effb475ffb87bffbb81ffbe87ffc18d"
    "ffc392ffc697ffc99dffcba1ffcea6ffd0abffd3afffd5b3ffd7b7ffdabbffdcbfffdec3ffe0c7ffe2caffe4ce"
    "ffe6d1ffe8d5ffead8ffecdbffeddeffefe1fff1e4fff3e7fff4eafff6edfff8f0fff9f2fffbf5fffdf8fffefa"
)

# Perceived brightness (CIE 1931 lightness, permille) to linear PWM duty (0..65535),
# one entry every 25 permille. Equal steps in permille look like equal steps to the eye.
_CIE = (
    0, 181, 363, 544, 738, 972, 1251, 1578, 1959, 2396, 2894, 3456, 4087, 4790, 5569, 6429,
    7373, 8406, 9530, 10750, 12071, 13495, 15027, 16671, 18431, 20310, 22313, 24443, 26705,
    29102, 31639, 34319, 37146, 40124, 43258, 46550, 50005, 53628, 57421, 61388, 65535,
)


def level_to_u16(level):
    """Perceived level in permille (0..1000) to a linear 16-bit duty."""
    if level <= 0:
        return 0
    if level >= 1000:
        return 65535
    i = level // 25
    f = level - i * 25
    a = _CIE[i]
    return a + (_CIE[i + 1] - a) * f // 25


def kelvin_channel(kelvin, ch):
    """One channel (0 red, 1 green, 2 blue) of the colour of `kelvin`, 0..255, interpolated."""
    if kelvin < _KELVIN_MIN:
        kelvin = _KELVIN_MIN
    elif kelvin > _KELVIN_MAX:
        kelvin = _KELVIN_MAX
    k = kelvin - _KELVIN_MIN
    i = k // 100
    f = k - i * 100
    a = _KRGB[i * 3 + ch]
    if f == 0:
        return a
    return a + (_KRGB[i * 3 + 3 + ch] - a) * f // 100


def scale(channel, duty16):
    """Scale an 8-bit colour channel by a 16-bit linear duty.

    A strong channel (the dominant one of a warm colour) never rounds down to 0 while the light
    is on, so the dimmest levels still glow instead of going dark."""
    v = (channel * duty16 + 32767) >> 16
    if v == 0 and channel >= 128 and duty16:
        return 1
    return v


def half_steps(channel, duty16):
    """Scale an 8-bit colour channel by a 16-bit linear duty, in half steps (0..510).

    The core shows (v + 1) >> 1 on even pixels and v >> 1 on odd ones, so the strip's average
    is v / 2: a ramp has twice the 8-bit resolution, and neighbouring pixels differ by at most
    one step (too fine to see as a pattern). Like scale(), a strong channel keeps the dimmest
    glow (half the pixels at 1) while the light is on, and v never falls as duty rises."""
    v = (channel * duty16 + 16383) >> 15
    if v == 0 and channel >= 128 and duty16:
        return 1
    return v


def lerp(a, b, p):
    """Integer interpolation from a to b, p in permille."""
    return a + (b - a) * p // 1000


def progress(elapsed_ms, total_ms):
    """Progress through a span in permille, 0..1000. Safe from big-int maths on a 32-bit port."""
    if total_ms <= 0 or elapsed_ms >= total_ms:
        return 1000
    if elapsed_ms <= 0:
        return 0
    return (elapsed_ms // 100) * 1000 // (total_ms // 100 + 1)


def sunrise_kelvin(p):
    """Colour temperature along a sunrise, p in permille: deep red, then amber, then daylight.

    The curve is quadratic so the light stays red and amber for most of the first half, as a
    real dawn does, before it whitens."""
    return _KELVIN_MIN + (_KELVIN_MAX - _KELVIN_MIN) * (p * p // 1000) // 1000


def sunrise_level(p, top):
    """Brightness along a sunrise, p in permille, ending at `top` permille."""
    return top * p // 1000


def breathe(level, t_ms, period_ms, depth):
    """A paced-breathing swell around `level`: up for half the period, down for the other.

    depth is the swing in permille of level. Triangle wave, integer only."""
    if period_ms <= 0 or depth <= 0:
        return level
    ph = t_ms % period_ms
    half = period_ms >> 1
    if ph < half:
        tri = ph * 1000 // half
    else:
        tri = (period_ms - ph) * 1000 // half
    # tri 0..1000 -> swing -depth..+depth (permille of level)
    return level + level * depth // 1000 * (tri - 500) // 500
