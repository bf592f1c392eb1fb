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
