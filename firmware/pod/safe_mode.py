# Safe mode after a boot loop: lights up and sounds the alarm pattern, feeds the watchdog, runs
# nothing else. pod.failsafe loads it (main.py, before the application is imported), so a
# firmware whose application cannot even be imported still reaches it.
import time

import machine

from pod import board, sound
from pod.marker import RESET_ASKED, Marker


def run(lights_on):
    """Boot loop: lights up and sounds the alarm pattern, feeds the watchdog, runs nothing else.

    A long press clears it (so does a power cycle, unless a night was under way). lights_on
    is pod.failsafe's (this module imports nothing of its caller)."""
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
            m.deliberate = RESET_ASKED
            m.save()
            Marker.set_flash(False)
            machine.reset()
        wdt.feed()
        time.sleep_ms(50)
