"""Faults the simulator can inject into a running pod, by name."""
from __future__ import annotations

from simulator.hw import simstate

KINDS = ("hang", "crash", "i2c-dead", "sensor-off", "hr-low", "hr-high", "power-cut",
         "boot-crash", "button", "corrupt-program")


def apply(pod, kind: str, arg: int = 0) -> None:
    b = pod.board
    if kind == "button":
        pod.press(pod.now_ms, 120)
    elif kind == "hang":
        pod.note_trigger("hang")
        b.hang()
    elif kind == "crash":
        pod.note_trigger("crash")
        raise RuntimeError("injected fault: crash")
    elif kind == "i2c-dead":
        pod.note_trigger("i2c-dead")
        b.i2c_fault = "nack"
    elif kind == "sensor-off":
        pod.note_trigger("sensor-off")
        pod.sleeper.contact = False
    elif kind == "hr-low":
        pod.note_trigger("hr-low")
        pod.sleeper.override = float(arg or 32)
    elif kind == "hr-high":
        pod.note_trigger("hr-high")
        pod.sleeper.override = float(arg or 150)
    elif kind == "power-cut":
        pod.note_trigger("power-cut")
        raise simstate.PowerCut((arg or 5) * 1000)  # arg: seconds without power
    elif kind == "boot-crash":
        pod.boot_crashes = arg or 3
        pod.note_trigger("boot-crash")
        raise simstate.Reset(simstate.HARD_RESET)
    elif kind == "corrupt-program":
        p = pod.fs.path("program.json")
        data = p.read_bytes() if p.exists() else b'{"version": 1, "wake": {"at": "07:00"}}'
        p.write_bytes(data[: len(data) // 2] + b"\x00\xff garbage")
    else:
        raise ValueError("unknown fault kind %r (known: %s)" % (kind, ", ".join(KINDS)))
