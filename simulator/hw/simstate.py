# The simulated board's state: virtual clock, scheduled events, watchdog, RTC, pins, buses.
# One board is "current" at a time; the fake machine/neopixel/time modules act on it.

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
CAUSE_NAMES = {1: "power_on", 2: "hard", 3: "watchdog", 4: "deep_sleep", 5: "soft"}

TICKS_MASK = 0x3FFFFFFF
EPOCH_2000_DAYS = 10957  # days from 1970-01-01 to 2000-01-01 (MicroPython's epoch)
# The ESP32 port keeps the bytes that arrive on the REPL UART in a 260-byte ring buffer
# (stdin_ringbuf in ports/esp32/mphalport.c), which holds 259; what does not fit is lost.
RX_MAX = 259
UID = b"\x24\x0a\xc4\x5e\xb0\x01"  # a pod's unique id unless told otherwise


class Reset(BaseException):
    """The board resets: RAM is lost, RTC memory and files are kept."""

    def __init__(self, cause):
        super().__init__(cause)
        self.cause = cause


class PowerCut(BaseException):
    """Power is lost for off_ms: RAM and RTC memory are lost, files are kept."""

    def __init__(self, off_ms):
        super().__init__(off_ms)
        self.off_ms = off_ms


class SimEnd(BaseException):
    """The simulation has reached its end time."""


def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return (y + (m <= 2), m, d)


def _no_output():
    pass


def _no_console(line):
    pass


class PinState:
    def __init__(self, pid):
        self.id = pid
        self.mode = -1
        self.pull = -1
        self.level = 1
        self.handler = None
        self.trigger = 0
        self.obj = None


