"""One simulated night, set up the way a person uses the pod, for `pod-sim night` and tests."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from simulator.hw.sleeper import Sleeper
from simulator.recorder import NightResult
from simulator.sandbox import firmware_module
from simulator.sim import SimPod

START_PRESS_MS = 5000      # the sleeper holds the button to start the night...
HOLD_MS = 2600             # ...for longer than the firmware's long press (2 s)
GET_UP_AFTER_MS = 10 * 60000  # and holds it again this long after the wake to switch off
ANSWER_AFTER_MS = 60000    # --answer-then-sleep: a tap this long after the wake...
TAP_MS = 120               # ...a short one
TAIL_MS = 5 * 60000


@dataclass
class FaultSpec:
    kind: str
    at_ms: int
    arg: int = 0


@dataclass
class NightSpec:
    program: dict | None = None
    start_clock: str = "22:30"
    seed: int = 1
    faults: list[FaultSpec] = field(default_factory=list)
    duration_ms: int | None = None
    get_up: bool = True
    # the sleeper taps the morning wake a minute after it calls, then stays in the pod asleep
    # (a program's wake.check_min brings the wake back); implies not get_up
    answer_then_sleep: bool = False
    sleeper: str = "default"  # see parse_sleeper


TIME_RULE = ("@HH:MM[:SS] is a clock time (as the tools print times, and as --sleeper "
             "light@06:25); @+HH:MM[:SS] is the time since the night started")


def parse_offset(text: str) -> int:
    """HH:MM or HH:MM:SS as a length of time, in ms (hours may pass 23)."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError("time %r is not HH:MM or HH:MM:SS" % text)
    h, m = int(parts[0]), int(parts[1])
    s = int(parts[2]) if len(parts) == 3 else 0
    if m > 59 or s > 59:
        raise ValueError("time %r has minutes or seconds above 59" % text)
    return ((h * 60 + m) * 60 + s) * 1000


def parse_duration(text: str | None) -> int | None:
    """--duration's HH:MM[:SS] in ms, or None when not given; errors name the option."""
    if text is None:
        return None
    try:
        return parse_offset(text)
    except ValueError as e:
        raise ValueError("--duration %s" % e) from None


def parse_clock(text: str) -> int:
    """A clock time HH:MM[:SS] (00:00 to 23:59:59), in ms since midnight."""
    ms = parse_offset(text) if text[:1].isdigit() else -1
    if not 0 <= ms < 24 * 3600 * 1000:
        raise ValueError("%r is not a clock time HH:MM (00:00 to 23:59)" % text)
    return ms


def parse_when(text: str, start_clock: str) -> int:
    """A time in a night that starts at start_clock, in ms since it started: +HH:MM[:SS] since
    the start, HH:MM[:SS] a clock time (the next time the clock shows it)."""
    if text.startswith("+"):
        return parse_offset(text[1:])
    day = 24 * 3600 * 1000
    return (parse_clock(text) - parse_clock(start_clock)) % day


