"""`pod-sim run`: the simulated pod live in the terminal (rich).

The firmware runs on the fake board in virtual time, SPEED times faster than the wall clock.
The screen shows the LED strip as coloured cells, the state, the program's phase and the time
left in it, the heart rate with a sparkline, the speaker, and the watchdog and resets. Keys press
the button, send wake or ack over the serial link, inject each fault kind and change the speed.

LiveView holds no terminal: advance(), handle_key() and render() are plain calls, so tests drive
them directly; run() adds the keyboard and the rich Live display.
"""
from __future__ import annotations

import json
import time
from collections import deque

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from simulator.faults import KINDS
from simulator.hw.sleeper import Sleeper
from simulator.night import HOLD_MS, parse_sleeper
from simulator.recorder import pixel
from simulator.sandbox import firmware_module
from simulator.sim import SimPod
from simulator.timeline import colour_name, display_rgb, duration, hhmmss

SPEEDS = (1, 10, 60, 300, 1000, 3000, 10000)
FAULT_KEYS = "1234567890-=[]"  # one key per fault kind, in the order of faults.KINDS
SPARK = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
HISTORY = 60
MAX_STEP_MS = 20 * 60000  # at most this much simulated time per frame, so keys stay responsive
TAP_MS = 120

HELP = [
    ("space", "tap the button"),
    ("h", "hold 2.6 s (start / switch off / acknowledge)"),
    ("w", "host sends wake"),
    ("a", "host sends ack"),
    ("c", "clear faults: sensor back on, normal heart rate"),
    ("< >", "slower / faster"),
    ("p", "pause"),
    ("q", "quit"),
]
TEL_STALE_MS = 2500  # no telemetry for this long (safe mode, a reset): no heart rate to show


def sparkline(values, lo: float, hi: float) -> str:
    """One character per value, from the lowest bar at lo to the full one at hi; a gap is ' '."""
    out = []
    for v in values:
        if v is None:
            out.append(" ")
            continue
        f = (min(max(v, lo), hi) - lo) / (hi - lo) if hi > lo else 0.0
        out.append(SPARK[min(len(SPARK) - 1, int(f * len(SPARK)))])
    return "".join(out)


