# Fake `machine` for the simulated ESP32: the calls the firmware makes, acting on simstate.
try:
    from simulator.hw import simstate
except ImportError:
    import simstate

PWRON_RESET = simstate.PWRON_RESET
HARD_RESET = simstate.HARD_RESET
WDT_RESET = simstate.WDT_RESET
DEEPSLEEP_RESET = simstate.DEEPSLEEP_RESET
SOFT_RESET = simstate.SOFT_RESET

_EIO = 5
_ENODEV = 19
_ETIMEDOUT = 116


def _b():
    return simstate.current


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, pull=-1, value=None):
        self.id = id
        self._s = _b().pin(id)
        self._s.obj = self
        self.init(mode, pull, value)

    def init(self, mode=-1, pull=-1, value=None):
        s = self._s
        if mode != -1:
            s.mode = mode
        if pull != -1:
            s.pull = pull
        if value is not None:
            self.value(value)

    def value(self, v=None):
        s = self._s
        if v is None:
            return s.level
        s.level = 1 if v else 0
        _b().output_changed()
        return None

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=3, hard=False):
        self._s.handler = handler
        self._s.trigger = trigger


class PWM:
    def __init__(self, dest, freq=None, duty_u16=None, duty=None, duty_ns=None):
        self.pin = dest.id if isinstance(dest, Pin) else dest
        b = _b()
        st = b.pwm.get(self.pin)
        if st is None:
            st = [5000, 0]
            b.pwm[self.pin] = st
        self._st = st
        if freq is not None:
            st[0] = freq
        if duty_u16 is not None:
            st[1] = duty_u16
        elif duty is not None:
            st[1] = duty * 64
        b.output_changed()

    def freq(self, f=None):
        if f is None:
            return self._st[0]
        if not 1 <= f <= 40000000:
            raise ValueError("frequency must be from 1Hz to 40MHz")
        self._st[0] = f
        _b().output_changed()
        return None

    def duty_u16(self, d=None):
        if d is None:
            return self._st[1]
        if not 0 <= d <= 65535:
            raise ValueError("duty_u16 must be from 0 to 65535")
        self._st[1] = d
        _b().output_changed()
        return None

    def duty(self, d=None):
        if d is None:
            return self._st[1] >> 6
        return self.duty_u16(min(65535, d * 64))

    def deinit(self):
        self._st[1] = 0
        _b().output_changed()


class I2C:
    def __init__(self, id=0, scl=None, sda=None, freq=400000, timeout=50000):
        self.id = id
        self.freqv = freq
        self.timeout_us = timeout

    def _dev(self, addr):
        """The device model at addr, or the OSError a real ESP32 I2C transfer raises:
        ENODEV when nothing acknowledges (bus fault "nack", or the part removed), EIO for a
        transfer broken midway ("eio"), ETIMEDOUT after the bus timeout when a confused slave
        holds SDA low ("stuck"): the ESP32's I2C driver gives up, it does not hang."""
        b = _b()
        fault = b.i2c_fault
        if fault == "stuck":
            b.i2c_errors += 1
            b.advance_us(self.timeout_us)
            raise OSError(_ETIMEDOUT)
        dev = b.i2c.get(addr)
        if dev is None or fault == "nack":
            b.i2c_errors += 1
            raise OSError(_ENODEV)
        if fault == "eio":
            b.i2c_errors += 1
            raise OSError(_EIO)
        return dev

    def scan(self):
        b = _b()
        if b.i2c_fault:
            return []
        return sorted(b.i2c.keys())

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        dev = self._dev(addr)
        into = getattr(dev, "read_into", None)
        if into is not None:  # a model that fills the buffer itself (no copy)
            into(memaddr, buf)
            return
        n = len(buf)
        data = dev.read(memaddr, n)
        if len(data) == n:
            buf[0:n] = data  # (a bytearray or a memoryview of one)
        else:
            for i in range(n):
                buf[i] = data[i]

    def readfrom_mem(self, addr, memaddr, nbytes, addrsize=8):
        return bytes(self._dev(addr).read(memaddr, nbytes))

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        self._dev(addr).write(memaddr, buf)


SoftI2C = I2C


