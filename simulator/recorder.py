"""The wake recorder: what a simulated pod did, and which trigger each wake answered.

It watches the fake board's outputs (lights, speaker) and the firmware's serial lines, and turns
them into a trace (a Sample each second), wake records (Wake: the trigger, when the lamp lit and
the sound began), the firmware's events and replies, and the last telemetry. Attribution ties a
wake the firmware reports to the trigger that caused it: a press, a command, an injected fault
(TRIGGER_REASONS says which reasons each trigger leads to).

The runner (simulator.sim.SimPod) is a WakeRecorder: it hands the board's output and console
callbacks to the methods here and adds what happens to the pod (boots, time, resets, faults).
The recorder reads only what it declares below (board, pins, sleeper, fw_dir).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.hw import simstate
from simulator.hw.sleeper import Sleeper
from simulator.sandbox import firmware_module

_NO_PWM = (0, 0)  # (freq, duty) of a PWM channel never made
_VALUE_END = re.compile(r"[^,}]*")  # a value in a telemetry line runs to the next , or }
_KEYS = {"bpm": '"bpm":', "contact": '"contact":'}  # the keys the 1 Hz samples look up
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

class WakeRecorder:
    """The recording half of a simulated pod (see the module's docstring)."""

    board: simstate.Board
    pins: Any  # the firmware's pod.board module (pin numbers)
    sleeper: Sleeper
    fw_dir: Path

    def _start_recording(self, start_clock_s: int, light) -> None:
        self.res = NightResult(start_clock_s=start_clock_s)
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

    # -- attribution -------------------------------------------------------------------------
    def note_trigger(self, kind: str) -> None:
        """Something that may lead to a wake happened now (a TRIGGER_REASONS key)."""
        self._pending.append((kind, self.now_ms))

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
        m = self.strip_min
        n = len(strip) // 3
        if n * 3 == len(strip):
            # (in C: each byte made 1 if at or above the level, else 0; a pixel is lit if
            # any of its three is 1, so OR-ing its three bytes gives 1 for every lit pixel)
            t = strip.translate(_at_least(m))
            ok = (int.from_bytes(t[0::3], "big") | int.from_bytes(t[1::3], "big")
                  | int.from_bytes(t[2::3], "big")) == int.from_bytes(b"\x01" * n, "big")
        else:
            ok = all(max(strip[i:i + 3]) >= m for i in range(0, len(strip), 3))
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
        k = _KEYS.get(key) or '"%s":' % key
        i = line.find(k)
        if i < 0:
            return self.last_tel.get(key)
        i += len(k)
        m = _VALUE_END.match(line, i)  # (it always matches, if only the empty string)
        v = line[i:m.end()] if m else ""
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
            w.lit_ms = first_on(self._lit_log, trig)
            w.sound_ms = first_on(self._sound_log, trig)
        elif state not in WAKE_STATES:
            self._open_wake = None
        if reason == "none":  # a press that lit the lamp or started a night is used up
            self._pending = [(k, at) for k, at in self._pending if k not in ("button", "wake")]

    def _sample(self) -> None:
        strip, white, freq, duty = self.outputs()
        px = self._px
        if px[0] is not strip:  # (the strip's bytes change only when the firmware writes it)
            px = self._px = (strip, pixel(strip, 0), pixel(strip, 1))
        t = self.board.us // 1000  # (now_ms)
        sl = self.sleeper
        self.res.samples.append(Sample(
            t, self.state, px[1], px[2],
            white, freq if duty else 0, duty * 1000 // 32768,
            round(sl.true_hr(t), 1) if sl.contact else 0.0,
            self._tel_value("bpm"), bool(self._tel_value("contact"))))


_LEVEL_TABLES: dict[int, bytes] = {}


def _at_least(m: int) -> bytes:
    """A bytes.translate table: 1 for a byte value at or above m, 0 below it."""
    t = _LEVEL_TABLES.get(m)
    if t is None:
        t = _LEVEL_TABLES[m] = bytes(1 if v >= m else 0 for v in range(256))
    return t


def pixel(strip: bytes, i: int) -> tuple[int, int, int]:
    """(r, g, b) of pixel i from the bytes a WS2812 strip received (GRB on the wire)."""
    o = i * 3
    if len(strip) < o + 3:
        return (0, 0, 0)
    return (strip[o + 1], strip[o], strip[o + 2])


def first_on(log: list[tuple[int, bool]], since: int) -> int | None:
    """The first time at or after `since` when the logged condition held."""
    on_at_since = False
    for t, on in log:
        if t <= since:
            on_at_since = on
        elif on:
            return since if on_at_since else t
    return since if on_at_since else None
