# Fake `time` for the simulated ESP32: every clock reads virtual time, and sleeping advances it.
try:
    from simulator.hw import simstate
except ImportError:
    import simstate

_MASK = 0x3FFFFFFF
_HALF = 0x20000000


def ticks_ms():
    b = simstate.current  # (Board.ticks_ms, inlined: the firmware asks many times a tick)
    return (b.ticks_base + (b.us - b.boot_us) // 1000) & 0x3FFFFFFF


def ticks_us():
    return simstate.current.ticks_us()


def ticks_cpu():
    return simstate.current.ticks_us()


def ticks_add(t, delta):
    return (t + delta) & _MASK


def ticks_diff(a, b):
    return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000  # (_HALF, _MASK)


def sleep_ms(ms):
    b = simstate.current
    if ms > 0:
        b.advance_us(ms * 1000)
    b.check_intr()


def sleep_us(us):
    b = simstate.current
    if us > 0:
        b.advance_us(us)
    b.check_intr()


def sleep(s):
    b = simstate.current
    b.advance_us(int(s * 1000000))
    b.check_intr()


def time():
    return simstate.current.rtc_seconds()


def time_ns():
    return simstate.current.rtc_seconds() * 1000000000


def gmtime(secs=None):
    if secs is None:
        secs = simstate.current.rtc_seconds()
    days = secs // 86400
    y, m, d = simstate.civil_from_days(days + simstate.EPOCH_2000_DAYS)
    r = secs % 86400
    yday = days + simstate.EPOCH_2000_DAYS - simstate.days_from_civil(y, 1, 1) + 1
    return (y, m, d, r // 3600, (r // 60) % 60, r % 60, (days + 5) % 7, yday)


localtime = gmtime


def mktime(t):
    days = simstate.days_from_civil(t[0], t[1], t[2]) - simstate.EPOCH_2000_DAYS
    return days * 86400 + t[3] * 3600 + t[4] * 60 + t[5]