class I2S:
    """An I2S transmitter. What the firmware writes is recorded on the board as it would play:
    board.i2s_log gets (t_ms, freq_hz, amplitude) whenever the sound changes (0, 0 for
    silence), estimated from the samples: the frequency from sign changes, the amplitude from
    the largest sample."""
    TX = 0
    RX = 1
    MONO = 0
    STEREO = 1

    def __init__(self, id, sck=None, ws=None, sd=None, mode=0, bits=16, format=0, rate=8000,
                 ibuf=4096):
        self.rate = rate
        self._last = b""
        _b().i2s_cfg = {"id": id, "bits": bits, "format": format, "rate": rate, "ibuf": ibuf}

    def write(self, buf):
        data = bytes(buf)
        if data == self._last:  # the same samples again: the same sound goes on
            return len(data)
        self._last = data
        n = len(data) // 2
        peak = 0
        flips = 0
        prev = 0
        for i in range(n):
            v = data[2 * i] | (data[2 * i + 1] << 8)
            if v >= 0x8000:
                v -= 0x10000
            if abs(v) > peak:
                peak = abs(v)
            s = 1 if v > 0 else (-1 if v < 0 else 0)
            if s and prev and s != prev:
                flips += 1
            if s:
                prev = s
        freq = (flips + 1) * self.rate // (2 * n) if peak and n else 0
        b = _b()
        log = b.i2s_log
        if not log or log[-1][1] != freq or log[-1][2] != peak:
            log.append((b.us // 1000, freq, peak))
        return len(data)

    def deinit(self):
        pass


class WDT:
    def __init__(self, id=0, timeout=5000):
        if timeout < 1000:
            raise ValueError("the ESP32 watchdog timeout is at least 1000 ms")
        _b().wdt_start(timeout)

    def feed(self):
        simstate.current.wdt_feed()


class Timer:
    """A hardware timer: its callback runs from the clock, as an interrupt would, even while
    the main program is stuck."""
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=0, mode=1, period=-1, callback=None):
        self._ev = None
        if period > 0:
            self.init(mode=mode, period=period, callback=callback)

    def init(self, mode=1, period=1000, callback=None, freq=None):
        self.deinit()
        if freq:
            period = 1000 // freq
        self.mode = mode
        self.period = period
        self.callback = callback
        self._arm()

    def _arm(self):
        b = _b()
        self._ev = b.schedule(b.us + self.period * 1000, self._fire)
        if self not in b.timers:
            b.timers.append(self)

    def _fire(self):
        if self.mode == Timer.PERIODIC:
            self._arm()
        if self.callback is not None:
            self.callback(self)

    def deinit(self):
        if self._ev is not None:
            b = _b()
            b.cancel(self._ev)
            self._ev = None
            if self in b.timers:
                b.timers.remove(self)


class RTC:
    def __init__(self, id=0):
        pass

    def datetime(self, dt=None):
        b = _b()
        if dt is None:
            s = b.rtc_seconds()
            days = s // 86400
            y, m, d = simstate.civil_from_days(days + simstate.EPOCH_2000_DAYS)
            r = s % 86400
            # the last field: microseconds into the second, as the ESP32 port gives them
            sub = (b.us - b.rtc_set_us) % 1000000
            return (y, m, d, (days + 5) % 7, r // 3600, (r // 60) % 60, r % 60, sub)
        days = simstate.days_from_civil(dt[0], dt[1], dt[2]) - simstate.EPOCH_2000_DAYS
        b.rtc_set(days * 86400 + dt[4] * 3600 + dt[5] * 60 + dt[6])
        return None

    def init(self, dt):
        self.datetime(dt)

    def memory(self, data=None):
        b = _b()
        if data is None:
            return b.rtc_mem
        if len(data) > 2048:
            raise ValueError("RTC memory holds at most 2048 bytes")
        b.rtc_mem = bytes(data)
        return None


def reset_cause():
    return _b().reset_cause


def reset():
    raise simstate.Reset(HARD_RESET)


def soft_reset():
    raise simstate.Reset(SOFT_RESET)


def unique_id():
    return bytes(_b().uid)


def freq(f=None):
    return 240000000 if f is None else None


def idle():
    _b().advance_us(1000)


def disable_irq():
    return 0


def enable_irq(state=0):
    pass
