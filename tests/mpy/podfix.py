# Shared fixtures for the MicroPython tests and benchmarks: the whole App on the fake board.
# Runs on MicroPython (and parses on CPython); needs sys.path as tests/mpy/runner.py sets it.
import gc
import os
import time

import machine  # noqa: F401 - the fake board's modules are all loaded before any heap budget
import neopixel
import simstate
from micropython import const

from pod import board as pins

_FIFO_WR_PTR = const(0x04)
_FIFO_DATA = const(0x07)
_MODE_CONFIG = const(0x09)
_PART_ID = const(0xFF)
_PERIOD_US = const(40000)  # 25 samples/s, what pod.max30102 configures
NOV_23_2026 = 9823          # days from 2000-01-01 (MicroPython's epoch) to 2026-11-23


def new_board(clock_s=22 * 3600 + 30 * 60, sensor=None):
    """A fresh fake board, made current, its RTC at 2026-11-23 clock_s, a sensor at 0x57."""
    b = simstate.Board()
    simstate.current = b
    b.rtc_set(NOV_23_2026 * 86400 + clock_s)
    if sensor is None:
        from max30102sim import MAX30102Sim
        from sleeper import Sleeper
        sensor = MAX30102Sim(Sleeper(1))
    if sensor:
        b.i2c[pins.HR_ADDR] = sensor
    return b


