# The boot-time verdict (decide) and safe mode, loaded only while booting: pod.early calls
# them from boot.py and main.py, and drops this module again once the verdict is given.
import time

import machine

from pod import board, early
from pod.marker import Marker
from pod.reasons import R_BOOT_LOOP, R_CRASH, R_POWER_CUT, R_WATCHDOG

BOOT_LOOP_LIMIT = 3  # this many failed boots in a row: safe mode


def decide():
    """Decide from the reset cause and the markers, save the verdict in RTC memory and return
    the Marker (reason 0: all well). pod.early.verdict() calls this, then lights up if needed."""
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


def safe_mode():
    """Boot loop: lights up and sounds the alarm pattern, feeds the watchdog, runs nothing else.

    A long press clears it (so does a power cycle, unless a night was under way)."""
    from pod import sound
    early.lights_on()
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
