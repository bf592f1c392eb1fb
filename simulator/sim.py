"""A simulated pod: the unmodified firmware on a fake ESP32, a sleeper, and a recorder.

SimPod boots firmware/boot.py then firmware/main.py in virtual time. Resets and power cuts
reboot it the way a board would. The recorder watches the outputs (lights, speaker) and the
firmware's serial lines, and turns them into a trace, wake records and resets.
"""
from __future__ import annotations

import json
import tempfile
import threading
import types
from dataclasses import dataclass, field
from pathlib import Path

from simulator import FIRMWARE_DIR
from simulator.hw import simstate
from simulator.hw.max30102sim import MAX30102Sim
from simulator.hw.simstate import PowerCut, Reset, SimEnd
from simulator.hw.sleeper import Sleeper
from simulator.sandbox import FlashFS, Sandbox

_NO_PWM = (0, 0)  # (freq, duty) of a PWM channel never made
BOOT_DELAY_MS = 600  # power-on or reset to boot.py on stock MicroPython
WAKE_STATES = ("WAKE_RAMP", "AWAKE", "ALARM")
SESSION_STATES = ("WIND_DOWN", "SLEEP", "WAKE_RAMP")

# Which firmware wake reason each injected trigger leads to.
TRIGGER_REASONS = {
    "button": ("button",),
    "wake": ("command",),
    "hang": ("watchdog",),
    "crash": ("crash",),
    "power-cut": ("power_cut",),
    "hr-low": ("hr_low",),
    "hr-high": ("hr_high",),
    "sensor-off": ("no_signal",),
    "i2c-dead": ("no_signal",),
    "i2c-stuck": ("no_signal",),
    "sensor-removed": ("no_signal",),
    "boot-crash": ("crash", "boot_loop"),
}


def firmware_module(name: str, fw_dir: Path = FIRMWARE_DIR) -> types.ModuleType:
    """Load one pure firmware module (pod.light, pod.program...) for host-side use."""
    board = simstate.current
    if board is None:
        simstate.current = board = simstate.Board()
    sb = Sandbox(fw_dir, board, FlashFS(Path(tempfile.gettempdir()) / "pod-sim-scratch"))
    saved = board.us
    mod = sb._load(name)
    board.us = saved
    if mod is None:
        raise ImportError(name)
    return mod


@dataclass
class Wake:
    reason: str
    trigger_ms: int
    event_ms: int
    lit_ms: int | None = None
    sound_ms: int | None = None

    def as_dict(self) -> dict:
        return {"reason": self.reason, "trigger_ms": self.trigger_ms,
                "lit_ms": self.lit_ms, "sound_ms": self.sound_ms}


@dataclass
class Sample:
    t_ms: int
    state: str
    rgb: tuple[int, int, int]
    rgb2: tuple[int, int, int]
    white: int
    tone: int
    volume: int  # buzzer duty as permille of the loudest (50 % duty)
    hr_true: float
    bpm: float | None
    contact: bool


@dataclass
class Fault:
    kind: str
    at_ms: int
    arg: int = 0


@dataclass
class NightResult:
    samples: list[Sample] = field(default_factory=list)
    wakes: list[Wake] = field(default_factory=list)
    resets: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    final_state: str = "OFF"
    duration_ms: int = 0
    start_clock_s: int = 0