class QuietSensor:
    """A MAX30102 register model that allocates nothing once built.

    The simulator's MAX30102Sim (and its Sleeper) make bytes objects and floats for every read,
    which a real sensor on a real I2C bus does not; with it the heap cannot be locked around a
    sensor read. This one answers from preallocated buffers with an integer pulse at `bpm`
    (the Sleeper's beat shape, 900 counts deep on a 150000 baseline), clocked from virtual
    time at 25 samples/s into a 32-sample FIFO with the same pointer registers, so the
    firmware's read path (pointers, burst read, decoding) and the estimator run as usual."""

    def __init__(self, bpm=60):
        from sleeper import WAVE
        self.wave = WAVE
        self.bpm = bpm
        self.regs = bytearray(256)
        self.regs[_PART_ID] = 0x15
        self.fifo = [0] * 32      # IR counts
        self.fifo_r = [0] * 32    # red counts
        self.wr = 0
        self.rd = 0
        self.count = 0
        self.ovf = 0
        self.t_next = -1          # virtual time (us) of the next sample, -1 until first used
        self.samples = 0
        self._one = bytearray(1)
        self._ptrs = bytearray(3)
        self._data = bytearray(6 * 32)  # the fake I2C copies only as many bytes as asked for

    def _ir(self, t_ms):
        k = (t_ms * self.bpm * 64 // 60000) & 63
        return 150000 - 900 * self.wave[k] // 1000

    def _red(self, t_ms):
        """The red channel: the same pulse, relatively weaker than in IR, as in skin."""
        k = (t_ms * self.bpm * 64 // 60000) & 63
        return 120000 - 540 * self.wave[k] // 1000

    def _catch_up(self):
        now = simstate.current.us
        if self.t_next < 0 or (self.regs[_MODE_CONFIG] & 7) != 3:
            self.t_next = now
            return
        if now - self.t_next > 64 * _PERIOD_US:  # a long gap: only the last samples matter
            self.t_next = now - 40 * _PERIOD_US
        while self.t_next <= now:
            if self.count == 32:
                self.ovf = min(31, self.ovf + 1)
                self.rd = (self.rd + 1) & 31
                self.count -= 1
            self.fifo[self.wr] = self._ir(self.t_next // 1000)
            self.fifo_r[self.wr] = self._red(self.t_next // 1000)
            self.wr = (self.wr + 1) & 31
            self.count += 1
            self.samples += 1
            self.t_next += _PERIOD_US

    def read(self, reg, n):
        self._catch_up()
        if reg == _FIFO_WR_PTR and n == 3:
            p = self._ptrs
            p[0] = self.wr
            p[1] = self.ovf
            p[2] = self.rd
            return p
        if reg == _FIFO_DATA and n % 6 == 0 and n // 6 <= 32:
            k = n // 6
            out = self._data
            j = 0
            for _ in range(k):
                ir = self.fifo[self.rd] if self.count else 0
                red = self.fifo_r[self.rd] if self.count else 0
                out[j] = red >> 16
                out[j + 1] = (red >> 8) & 0xFF
                out[j + 2] = red & 0xFF
                out[j + 3] = ir >> 16
                out[j + 4] = (ir >> 8) & 0xFF
                out[j + 5] = ir & 0xFF
                j += 6
                if self.count:
                    self.rd = (self.rd + 1) & 31
                    self.count -= 1
            self.ovf = 0
            return out
        if n != 1:
            raise OSError(5)
        o = self._one
        o[0] = self.regs[reg]
        return o

    def write(self, reg, data):
        self._catch_up()
        for v in data:
            if reg == _MODE_CONFIG and v & 0x40:  # reset: the bit clears itself at once
                v = 0
            if reg == 0x04:
                self.wr = v & 31
                self.count = (self.wr - self.rd) & 31
            elif reg == 0x06:
                self.rd = v & 31
                self.count = (self.wr - self.rd) & 31
            elif reg == 0x05:
                self.ovf = v & 31
            self.regs[reg] = v
            reg = (reg + 1) & 0xFF


def _write_in_place(self):
    # The fake NeoPixel.write copies the buffer into a new bytes object; the ESP32's driver
    # sends it with machine.bitstream and allocates nothing. Same effect, copied in place.
    b = simstate.current
    dst = b.strips[self.pin.id]
    buf = self.buf
    for i in range(len(buf)):
        dst[i] = buf[i]
    b.output_changed()


_saved_write = []


def quiet_outputs(on):
    """Swap the fake NeoPixel.write for an in-place copy (on) or put the original back (off)."""
    if on:
        if not _saved_write:
            _saved_write.append(neopixel.NeoPixel.write)
        neopixel.NeoPixel.write = _write_in_place
        b = simstate.current
        for k in b.strips:
            b.strips[k] = bytearray(b.strips[k])
    elif _saved_write:
        neopixel.NeoPixel.write = _saved_write.pop()


def silence_print(on):
    """Route print() to a counter (on) or back to the console (off).

    The firmware prints one string per call; the sink takes exactly one argument, so the call
    itself allocates nothing (a *args sink would add a tuple to every measured line)."""
    import builtins
    if on:
        if not _saved_print:
            _saved_print.append(builtins.print)
        builtins.print = _sink
    elif _saved_print:
        builtins.print = _saved_print.pop()


_saved_print = []
printed = [0]


def _sink(line, end="\n"):
    if end:  # a reply printed in pieces (end="") is one line
        printed[0] += 1


SCRATCH = "pod-mpy.tmp"  # the App writes session.mark and the like to the current directory


def _clean(d):
    try:
        for name in os.listdir(d):
            os.remove(d + "/" + name)
        os.rmdir(d)
    except OSError:
        pass


_in_scratch = [False]


def enter_scratch():
    """Work in a fresh folder made in the current directory, for the files the App writes."""
    _clean(SCRATCH)
    os.mkdir(SCRATCH)
    os.chdir(SCRATCH)
    _in_scratch[0] = True


def leave_scratch():
    if _in_scratch[0]:
        _in_scratch[0] = False
        os.chdir("..")
        _clean(SCRATCH)


def make_app(prog=None, clock_s=22 * 3600 + 30 * 60, sensor=None, board=None):
    """(board, app): the App built on `board` (made current) or on a new board; prog (a
    program dict) is stored as program.json first, so the App loads it as on the pod (the
    validator imported for it and dropped again). Call enter_scratch() first."""
    if board is None:
        board = new_board(clock_s, sensor)
    simstate.current = board
    if prog is not None:
        import json
        with open("program.json", "w") as f:
            json.dump(prog, f)
    # as main.py boots: the stored files read (the store and the validator loaded and dropped
    # again) before the application is imported, then the App built on what they held
    import pod
    loaded = pod.lazy("pod.stored_load", "load")  # (and collected)
    from pod import app as podapp
    gc.collect()  # as pod.app.main() does: the imports' garbage gone before the App's objects
    a = podapp.App(loaded)
    loaded = None
    if prog is not None:
        assert a.prog[1] == 0, a.prog  # the stored file, not a fallback
    return board, a


def run_ticks(b, a, n, step_us=100000):
    """n loop iterations, time advancing step_us before each, as App.run would."""
    for _ in range(n):
        b.advance_us(step_us)
        a.tick(time.ticks_ms())


def start_session(b, a):
    from pod import core
    a.inp.cmd = core.CMD_START
    b.advance_us(100000)
    a.tick(time.ticks_ms())


class Alloc:
    """What a run of loop iterations allocated, by kind of iteration."""

    def __init__(self):
        self.steady = 0        # iterations that did not print telemetry
        self.steady_bytes = 0  # what they allocated (0 by construction when the heap was locked)
        self.steady_max = 0
        self.reads = 0         # steady iterations that read the sensor FIFO
        self.tel = 0           # telemetry iterations (1 Hz): measured with the collector off
        self.tel_bytes = 0
        self.tel_max = 0

    def add(self, other):
        self.steady += other.steady
        self.steady_bytes += other.steady_bytes
        self.steady_max = max(self.steady_max, other.steady_max)
        self.reads += other.reads
        self.tel += other.tel
        self.tel_bytes += other.tel_bytes
        self.tel_max = max(self.tel_max, other.tel_max)

    def per_tick(self):
        n = self.steady + self.tel
        return (self.steady_bytes + self.tel_bytes) / n if n else 0.0

    def steady_per_tick(self):
        return self.steady_bytes / self.steady if self.steady else 0.0


def _measured_tick(a, now):
    gc.disable()
    try:
        m0 = gc.mem_alloc()
        a.tick(now)
        return gc.mem_alloc() - m0
    finally:
        gc.enable()


def measure_ticks(b, a, n, step_us=100000, lock=True):
    """Run n loop iterations, virtual time advancing step_us before each, as App.run would.

    Telemetry iterations (the 1 Hz JSON line and the RTC read) run with the collector off and
    their bytes are counted. The others run with the heap locked (lock=True), so an allocation
    raises MemoryError, or (lock=False) are measured like the telemetry ones."""
    import micropython
    res = Alloc()
    h = a.heart
    for _ in range(n):
        b.advance_us(step_us)
        now = time.ticks_ms()
        if time.ticks_diff(now, a.t_tel) >= 1000:
            gc.collect()
            d = _measured_tick(a, now)
            res.tel += 1
            res.tel_bytes += d
            if d > res.tel_max:
                res.tel_max = d
            continue
        if h.ok and time.ticks_diff(now, h.t_read) >= 400:
            res.reads += 1
        res.steady += 1
        if lock:
            micropython.heap_lock()
            try:
                a.tick(now)
            finally:
                micropython.heap_unlock()
        else:
            if gc.mem_free() < 8192:
                gc.collect()
            d = _measured_tick(a, now)
            res.steady_bytes += d
            if d > res.steady_max:
                res.steady_max = d
    return res
