# The resident fail-safe: what must be at hand from the first line of boot.py to the last of
# the night: the lights-on call, the crash handler, and the calls into the boot-time verdict
# (pod.boot_verdict) and safe mode (pod.safe_mode), which are loaded only when needed. If a
# session was interrupted (watchdog, crash, power cut) the lights and the alarm come on here,
# first, and the verdict is left in RTC memory for the main program to take over.
import sys
import time

import machine
import neopixel

from pod import board, lazy
from pod.marker import Marker
from pod.reasons import R_BOOT_LOOP, R_CRASH, R_POWER_CUT


def lights_on():
    """Every light full on and the speaker sounding, with nothing but machine and neopixel."""
    np = neopixel.NeoPixel(machine.Pin(board.STRIP_PIN, machine.Pin.OUT), board.STRIP_COUNT)
    np.fill((255, 255, 255))
    np.write()
    machine.PWM(machine.Pin(board.WHITE_PIN), freq=1000, duty_u16=65535)
    machine.PWM(machine.Pin(board.BUZZER_PIN), freq=2400, duty_u16=32768)


_done = False  # the verdict has run on this boot


def ensure_verdict():
    """Run the verdict if boot.py could not (it failed or was interrupted): main.py calls this
    first, so an interrupted night is never forgotten."""
    if not _done:
        verdict()


def verdict():
    """Decide from the reset cause and the markers (pod.boot_verdict, dropped from the heap
    again afterwards); returns the Marker (reason 0: all well). The lights come on at once if
    a session was interrupted."""
    global _done
    m = lazy("pod.boot_verdict", "decide")
    _done = True
    if m.active and m.reason:
        lights_on()
    return m


def crash(exc):
    """Last resort after an exception escaped main: wake first, then record and restart.

    The restart comes back through verdict(): an interrupted session becomes an alarm, and
    repeated crashes before "stable" become safe mode."""
    m = Marker()
    if not m.valid and Marker.flash_active():
        # power came back and the verdict has not run yet (RTC memory is lost): the night
        # under way is known from flash only, and it was the power cut that interrupted it
        m.active = 1
        m.reason = R_POWER_CUT
    if m.active:
        try:
            lights_on()
        except Exception:  # noqa: BLE001 - nothing may stop the restart below
            pass
        if not m.reason:
            m.reason = R_CRASH
        m.save()
    try:
        sys.print_exception(exc)  # type: ignore[attr-defined]
        time.sleep_ms(500)  # let the message out and the alarm be heard before the reset
    except Exception:  # noqa: BLE001 - a second failure must not stop the reset
        pass
    machine.reset()


def safe_mode_if_boot_loop():
    """Enter safe mode (never returning) if the verdict found a boot loop. Called by main.py
    before it imports the application, so a firmware that cannot even be imported still
    reaches it."""
    m = Marker()
    if m.valid and m.reason == R_BOOT_LOOP:
        lazy("pod.safe_mode", "run", lights_on)
