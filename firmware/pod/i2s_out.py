# Optional I2S speaker (an I2S amplifier such as a MAX98357A), used when board.I2S_ENABLED.
# Plays the same tones as the PWM buzzer, as a square wave whose amplitude is the volume. One
# buffer, made in the constructor, holds a whole number of periods of the current tone (so it
# loops without a click); a new tone or volume refills it, and every loop tick writes it as
# many times as one tick of sound needs. Nothing is allocated per tick.
# A driver only: which sounds it plays is the app's choice (the app keeps the fail-safe alarm
# on the PWM buzzer too, as boot.py and main.py's crash handler do on their own).
import machine
from micropython import const

from pod import board

RATE = const(16000)          # samples per second, 16-bit mono
_TICK_SAMPLES = const(1600)  # one 100 ms loop tick of sound
_BUF_SAMPLES = const(512)
_PEAK = const(12000)         # full volume, with headroom under 32767 for the amplifier


class I2SOut:
    def __init__(self):
        P = machine.Pin
        self.i2s = machine.I2S(board.I2S_ID, sck=P(board.I2S_SCK), ws=P(board.I2S_WS),
                               sd=P(board.I2S_SD), mode=machine.I2S.TX, bits=16,
                               format=machine.I2S.MONO, rate=RATE, ibuf=4 * _TICK_SAMPLES)
        self.buf = bytearray(2 * _BUF_SAMPLES)
        self.view = memoryview(self.buf)
        self.reps = 1
        self.tone = -1
        self.vol = -1

    def play(self, tone, vol):
        if tone <= 0 or vol <= 0:
            tone = vol = 0
        if tone != self.tone or vol != self.vol:
            self.tone = tone
            self.vol = vol
            self._fill(tone, vol)
        for _ in range(self.reps):
            self.i2s.write(self.view)

    def _fill(self, tone, vol):
        buf = self.buf
        if tone == 0:
            n = _BUF_SAMPLES
            for i in range(2 * n):
                buf[i] = 0
        else:
            half = max(1, (RATE + tone) // (2 * tone))  # samples per half period, rounded
            n = (_BUF_SAMPLES // (2 * half)) * 2 * half
            amp = _PEAK * vol // 1000
            hi = amp & 0xFFFF
            lo = (-amp) & 0xFFFF
            for i in range(n):
                v = hi if (i // half) & 1 == 0 else lo
                buf[2 * i] = v & 0xFF
                buf[2 * i + 1] = v >> 8
        self.view = memoryview(buf)[:2 * n]
        self.reps = (_TICK_SAMPLES + n - 1) // n
