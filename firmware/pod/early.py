# The boot-time verdict, run from boot.py before anything else is imported.
# If a session was interrupted (watchdog, crash, power cut) the lights and the alarm come on
# here, first, and the verdict is left in RTC memory for the main program to take over.
import sys
import time

import machine
import neopixel

from pod import board
from pod.marker import Marker
from pod.reasons import R_BOOT_LOOP, R_CRASH, R_POWER_CUT, R_WATCHDOG

BOOT_LOOP_LIMIT = 3  # this many failed boots in a row: safe mode


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
    """Decide from the reset cause and the markers; returns the Marker (reason 0: all well)."""
    global _done
    cause = machine.reset_cause()
    m = Marker()
    if not m.valid:  # RTC memory lost: power-on, brownout or first boot
        m.active = 0
        m.reason = 0
        m.failed_boots = 0
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
    _done = True
    if m.active and m.reason:
        lights_on()
    return m


def crash(exc):
    """Last resort after an exception escaped main: wake first, then record and restart.

    The restart comes back through verdict(): an interrupted session becomes an alarm, and
    repeated crashes before "stable" become safe mode."""
    m = Marker()
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
        safe_mode()


def safe_mode():
    """Boot loop: lights up and sounds the alarm pattern, feeds the watchdog, runs nothing else.

    A long press clears it (so does a power cycle, unless a night was under way)."""
    from pod import sound
    lights_on()
    wdt = machine.WDT(timeout=board.WDT_TIMEOUT_MS)
    buz = machine.PWM(machine.Pin(board.BUZZER_PIN), freq=2400, duty_u16=32768)
    btn = machine.Pin(board.BUTTON_PIN, machine.Pin.IN, machine.Pin.PULL_UP)
    print('{"t":"evt","ev":"safe_mode","state":"ALARM","reason":"boot_loop"}')
    t0 = time.ticks_ms()
    held = 0
    while True:
        now = time.ticks_ms()
        tone = sound.alarm_tone(time.ticks_diff(now, t0))
        if tone:
            buz.freq(tone)
            buz.duty_u16(32768)
        else:
            buz.duty_u16(0)
        held = held + 50 if not btn.value() else 0
        if held >= board.LONG_PRESS_MS:
            m = Marker()
            m.failed_boots = 0
            m.active = 0
            m.reason = 0
            m.deliberate = 1
            m.save()
            Marker.set_flash(False)
            machine.reset()
        wdt.feed()
        time.sleep_ms(50)
