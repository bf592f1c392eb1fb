# Thin drivers for the pod's outputs and button. Each takes pins made by the caller and keeps
# the last value it wrote, so an unchanged output costs nothing and allocates nothing.
import time

import machine
import neopixel


class Strip:
    """WS2812 strip. Even pixels show colour 1, odd pixels colour 2."""

    def __init__(self, pin, count, level=0):
        self.np = neopixel.NeoPixel(pin, count)
        self.count = count
        self._last = bytearray(6)
        self._last[0] = level ^ 1  # force the first write
        self.show(level, level, level, level, level, level)

    def show(self, r, g, b, r2, g2, b2):
        last = self._last
        if (last[0] == r and last[1] == g and last[2] == b
                and last[3] == r2 and last[4] == g2 and last[5] == b2):
            return
        last[0] = r
        last[1] = g
        last[2] = b
        last[3] = r2
        last[4] = g2
        last[5] = b2
        np = self.np
        buf = np.buf
        order = np.ORDER
        bpp = np.bpp
        ro = order[0]
        go = order[1]
        bo = order[2]
        i = 0
        for p in range(self.count):
            if p & 1:
                buf[i + ro] = r2
                buf[i + go] = g2
                buf[i + bo] = b2
            else:
                buf[i + ro] = r
                buf[i + go] = g
                buf[i + bo] = b
            i += bpp
        np.write()


class Lamp:
    """A PWM-dimmed white LED; duty is linear 0..65535."""

    def __init__(self, pin, duty=0):
        self.pwm = machine.PWM(pin, freq=1000, duty_u16=duty)
        self.duty = duty

    def set(self, duty):
        if duty != self.duty:
            self.duty = duty
            self.pwm.duty_u16(duty)


class Buzzer:
    """A PWM tone. Volume (permille) sets the duty cycle, at most 50 %."""

    def __init__(self, pin):
        self.pwm = machine.PWM(pin, freq=1000, duty_u16=0)
        self.tone = 0
        self.duty = 0

    def play(self, tone, vol):
        duty = vol * 32768 // 1000 if tone > 0 else 0
        if tone > 0 and tone != self.tone:
            self.tone = tone
            self.pwm.freq(tone)
        if duty != self.duty:
            self.duty = duty
            self.pwm.duty_u16(duty)


class Button:
    """Momentary switch to ground. The interrupt only latches; the loop reads the latch.

    A press counts only once the loop has seen the button up on two ticks in a row since the
    last one, so contact bounce on the press or on the release never makes a second press
    (and no timestamps are compared, so nothing goes stale however long the pod runs)."""

    def __init__(self, pin):
        self.pin = pin
        self.latched = False
        self._settled = pin.value() == 1  # up long enough for the next falling edge to count
        self._up_seen = False
        self._down = False
        self._t_down = 0
        self._isr = self._on_edge  # bind once: no allocation in the interrupt
        pin.irq(trigger=machine.Pin.IRQ_FALLING, handler=self._isr)

    def _on_edge(self, _pin):
        if self._settled:
            self._settled = False
            self.latched = True

    def take(self):
        """True once for each press since the last call."""
        if self.latched:
            self.latched = False
            return True
        return False

    def held_ms(self, now):
        """How long the button has been held down, 0 when released."""
        if self.pin.value():
            self._down = False
            if self._up_seen:
                self._settled = True
            self._up_seen = True
            return 0
        self._up_seen = False
        self._settled = False
        if not self._down:
            self._down = True
            self._t_down = now
        return time.ticks_diff(now, self._t_down) + 1