class LiveView:
    def __init__(self, program: dict | None = None, start_clock: str = "22:30", seed: int = 1,
                 speed: int = 60, sleeper: str = "default", start_night: bool = True,
                 pod: SimPod | None = None):
        prog_mod = firmware_module("pod.program")
        self.program = program or prog_mod.DEFAULT
        self.plan = prog_mod.load(self.program)
        self.core = firmware_module("pod.core")
        if pod is None:
            profile = parse_sleeper(sleeper, start_clock)
            pod = SimPod(seed=seed, start_clock=start_clock,
                         sleeper=Sleeper(seed, profile) if profile else None)
            if program is not None:
                pod.fs.path("program.json").write_text(json.dumps(program))
        self.pod = pod
        self.speed = speed if speed in SPEEDS else 60
        self.paused = False
        self.quit = False
        self.hr: deque = deque(maxlen=HISTORY)
        self.hr_true: deque = deque(maxlen=HISTORY)
        self.vol: deque = deque(maxlen=HISTORY)
        self.log: deque = deque(maxlen=6)
        self._events_seen = 0
        self._resets_seen = 0
        self._last_state = None
        self._schedule = None  # the core's own phase times for the night under way
        self._msg_id = 0
        self._asked: dict[int, str] = {}  # ids of wake/ack sent and not yet answered
        self._tel = None                   # the last telemetry seen, and when
        self._tel_ms = 0
        self.actual_speed = 0.0
        if start_night:
            self.pod.press(5000, HOLD_MS)  # from off, a hold starts the night
            self.note("the sleeper will hold the button at 5 s to start the night")

    # -- acting --------------------------------------------------------------------------------
    def note(self, text: str, t_ms: int | None = None) -> None:
        t = self.pod.now_ms if t_ms is None else t_ms
        self.log.append("%s  %s" % (hhmmss(self.pod.start_clock_s + t / 1000)[:8], text))

    def clock_s(self) -> float:
        return self.pod.start_clock_s + self.pod.now_ms / 1000

    def handle_key(self, key: str) -> None:
        pod = self.pod
        now = pod.now_ms
        if key in ("q", "Q"):
            self.quit = True
        elif key == " ":
            pod.press(now + 1, TAP_MS)
            self.note("tap")
        elif key in ("h", "H"):
            pod.press(now + 1, HOLD_MS)
            self.note("hold")
        elif key in ("w", "a"):
            self._msg_id += 1
            cmd = "wake" if key == "w" else "ack"
            pod.send({"id": self._msg_id, "cmd": cmd})
            self._asked[self._msg_id] = cmd
            self.note("host sends %s" % cmd)
        elif key == "c":
            s = pod.sleeper
            s.contact = True
            s.override = 0.0
            pod.board.i2c_fault = ""
            self.note("faults cleared")
        elif key in ("<", ","):
            i = SPEEDS.index(self.speed)
            self.speed = SPEEDS[max(0, i - 1)]
        elif key in (">", "."):
            i = SPEEDS.index(self.speed)
            self.speed = SPEEDS[min(len(SPEEDS) - 1, i + 1)]
        elif key == "p":
            self.paused = not self.paused
        elif key in FAULT_KEYS:
            kind = KINDS[FAULT_KEYS.index(key)]
            pod.inject(kind, now + 1)
            self.note("fault injected: %s" % kind)

    def advance(self, wall_s: float) -> None:
        """Let wall_s seconds of wall time pass at the current speed (capped per frame)."""
        if self.paused or wall_s <= 0:
            return
        ms = int(min(MAX_STEP_MS, max(1, wall_s * 1000 * self.speed)))
        t0 = time.perf_counter()
        self.pod.advance(ms)
        spent = time.perf_counter() - t0
        self.actual_speed = ms / 1000 / max(spent, 1e-6)
        self._observe()

    def bpm(self):
        """The pod's heart-rate estimate, or None when it has none or has stopped saying (safe
        mode, a reset: no telemetry, so no rate)."""
        if self.pod.now_ms - self._tel_ms > TEL_STALE_MS:
            return None
        return self.pod.last_tel.get("bpm")

    def _replies(self) -> None:
        """The pod's answers to the wake/ack sent from the keys, in the log, in words."""
        from host_tools.refusals import words
        for r in self.pod.replies:
            rid = r.get("id")
            cmd = self._asked.pop(rid, None) if isinstance(rid, int) else None
            if cmd is None:
                continue
            if r.get("ok"):
                self.note("pod: %s done, %s" % (cmd, r.get("state")), r.get("sim_ms"))
            else:
                err = r.get("error") or {}
                self.note("pod refused %s: %s" % (cmd, words(err.get("reason"), cmd)
                                                 if err.get("code") == "refused" else err.get("message")),
                          r.get("sim_ms"))

    def _observe(self) -> None:
        pod = self.pod
        tel = pod.last_tel
        if tel is not self._tel:
            self._tel = tel
            self._tel_ms = pod.now_ms
        if self._asked:
            self._replies()
        self.hr.append(self.bpm())
        self.hr_true.append(pod.sleeper.true_hr(pod.now_ms) if pod.sleeper.contact else None)
        _, _, freq, duty = pod.outputs()
        self.vol.append(duty * 100 // 32768 if freq else 0)
        evs = pod.res.events
        for r in pod.res.resets[self._resets_seen:]:
            self.note("reset: %s" % r["cause"], r["t_ms"])
        self._resets_seen = len(pod.res.resets)
        for e in evs[self._events_seen:]:
            st, why = e.get("state"), e.get("reason")
            if st == "WIND_DOWN" and e.get("ev") == "state":
                self._schedule = self._phases(e["sim_ms"])
            if st == "SLEEP" and self._last_state == "AWAKE":
                why = "snooze"  # the firmware still names the wake's reason
            self._last_state = st
            self.note("%s%s%s" % ("boot -> " if e.get("ev") == "boot" else "-> ", st,
                                  "" if why in (None, "none") else " (%s)" % why), e["sim_ms"])
        self._events_seen = len(evs)

    def _phases(self, t0_ms: int) -> dict:
        """When the core will end each phase of the night that started at t0_ms (its own maths,
        on a host copy of the pure core)."""
        c = self.core
        p = c.Pod(self.plan, c.Settings(), 0)
        clock = int(self.pod.start_clock_s + t0_ms // 1000) % 86400
        p.start(0, clock)
        return {"t0": t0_ms, "WIND_DOWN": p.wd_end, "SLEEP": p.rise_start,
                "WAKE_RAMP": p.wake_target}

    # -- showing -------------------------------------------------------------------------------
    def phase_text(self) -> str:
        pod = self.pod
        st = pod.state
        sch = self._schedule
        if st in ("WIND_DOWN", "SLEEP", "WAKE_RAMP") and sch:
            el = pod.now_ms - sch["t0"]
            left = sch[st] - el
            nxt = {"WIND_DOWN": "sleep", "SLEEP": "sunrise", "WAKE_RAMP": "awake"}[st]
            extra = ""
            if st != "WAKE_RAMP" and self.plan.window_ms:
                extra = "; wake window opens in %s" % duration(
                    max(0, sch["WAKE_RAMP"] - self.plan.window_ms - el))
            if left < 0:  # brought forward (smart wake) or held back: the core knows
                return "%s: %s" % (st, "smart wake under way" if st == "WAKE_RAMP" else nxt)
            return "%s: %s in %s%s" % (st, nxt, duration(left), extra)
        if st == "ALARM":
            return "ALARM (%s): hold or ack to acknowledge" % pod.last_tel.get("reason", "?")
        if st == "AWAKE":
            return "AWAKE (%s)" % pod.last_tel.get("reason", "none")
        return st

    def strip_text(self) -> Text:
        strip, white, _, _ = self.pod.outputs()
        t = Text()
        n = len(strip) // 3
        for i in range(n):
            rgb = pixel(strip, i)
            t.append("\u2588\u2588", style="rgb(%d,%d,%d)" % display_rgb(rgb) if max(rgb) else "grey11")
        first = pixel(strip, 0)
        t.append("  %s  #%02X%02X%02X  white LED %d%%" % (
            colour_name(first), *first, white * 100 // 65535))
        return t

    def render(self) -> Group:
        pod = self.pod
        b = pod.board
        top = Table.grid(padding=(0, 2))
        top.add_column(style="bold")
        top.add_column()
        top.add_row("clock", "%s   (simulated %s, speed %dx%s%s)" % (
            hhmmss(self.clock_s())[:8], duration(pod.now_ms), self.speed,
            ", actual %dx" % self.actual_speed if self.actual_speed else "",
            ", PAUSED" if self.paused else ""))
        st_style = "bold red" if pod.state == "ALARM" else "bold"
        top.add_row("state", Text(self.phase_text(), style=st_style))
        top.add_row("program", str(self.program.get("name", "")))
        top.add_row("strip", self.strip_text())
        bpm = self.bpm()
        hr = Text("%s bpm" % ("--" if bpm is None else "%.0f" % bpm))
        hr.append("  (true %s)  " % ("--" if not pod.sleeper.contact
                                     else "%.0f" % pod.sleeper.true_hr(pod.now_ms)), style="dim")
        hr.append(sparkline(list(self.hr), 40, 100), style="red")
        hr.append("  safe band %d-%d" % (self.plan.hr_low, self.plan.hr_high), style="dim")
        top.add_row("heart", hr)
        _, _, freq, duty = pod.outputs()
        vol = duty * 100 // 32768 if freq else 0
        snd = Text("%3d%% " % vol)
        snd.append("\u2588" * (vol // 5), style="yellow")
        snd.append(" %d Hz  " % freq if vol else " silent  ")
        snd.append(sparkline(list(self.vol), 0, 100), style="yellow")
        top.add_row("sound", snd)
        if b.wdt_deadline >= 0:
            left = (b.wdt_deadline - b.us) // 1000
            wd = "fed %d times, resets the board in %d ms if not fed" % (b.wdt_feeds, left)
        else:
            wd = "not running"
        if b.hung:
            wd += "  [firmware hung]"
        top.add_row("watchdog", Text(wd, style="red" if b.hung else ""))
        resets = pod.res.resets
        top.add_row("resets", "none" if not resets else "%d, last %s at %s" % (
            len(resets), resets[-1]["cause"], hhmmss(pod.start_clock_s + resets[-1]["t_ms"] / 1000)))
        top.add_row("last", "\n".join(self.log) or "-")
        return Group(Panel(top, title="bedtime-pod (simulated)", border_style="blue"), *key_help())


def key_help() -> list:
    """Every key, each with its words kept on one line (the list wraps between keys only)."""
    from rich.columns import Columns

    def item(k: str, what: str, style: str) -> Text:
        t = Text(no_wrap=True)
        t.append(k, style=style)
        t.append(" " + what)
        return t
    return [Columns([item(k, w, "bold cyan") for k, w in HELP], padding=(0, 3)),
            Columns([Text("faults:")] + [item(k, kind, "bold magenta")
                                         for k, kind in zip(FAULT_KEYS, KINDS)], padding=(0, 2))]


def _read_keys(fd: int, timeout: float) -> str:
    import os
    import select
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return ""
    return os.read(fd, 32).decode(errors="ignore")


def run(view: LiveView, fps: int = 10) -> int:
    """The interactive loop: a rich Live display and the keyboard in cbreak mode."""
    import sys
    import termios
    import tty

    from rich.live import Live

    if not sys.stdin.isatty():
        print("pod-sim run needs a terminal (use pod-sim night for a non-interactive run)",
              file=sys.stderr)
        return 2
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        with Live(view.render(), refresh_per_second=fps, screen=False) as live:
            last = time.perf_counter()
            while not view.quit:
                for key in _read_keys(fd, 1.0 / fps):
                    view.handle_key(key)
                now = time.perf_counter()
                view.advance(now - last)
                last = now
                live.update(view.render())
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        view.pod.close()
    return 0
