# Sound engine: what the speaker plays as a function of time. Pure and integer-only.
# Each function returns a tone in Hz (0 means a rest); the core pairs it with a volume.
from micropython import const

# Wake melody: a rising major arpeggio, one note every 300 ms, then a pause.
_WAKE_NOTES = (523, 659, 784, 1047, 0, 0)
_WAKE_STEP_MS = const(300)

# Fail-safe alarm: a two-tone siren with a gap, unlike anything else the pod plays.
_ALARM_NOTES = (2400, 1800, 2400, 1800, 0)
_ALARM_STEP_MS = const(150)

# Wind-down: a low tone that swells and fades with a slow breath (10 s).
SOOTHE_HZ = const(174)
_SOOTHE_PERIOD_MS = const(10000)


def wake_tone(t_ms):
    return _WAKE_NOTES[(t_ms // _WAKE_STEP_MS) % 6]


def alarm_tone(t_ms):
    return _ALARM_NOTES[(t_ms // _ALARM_STEP_MS) % 5]


def soothe_volume(t_ms, vol):
    """Volume of the soothing tone: a triangle swell between 20 % and 100 % of vol."""
    ph = t_ms % _SOOTHE_PERIOD_MS
    half = _SOOTHE_PERIOD_MS // 2
    tri = ph if ph < half else _SOOTHE_PERIOD_MS - ph
    return vol * (200 + tri * 800 // half) // 1000


# Soothing noise: a pink-ish random walk of low tones. Four rows of pseudo-random values, row j
# redrawn every 2**j hops (Voss's way of making 1/f noise), summed into a pitch, so the tone
# wanders slowly with small steps and an occasional bigger one, unlike white noise's jumps.
_NOISE_HOP_MS = const(160)
NOISE_LOW_HZ = const(140)
NOISE_STEP_HZ = const(9)   # 4 rows of 0..7: 140..392 Hz


def _hash(x):
    """A small-int hash (no big ints on a 32-bit port): 0..65535."""
    x = (x & 0x3FFF) * 40503 & 0xFFFF
    x ^= x >> 7
    x = (x & 0x3FFF) * 40503 & 0xFFFF
    return x ^ (x >> 9)


def noise_tone(t_ms):
    slot = t_ms // _NOISE_HOP_MS
    s = 0
    for j in range(4):
        s += _hash((slot >> j) + j * 4099) & 7
    return NOISE_LOW_HZ + s * NOISE_STEP_HZ


def noise_volume(t_ms, vol):
    """Noise plays at half the chosen volume, ruffled by up to a fifth from hop to hop."""
    return vol * (400 + (_hash(t_ms // _NOISE_HOP_MS + 777) & 127) * 100 // 127) // 1000
