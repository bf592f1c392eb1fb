# The boot-time verdict on the last reset, loaded only while booting: pod.failsafe calls decide()
# from boot.py (or main.py) and drops this module again once the verdict is given.
import machine

from pod.marker import Marker
from pod.reasons import R_BOOT_LOOP, R_CRASH, R_POWER_CUT, R_WATCHDOG

BOOT_LOOP_LIMIT = 3  # this many failed boots in a row: safe mode (a policy number: pod.board)


def decide():
    """Decide from the reset cause and the markers, save the verdict in RTC memory and return
    the Marker (reason 0: all well). pod.failsafe.verdict() calls this, then lights up if needed."""
    cause = machine.reset_cause()
    m = Marker()
    if not m.valid:  # RTC memory lost: power-on, brownout or first boot
        m.active = 0
        m.reason = 0
        # ...or a reset of a boot that failed before it saved its verdict: that one counts
        m.failed_boots = 0 if cause == machine.PWRON_RESET else 1
        m.deliberate = 0
        if Marker.flash_active():
            m.active = 1
            m.reason = R_POWER_CUT
    elif cause == machine.PWRON_RESET:
        # Power was cut and came back quickly enough to keep RTC memory: still a power cut.
        m.failed_boots = 0
        if m.active and not m.reason:
            m.reason = R_POWER_CUT
    else:
        if m.deliberate:
            m.failed_boots = 0
        else:
            m.failed_boots += 1
        if m.active and not m.reason:
            # any other reset mid-session, even one asked for, wakes: never resume in the dark
            m.reason = R_WATCHDOG if cause == machine.WDT_RESET else R_CRASH
    m.deliberate = 0
    if m.failed_boots >= BOOT_LOOP_LIMIT:
        m.active = 1
        m.reason = R_BOOT_LOOP
    m.save()
    return m