class Board:
    def __init__(self, ticks_start=TICKS_MASK + 1 - 90000):
        self.us = 0               # virtual time since the simulation started, microseconds
        self.boot_us = 0
        self.ticks_base = ticks_start  # ticks_ms() at boot; starts near the 2**30 wrap
        self._events = []         # sorted [t_us, seq, fn]
        self._seq = 0
        self.wdt_timeout_ms = 0
        self.wdt_deadline = -1    # us, -1 when no watchdog runs
        self.wdt_feeds = 0
        self.rtc_mem = b""
        self.rtc_s = 0            # RTC seconds since 2000-01-01 at us == rtc_set_us
        self.rtc_set_us = 0
        self.reset_cause = PWRON_RESET
        self.pins = {}
        self.pwm = {}             # pin id -> [freq, duty_u16]
        self.strips = {}          # pin id -> bytes of the last write
        self.i2c = {}             # address -> device model (read(reg, n), write(reg, data))
        self.i2c_fault = ""       # "", "nack", "eio" or "stuck" (see machine.I2C._dev)
        self.i2c_errors = 0
        self.i2s_cfg = None       # the I2S speaker's configuration, once the firmware made one
        self.i2s_log = []         # (t_ms, freq_hz, amplitude) each time what it plays changes
        self.radio = None         # its air.Station once placed in a simulated Air (household)
        self.uid = UID            # machine.unique_id(): the ESP32's base MAC (pod-sim serve --pod-id)
        self.hung = False         # stuck in hang(): only a reset or power loss ends it
        self.timers = []          # running machine.Timer objects, stopped by a reset
        self.rx = bytearray()     # serial bytes from the host, not yet read by the firmware
        self.rx_max = RX_MAX      # what the receive buffer holds (0: no limit)
        self.rx_dropped = 0       # bytes lost because it was full
        self.kbd_char = 3         # micropython.kbd_intr(): this byte raises KeyboardInterrupt (-1: none)
        self.kbd_hit = False      # one arrived: the running program gets KeyboardInterrupt
        self.on_output = _no_output    # called after any output changes
        self.on_console = _no_console  # called with each line the firmware prints

    # -- clock -------------------------------------------------------------------------------
    def ticks_ms(self):
        return (self.ticks_base + (self.us - self.boot_us) // 1000) & TICKS_MASK

    def ticks_us(self):
        return (self.ticks_base * 1000 + (self.us - self.boot_us)) & TICKS_MASK

    def schedule(self, t_us, fn):
        """Run fn() when virtual time reaches t_us (it may raise Reset, PowerCut or SimEnd)."""
        self._seq += 1
        ev = [t_us, self._seq, fn]
        evs = self._events
        i = len(evs)
        while i > 0 and (evs[i - 1][0] > t_us):
            i -= 1
        evs.insert(i, ev)
        return ev

    def cancel(self, ev):
        if ev in self._events:
            self._events.remove(ev)

    def advance_us(self, dt):
        target = self.us + dt
        evs = self._events
        t_wd = self.wdt_deadline
        if (not evs or evs[0][0] > target) and (t_wd < 0 or t_wd > target):
            self.us = target  # nothing happens meanwhile (most loop sleeps)
            return
        while True:
            t_ev = evs[0][0] if evs else -1
            t_wd = self.wdt_deadline
            if t_wd >= 0 and t_wd <= target and (t_ev < 0 or t_wd <= t_ev):
                self.us = t_wd
                raise Reset(WDT_RESET)
            if t_ev < 0 or t_ev > target:
                self.us = target
                return
            ev = evs.pop(0)
            if ev[0] > self.us:
                self.us = ev[0]
            ev[2]()

    def hang(self):
        """The firmware is stuck (a call never returns): time runs on until something resets.
        While stuck, no firmware code runs, so nothing can raise inside it (see `hung`)."""
        self.hung = True
        while True:
            self.advance_us(1000000)

    # -- watchdog ----------------------------------------------------------------------------
    def wdt_start(self, timeout_ms):
        self.wdt_timeout_ms = timeout_ms
        self.wdt_feed()

    def wdt_feed(self):
        if self.wdt_timeout_ms:
            self.wdt_feeds += 1
            self.wdt_deadline = self.us + self.wdt_timeout_ms * 1000

    # -- RTC ---------------------------------------------------------------------------------
    def rtc_seconds(self):
        return self.rtc_s + (self.us - self.rtc_set_us) // 1000000

    def rtc_set(self, secs):
        self.rtc_s = secs
        self.rtc_set_us = self.us

    # -- outputs -----------------------------------------------------------------------------
    def output_changed(self):
        self.on_output()

    def pin(self, pid):
        p = self.pins.get(pid)
        if p is None:
            p = PinState(pid)
            self.pins[pid] = p
        return p

    def set_input(self, pid, level):
        """Drive an input pin from outside (a person pressing a button); fires its IRQ."""
        p = self.pin(pid)
        old = p.level
        p.level = level
        if p.handler is not None and old != level:
            if (level == 0 and p.trigger & 2) or (level == 1 and p.trigger & 1):
                p.handler(p.obj)

    # -- serial ------------------------------------------------------------------------------
    def feed_rx(self, data):
        """Bytes from the host arrive on the board's USB serial, all at once. What does not fit
        in the receive buffer (rx_max) is lost, as on the board. Returns how many were kept.

        As on the board, the interrupt character (Ctrl-C, unless micropython.kbd_intr changed
        it) is not received: it raises KeyboardInterrupt in the running program (at its next
        sleep, see check_intr)."""
        k = self.kbd_char
        if k >= 0 and k in data:
            self.kbd_hit = True
            data = bytes(x for x in data if x != k)
        n = len(data)
        if self.rx_max:
            room = self.rx_max - len(self.rx)
            if n > room:
                n = room if room > 0 else 0
        if n:
            self.rx.extend(data[:n] if n < len(data) else data)
        self.rx_dropped += len(data) - n
        return n

    # -- power and resets --------------------------------------------------------------------
    def reboot(self, cause):
        """Hardware state after a reset: pins, PWM, watchdog and IRQs back to power-on."""
        self.reset_cause = cause
        self.hung = False
        self.wdt_timeout_ms = 0
        self.wdt_deadline = -1
        for p in self.pins.values():
            p.handler = None
            p.mode = -1
        self.pwm = {}
        if self.i2s_log and self.i2s_log[-1][1]:  # a reset stops the I2S stream
            self.i2s_log.append((self.us // 1000, 0, 0))
        for t in list(self.timers):
            t.deinit()
        self.timers = []
        self.rx[0:len(self.rx)] = b""  # the receive buffer is RAM
        self.kbd_char = 3
        self.kbd_hit = False
        if cause == PWRON_RESET:
            # WS2812 pixels keep their colour across a reset; only losing power clears them.
            for k in self.strips:
                self.strips[k] = bytes(len(self.strips[k]))
            self.rtc_mem = b""
            self.rtc_set(0)
        self.ticks_base = 0
        self.output_changed()

    def check_intr(self):
        """Called from the firmware's sleeps: a pending Ctrl-C raises KeyboardInterrupt."""
        if self.kbd_hit:
            self.kbd_hit = False
            if self.kbd_char >= 0:
                raise KeyboardInterrupt

    def start_boot(self):
        self.boot_us = self.us


current = None


def board():
    return current