class SimPod:
    def __init__(self, fw_dir: Path = FIRMWARE_DIR, workdir: Path | None = None, seed: int = 1,
                 start_clock: str = "22:30", sleeper: Sleeper | None = None):
        self.fw_dir = Path(fw_dir)
        self.board = simstate.Board()
        simstate.current = self.board
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="pod-sim-")
            workdir = Path(self._tmp.name)
        self.fs = FlashFS(Path(workdir))
        self.sleeper = sleeper or Sleeper(seed)
        self.sensor = MAX30102Sim(self.sleeper)
        self.pins = firmware_module("pod.board", self.fw_dir)
        light = firmware_module("pod.light", self.fw_dir)
        self.board.i2c[self.pins.HR_ADDR] = self.sensor
        self.board.on_console = self._console
        self.board.on_output = self._output
        h, m = (int(x) for x in start_clock.split(":"))
        self.start_clock_s = h * 3600 + m * 60
        days = simstate.days_from_civil(2026, 11, 23) - simstate.EPOCH_2000_DAYS
        self.board.rtc_set(days * 86400 + self.start_clock_s)
        self.res = NightResult(start_clock_s=self.start_clock_s)
        self.console: list[str] = []
        self.replies: list[dict] = []  # the firmware's serial replies (lines with an "id")
        self.keep_console = False
        self.state = "OFF"
        self._tel_line = ""   # the last telemetry line, parsed only when asked (last_tel)
        self._tel: dict = {}
        self._px: tuple = (None, (0, 0, 0), (0, 0, 0))  # (strip bytes, pixel 0, pixel 1)
        self.set_wake_level(800, light)
        self._lit_since: int | None = None
        self._sound_since: int | None = None
        self._lit_log: list[tuple[int, bool]] = []    # (t_ms, lit) at each change
        self._sound_log: list[tuple[int, bool]] = []
        self._pending: list[tuple[str, int]] = []
        self._open_wake: Wake | None = None
        self.boot_crashes = 0
        # (kind, injected ms, struck ms) of each hang or crash fault once it is settled: it
        # strikes when firmware code runs; on a board already hung it never does (None)
        self.struck: list[tuple[str, int, int | None]] = []
        self.booted = 0
        self.running = False  # firmware code is running (not booting, not off)
        self._go = threading.Semaphore(0)
        self._paused = threading.Semaphore(0)
        self._output()

    # -- thresholds ----------------------------------------------------------------------------
    def set_wake_level(self, level: int, light=None) -> None:
        light = light or firmware_module("pod.light", self.fw_dir)
        self.white_min = light.level_to_u16(level)
        self.strip_min = light.scale(255, self.white_min)

    # -- observation -------------------------------------------------------------------------
    @property
    def now_ms(self) -> int:
        return self.board.us // 1000

    def outputs(self):
        b = self.board
        p = self.pins
        strip = b.strips.get(p.STRIP_PIN, b"")
        white = b.pwm.get(p.WHITE_PIN, _NO_PWM)[1]
        freq, duty = b.pwm.get(p.BUZZER_PIN, _NO_PWM)
        return strip, white, freq, duty

    def lit(self) -> bool:
        strip, white, _, _ = self.outputs()
        if white < self.white_min or not strip:
            return False
        return self._strip_lit(strip)

    def _strip_lit(self, strip: bytes) -> bool:
        """Every pixel at or above the wake level. The strip's bytes are a new object at each
        write, so the answer is kept until the next one (a siren's many PWM changes, or a
        sound's, would otherwise scan the strip each time)."""
        c = self._strip_seen
        if c[0] is strip and c[1] == self.strip_min:
            return c[2]
        ok = True
        m = self.strip_min
        for i in range(0, len(strip), 3):
            if max(strip[i], strip[i + 1], strip[i + 2]) < m:
                ok = False
                break
        self._strip_seen = (strip, m, ok)
        return ok

    _strip_seen: tuple = (None, -1, False)

    def sounding(self) -> bool:
        _, _, freq, duty = self.outputs()
        return freq > 0 and duty > 0

    def _output(self) -> None:
        strip, white, freq, duty = self.outputs()
        lit = white >= self.white_min and bool(strip) and self._strip_lit(strip)
        snd = freq > 0 and duty > 0
        w = self._open_wake
        if lit == (self._lit_since is not None) and snd == (self._sound_since is not None) and (
                w is None or (not lit or w.lit_ms is not None) and (not snd or w.sound_ms is not None)):
            return  # (most changes, a siren's each tick: nothing that is recorded changed)
        t = self.now_ms
        if lit and self._lit_since is None:
            self._lit_since = t
            self._lit_log.append((t, True))
        elif not lit and self._lit_since is not None:
            self._lit_since = None
            self._lit_log.append((t, False))
        if snd and self._sound_since is None:
            self._sound_since = t
            self._sound_log.append((t, True))
        elif not snd and self._sound_since is not None:
            self._sound_since = None
            self._sound_log.append((t, False))
        if w is not None:
            if w.lit_ms is None and lit:
                w.lit_ms = max(t, w.trigger_ms)
            if w.sound_ms is None and snd:
                w.sound_ms = max(t, w.trigger_ms)

    @property
    def last_tel(self) -> dict:
        """The last telemetry line the firmware printed, as a dict ({} before the first)."""
        if self._tel_line:
            try:
                self._tel = json.loads(self._tel_line)
            except ValueError:
                pass
            self._tel_line = ""
        return self._tel

    def _tel_value(self, key: str):
        """One value of the last telemetry line without parsing it all (the 1 Hz samples ask
        for two): found by its key in the firmware's fixed format, or from last_tel."""
        line = self._tel_line
        if not line:
            return self._tel.get(key)
        i = line.find('"%s":' % key)
        if i < 0:
            return self.last_tel.get(key)
        i += len(key) + 3
        j = i
        while j < len(line) and line[j] not in ",}":
            j += 1
        v = line[i:j]
        if v == "null":
            return None
        if v in ("true", "false"):
            return v == "true"
        try:
            return float(v) if "." in v else int(v)
        except ValueError:
            return self.last_tel.get(key)

    def _console(self, line: str) -> None:
        if self.keep_console:
            self.console.append(line)
        if not line.startswith("{"):
            return
        if line.startswith('{"t":"tel",'):  # 1 Hz: only the state is needed at once
            self._tel_line = line
            i = line.find('"state":"')
            if i >= 0:
                i += 9
                self.state = line[i:line.index('"', i)]
            return
        try:
            msg = json.loads(line)
        except ValueError:
            return
        kind = msg.get("t")
        if kind == "tel":  # (one spelled differently from the firmware's own lines)
            self._tel = msg
            self._tel_line = ""
            self.state = msg.get("state", self.state)
        elif kind == "evt":
            msg["sim_ms"] = self.now_ms
            self.res.events.append(msg)
            self._state_event(msg.get("state", self.state), msg.get("reason", "none"))
        elif kind is None and "id" in msg:
            msg["sim_ms"] = self.now_ms
            self.replies.append(msg)

    def _state_event(self, state: str, reason: str) -> None:
        prev = self.state
        self.state = state
        t = self.now_ms
        w = self._open_wake
        if state in WAKE_STATES and reason != "none":
            if w is not None and reason == "smart" and w.reason == "scheduled":
                w.reason = "smart"  # the sunrise under way was brought forward
                return
            if w is not None and (w.reason == reason or prev in WAKE_STATES and state != "ALARM"):
                return  # the same wake, seen again (a reboot, or the ramp becoming AWAKE)
            trig = t
            # a press or a command that has not led to a wake within 2 s never will
            self._pending = [(k, at) for k, at in self._pending
                             if k not in ("button", "wake") or t - at <= 2000]
            for i, (kinds, at) in enumerate(self._pending):
                if reason in TRIGGER_REASONS.get(kinds, ()):
                    trig = at
                    del self._pending[i]
                    break
            w = Wake(reason, trig, t)
            self.res.wakes.append(w)
            self._open_wake = w
            w.lit_ms = _first_on(self._lit_log, trig)
            w.sound_ms = _first_on(self._sound_log, trig)
        elif state not in WAKE_STATES:
            self._open_wake = None
        if reason == "none":  # a press that lit the lamp or started a night is used up
            self._pending = [(k, at) for k, at in self._pending if k not in ("button", "wake")]

    def _sample(self) -> None:
        strip, white, freq, duty = self.outputs()
        px = self._px
        if px[0] is not strip:  # (the strip's bytes change only when the firmware writes it)
            px = self._px = (strip, pixel(strip, 0), pixel(strip, 1))
        bpm = self._tel_value("bpm")
        self.res.samples.append(Sample(
            self.now_ms, self.state, px[1], px[2],
            white, freq if duty else 0, duty * 1000 // 32768,
            round(self.sleeper.true_hr(self.now_ms), 1) if self.sleeper.contact else 0.0,
            bpm, bool(self._tel_value("contact"))))

    # -- things that happen to the pod ---------------------------------------------------------
    def at(self, t_ms: int, fn) -> None:
        self.board.schedule(t_ms * 1000, fn)

    def press(self, t_ms: int, hold_ms: int = 120) -> None:
        pin = self.pins.BUTTON_PIN

        def down():
            self._pending.append(("button", self.now_ms))
            self.board.set_input(pin, 0)

        self.at(t_ms, down)
        self.at(t_ms + hold_ms, lambda: self.board.set_input(pin, 1))

    def send(self, msg: dict | bytes | str, at_ms: int | None = None) -> None:
        """The host writes to the pod's serial port: a dict as one JSON line, bytes (or str)
        as they are. Now, or at simulated time at_ms. What does not fit in the board's receive
        buffer is lost (board.rx_max, board.rx_dropped)."""
        if isinstance(msg, dict):
            data = (json.dumps(msg) + "\n").encode()
        elif isinstance(msg, str):
            data = msg.encode()
        else:
            data = bytes(msg)
        wake = isinstance(msg, dict) and msg.get("cmd") == "wake"

        def arrive():
            if wake:
                self._pending.append(("wake", self.now_ms))
            self.board.feed_rx(data)

        if at_ms is None:
            arrive()
        else:
            self.at(at_ms, arrive)

    def inject(self, kind: str, t_ms: int, arg: int = 0) -> None:
        """Schedule a fault (see simulator.faults.KINDS)."""
        from simulator import faults
        self.res.faults.append(Fault(kind, t_ms, arg))
        self.at(t_ms, lambda: faults.apply(self, kind, arg))

    def note_trigger(self, kind: str) -> None:
        self._pending.append((kind, self.now_ms))

    # -- running -------------------------------------------------------------------------------
    def _boot_once(self) -> None:
        b = self.board
        self.running = False
        b.advance_us(BOOT_DELAY_MS * 1000)
        b.start_boot()
        self.fs.dead = False  # powered again
        self.running = True
        self.booted += 1
        sb = Sandbox(self.fw_dir, b, self.fs)
        # As on the board: an error in boot.py is printed and main.py still runs; an error
        # escaping main.py is printed and the board sits at the REPL, where only a running
        # watchdog (or a person) resets it.
        # Ctrl-C (KeyboardInterrupt) is no Exception: it too ends the script at the REPL.
        try:
            sb.run_file("boot.py")
        except (Exception, KeyboardInterrupt) as e:  # noqa: BLE001
            sb._print_exception(e)
        if self.boot_crashes > 0:
            self.boot_crashes -= 1
            b.schedule(b.us + 50000, self._boot_crash)
        try:
            sb.run_file("main.py")
        except (Exception, KeyboardInterrupt) as e:  # noqa: BLE001
            sb._print_exception(e)
        self.running = False  # at the REPL: nothing of the firmware runs
        b.hang()

    def advance_to(self, t_ms: int) -> None:
        """Run the pod until simulated time t_ms. The firmware keeps running between calls
        (it lives in its own thread, paused while the caller looks and acts), so a test can
        step a night, press buttons, inject faults and check the outputs as it goes."""
        if self._done:
            raise RuntimeError("this simulated pod has been stopped")
        b = self.board
        b.schedule(t_ms * 1000, self._pause)
        if self._thread is None:
            if self.sample_ms > 0:  # (0: no samples, for runs that never look at them)
                nxt = (self.now_ms // self.sample_ms + 1) * self.sample_ms
                b.schedule(nxt * 1000, self._tick)
            self._thread = threading.Thread(target=self._firmware, name="pod-firmware",
                                            daemon=True)
            self._thread.start()
        else:
            self._go.release()
        self._paused.acquire()
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def advance(self, ms: int) -> None:
        self.advance_to(self.now_ms + ms)

    def stop(self) -> NightResult:
        """End the simulation (the firmware thread unwinds) and return what was recorded."""
        if self._thread is not None and not self._done:
            self._stopping = True
            self._go.release()
            self._thread.join()
        self._done = True
        self.res.final_state = self.state
        self.res.duration_ms = self.now_ms
        return self.res

    def run(self, until_ms: int, sample_ms: int = 1000) -> NightResult:
        """Run from now until until_ms, then stop."""
        self.sample_ms = sample_ms
        self.advance_to(until_ms)
        return self.stop()

    sample_ms = 1000
    _thread: threading.Thread | None = None
    _error: BaseException | None = None
    _done = False
    _stopping = False

    def _tick(self) -> None:
        self._sample()
        self.board.schedule(self.board.us + self.sample_ms * 1000, self._tick)

    def _pause(self) -> None:
        self._paused.release()
        self._go.acquire()
        if self._stopping:
            raise SimEnd()

    def _firmware(self) -> None:
        b = self.board
        try:
            while True:
                try:
                    if self._reboot_cause is not None:
                        b.reboot(self._reboot_cause)
                        self._reboot_cause = None
                    self._boot_once()
                except Reset as r:
                    self._reset(r.cause)
                except PowerCut as p:
                    self._power_cut(p.off_ms)
        except SimEnd:
            pass
        except BaseException as e:  # noqa: BLE001 - handed to the caller of advance_to()
            self._error = e
        finally:
            self._done = True
            self._paused.release()

    _reboot_cause: int | None = None

    def _boot_crash(self) -> None:
        if self.running and not self.board.hung:
            raise RuntimeError("injected fault: crash during boot")

    def _reset(self, cause: int) -> None:
        self.running = False
        self.res.resets.append({"t_ms": self.now_ms, "cause": simstate.CAUSE_NAMES[cause]})
        self.state = "BOOT"
        self._reboot_cause = cause

    def _power_cut(self, off_ms: int) -> None:
        self.running = False
        b = self.board
        self.state = "OFF"
        b.reboot(simstate.PWRON_RESET)
        end = b.us + off_ms * 1000
        while b.us < end:  # the board is dead: events still happen around it, to no effect
            try:
                b.advance_us(end - b.us)
            except (Reset, PowerCut, Exception):
                continue
        self.res.resets.append({"t_ms": self.now_ms, "cause": "power_on"})
        self.state = "BOOT"
        self._reboot_cause = simstate.PWRON_RESET

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def pixel(strip: bytes, i: int) -> tuple[int, int, int]:
    """(r, g, b) of pixel i from the bytes a WS2812 strip received (GRB on the wire)."""
    o = i * 3
    if len(strip) < o + 3:
        return (0, 0, 0)
    return (strip[o + 1], strip[o], strip[o + 2])


def _first_on(log: list[tuple[int, bool]], since: int) -> int | None:
    """The first time at or after `since` when the logged condition held."""
    on_at_since = False
    for t, on in log:
        if t <= since:
            on_at_since = on
        elif on:
            return since if on_at_since else t
    return since if on_at_since else None



