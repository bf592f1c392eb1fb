"""One simulated night, set up the way a person uses the pod, for `pod-sim night` and tests."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from simulator.hw.sleeper import Sleeper
from simulator.sim import NightResult, SimPod, firmware_module

START_PRESS_MS = 5000      # the sleeper holds the button to start the night...
HOLD_MS = 2600             # ...for longer than the firmware's long press (2 s)
GET_UP_AFTER_MS = 10 * 60000  # and holds it again this long after the wake to switch off
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
    sleeper: str = "default"  # see parse_sleeper


def parse_offset(text: str) -> int:
    """HH:MM or HH:MM:SS since the night started, in ms."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError("time %r is not HH:MM or HH:MM:SS" % text)
    h, m = int(parts[0]), int(parts[1])
    s = int(parts[2]) if len(parts) == 3 else 0
    if m > 59 or s > 59:
        raise ValueError("time %r has minutes or seconds above 59" % text)
    return ((h * 60 + m) * 60 + s) * 1000


def parse_fault(text: str) -> FaultSpec:
    """KIND[:ARG]@HH:MM[:SS], e.g. hang@03:00, power-cut:60@02:30 (60 s off), hr-low:35@04:00."""
    from simulator.faults import KINDS
    if "@" not in text:
        raise ValueError("fault %r: expected KIND@HH:MM[:SS]" % text)
    head, when = text.rsplit("@", 1)
    kind, _, arg = head.partition(":")
    if kind not in KINDS:
        raise ValueError("fault %r: unknown kind %r (known: %s)" % (text, kind, ", ".join(KINDS)))
    if arg and not arg.isdigit():
        raise ValueError("fault %r: the argument after ':' must be a whole number" % text)
    return FaultSpec(kind, parse_offset(when), int(arg) if arg else 0)


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


def wake_window_ms(program: dict, start_clock: str) -> tuple[int, int] | None:
    """The program's wake window (start, end) in ms after the night starts, or None."""
    win = program.get("wake", {}).get("window_min", 0)
    if not win:
        return None
    end = wake_offset_ms(program, start_clock)
    return end - win * 60000, end


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
    end = spec.duration_ms
    if spec.get_up:
        pod.press(wake + GET_UP_AFTER_MS, HOLD_MS)
    if end is None:
        end = wake + GET_UP_AFTER_MS + TAIL_MS
    for f in spec.faults:
        pod.inject(f.kind, f.at_ms, f.arg)
    res = pod.run(end)
    return res, pod


def result_json(res: NightResult, program_name: str = "") -> dict:
    """The stable JSON contract of `pod-sim night --json`."""
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
        "wakes": [w.as_dict() for w in res.wakes],
        "resets": res.resets,
        "final_state": res.final_state,
        "faults": [{"kind": f.kind, "at_ms": f.at_ms, "arg": f.arg} for f in res.faults],
        "states": states,
        "events": [{"t_ms": e["sim_ms"], "event": e.get("ev"), "state": e.get("state"),
                    "reason": e.get("reason")} for e in res.events],
        "answers": answers(res),
    }


def answers(res: NightResult) -> list[dict]:
    """When a person answered a wake, and how (tap, hold, ack), from the firmware's events."""
    return [{"t_ms": e["sim_ms"], "how": e.get("msg")} for e in res.events
            if e.get("ev") == "answer"]