def describe_when(at_ms: int, start_clock: str) -> tuple[str, str]:
    """A time in the night both ways: ("03:00", "4 h 30 min after start")."""
    c = (parse_clock(start_clock) + at_ms) // 1000 % 86400
    clock = "%02d:%02d" % (c // 3600, c // 60 % 60) + (":%02d" % (c % 60) if c % 60 else "")
    s = at_ms // 1000
    h, m, sec = s // 3600, s // 60 % 60, s % 60
    since = " ".join(x for x in ("%d h" % h if h else "", "%d min" % m if m else "",
                                  "%d s" % sec if sec else "") if x) or "0 min"
    return clock, since + " after start"


# Fault arguments: (lowest, highest, unit); kinds not listed take none.
FAULT_ARGS = {"hr-low": (10, 89, "bpm"), "hr-high": (91, 250, "bpm"),
              "power-cut": (1, 24 * 3600, "seconds without power"), "boot-crash": (1, 20, "boots"),
              "serial-garbage": (1, 1024, "KB"), "sensor-off": (1, 3600, "seconds out of contact")}


def parse_fault(text: str, start_clock: str = "22:30") -> FaultSpec:
    """KIND[:ARG]@WHEN (see TIME_RULE), e.g. hang@03:00, power-cut:60@+02:30 (60 s off),
    hr-low:35@04:00."""
    from simulator.faults import KINDS
    if "@" not in text:
        raise ValueError("fault %r: expected KIND[:ARG]@HH:MM (a clock time) or KIND@+HH:MM "
                         "(since the start)" % text)
    head, when = text.rsplit("@", 1)
    kind, _, arg = head.partition(":")
    if kind not in KINDS:
        raise ValueError("fault %r: unknown kind %r (known: %s)" % (text, kind, ", ".join(KINDS)))
    if arg and not arg.isdigit():
        raise ValueError("fault %r: the argument after ':' must be a whole number" % text)
    if arg:
        if kind not in FAULT_ARGS:
            raise ValueError("fault %r: %s takes no argument" % (text, kind))
        lo, hi, unit = FAULT_ARGS[kind]
        if not lo <= int(arg) <= hi:
            raise ValueError("fault %r: %s's argument is %d..%d (%s)" % (text, kind, lo, hi, unit))
    try:
        at = parse_when(when, start_clock)
    except ValueError as e:
        raise ValueError("fault %r: %s" % (text, e)) from None
    return FaultSpec(kind, at, int(arg) if arg else 0)


SLEEPERS = "default, steady, light@HH:MM[,HH:MM...]"


def parse_sleeper(text: str, start_clock: str):
    """A sleeper's heart-rate profile by name (None: the default night):

    - "default": settling, 90-minute cycles with faster REM, a rise before waking;
    - "steady": settles and stays flat, no lighter-sleep moment at all;
    - "light@06:25[,04:10...]": steady, with a lighter-sleep episode starting at each clock
      time (the rate climbs 8 bpm for 12 minutes)."""
    from simulator.hw import sleeper
    if text == "default":
        return None
    if text == "steady":
        return sleeper.steady_hr
    if text.startswith("light@"):
        h0, m0 = (int(x) for x in start_clock.split(":"))
        moments = []
        for clock in text[6:].split(","):
            off = parse_offset(clock) // 60000 - (h0 * 60 + m0)
            moments.append(off % (24 * 60))
        return sleeper.with_light_sleep(moments)
    raise ValueError("sleeper %r: expected one of %s" % (text, SLEEPERS))


def wake_offset_ms(program: dict, start_clock: str) -> int:
    """When the program's wake falls, in ms after the night starts (as the firmware computes)."""
    prog = firmware_module("pod.program")
    plan = prog.load(program)
    h, m = (int(x) for x in start_clock.split(":"))
    clock_s = h * 3600 + m * 60 + (START_PRESS_MS + 2000) // 1000
    if plan.wake_at_s >= 0:
        target = ((plan.wake_at_s - clock_s) % 86400) * 1000
    else:
        target = plan.wake_after_ms
    return START_PRESS_MS + 2000 + min(target, 12 * 3600 * 1000 - 60000)


def wake_cap_note(program: dict, start_clock: str) -> str | None:
    """What to tell a person when the 12 h session cap moves the program's wake earlier (the
    firmware always wakes a minute before the cap), else None."""
    prog = firmware_module("pod.program")
    plan = prog.load(program)
    h, m = (int(x) for x in start_clock.split(":"))
    t0 = START_PRESS_MS + 2000
    clock_s = h * 3600 + m * 60 + t0 // 1000
    if plan.wake_at_s >= 0:
        target = ((plan.wake_at_s - clock_s) % 86400) * 1000
    else:
        target = plan.wake_after_ms
    cap = 12 * 3600 * 1000 - 60000
    if target <= cap:
        return None
    asked = describe_when(t0 + target, start_clock)
    moved = describe_when(t0 + cap, start_clock)
    return ("the 12 h session cap moves the wake: asked for %s (%s), the pod wakes at %s (%s)"
            % (asked[0], asked[1], moved[0], moved[1]))


def wake_window_ms(program: dict, start_clock: str) -> tuple[int, int] | None:
    """The program's wake window (start, end) in ms after the night starts, or None."""
    win = program.get("wake", {}).get("window_min", 0)
    if not win:
        return None
    end = wake_offset_ms(program, start_clock)
    return end - win * 60000, end


def night_end_ms(spec: NightSpec) -> int:
    """Where the simulation of spec stops, in ms since it started (known before it runs): a
    while after the sleeper gets up, or, for one who never answers, a while after the wake's
    answer window (so that the night shows the wake escalate)."""
    if spec.duration_ms is not None:
        return spec.duration_ms
    prog_mod = firmware_module("pod.program")
    prog = spec.program or prog_mod.DEFAULT
    wake = wake_offset_ms(prog, spec.start_clock)
    if spec.get_up or spec.answer_then_sleep:
        return wake + GET_UP_AFTER_MS + TAIL_MS
    answer_ms = prog_mod.compile_plan(prog).answer_ms  # (the firmware's default if not given)
    return wake + max(GET_UP_AFTER_MS, answer_ms) + TAIL_MS


def run_night(spec: NightSpec, workdir: Path | None = None) -> tuple[NightResult, SimPod]:
    prog_mod = firmware_module("pod.program")
    program = spec.program or prog_mod.DEFAULT
    profile = parse_sleeper(spec.sleeper, spec.start_clock)
    pod = SimPod(workdir=workdir, seed=spec.seed, start_clock=spec.start_clock,
                 sleeper=Sleeper(spec.seed, profile) if profile else None)
    if spec.program is not None:
        pod.fs.path("program.json").write_text(json.dumps(spec.program))
    wake = wake_offset_ms(program, spec.start_clock)
    pod.press(START_PRESS_MS, HOLD_MS)
    if spec.answer_then_sleep:
        pod.press(wake + ANSWER_AFTER_MS, TAP_MS)
    elif spec.get_up:
        pod.press(wake + GET_UP_AFTER_MS, HOLD_MS)
    end = night_end_ms(spec)
    for f in spec.faults:
        pod.inject(f.kind, f.at_ms, f.arg)
    res = pod.run(end)
    return res, pod


def fault_json(kind: str, at_ms: int, arg: int, start_clock_s: int) -> dict:
    """A fault in --json: its time both ways (clock and since the start)."""
    start = "%02d:%02d" % (start_clock_s // 3600, start_clock_s // 60 % 60)
    clock, since = describe_when(at_ms, start)
    return {"kind": kind, "at_ms": at_ms, "arg": arg, "clock": clock, "after_start": since}


def result_json(res: NightResult, program_name: str = "") -> dict:
    """The stable JSON contract of `pod-sim night --json`."""
    from simulator.timeline import wake_at_ms
    states = []
    last = None
    for s in res.samples:
        if s.state != last:
            states.append({"t_ms": s.t_ms, "state": s.state})
            last = s.state
    return {
        "program": program_name,
        "start_clock": "%02d:%02d" % (res.start_clock_s // 3600, res.start_clock_s // 60 % 60),
        "duration_ms": res.duration_ms,
        # wake_at_ms: full light at the wake time (a scheduled or smart wake's sunrise starts
        # at trigger_ms, before it), as the summary's "wake at"
        "wakes": [dict(w.as_dict(), wake_at_ms=wake_at_ms(w)) for w in res.wakes],
        "resets": res.resets,
        "final_state": res.final_state,
        "faults": [fault_json(f.kind, f.at_ms, f.arg, res.start_clock_s) for f in res.faults],
        "states": states,
        "events": [{"t_ms": e["sim_ms"], "event": e.get("ev"), "state": e.get("state"),
                    "reason": e.get("reason")} for e in res.events],
        "answers": answers(res),
    }


def answers(res: NightResult) -> list[dict]:
    """When a person answered a wake, and how (tap, hold, ack), from the firmware's events."""
    return [{"t_ms": e["sim_ms"], "how": e.get("msg")} for e in res.events
            if e.get("ev") == "answer"]
