"""Faults the simulator can inject into a running pod, by name."""
from __future__ import annotations

import random

from simulator.hw import simstate

KINDS = ("hang", "crash", "i2c-dead", "sensor-off", "hr-low", "hr-high", "power-cut",
         "boot-crash", "button", "corrupt-program", "serial-garbage", "serial-wake",
         "i2c-stuck", "sensor-removed")
SENSOR_LOST = ("sensor-off", "i2c-dead", "i2c-stuck", "sensor-removed")  # no rate to measure

SERIAL_CHUNK = 64       # serial-garbage arrives in chunks this big...
SERIAL_CHUNK_US = 5600  # ...this often: 115200 baud


def serial_garbage(kb: int, seed: int = 0) -> bytes:
    """About kb KB of what a noisy or misconfigured serial line delivers: random bytes (with
    newlines among them), over-long lines of printable text and of JSON-looking text."""
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < kb * 1024:
        k = rng.randrange(3)
        if k == 0:
            out += rng.randbytes(rng.randrange(1, 400))
        elif k == 1:
            out += bytes(rng.randrange(32, 127) for _ in range(rng.randrange(300, 1200))) + b"\n"
        else:
            out += b'{"id":1,"cmd":"' + b"x" * rng.randrange(300, 900) + b'"}\n'
    return bytes(out[: kb * 1024])


def _feed_in_chunks(pod, data: bytes) -> None:
    b = pod.board
    for i in range(0, len(data), SERIAL_CHUNK):
        chunk = data[i:i + SERIAL_CHUNK]
        b.schedule(b.us + (i // SERIAL_CHUNK) * SERIAL_CHUNK_US, lambda c=chunk: b.feed_rx(c))


def apply(pod, kind: str, arg: int = 0, since: int | None = None) -> None:
    b = pod.board
    if since is None:
        since = pod.now_ms
    if kind in ("hang", "crash") and b.hung:
        pod.struck.append((kind, since, None))
        return  # already stuck: no code runs that could hang again or raise
    if kind in ("hang", "crash") and not pod.running:
        # the firmware is not running (the board is booting, or sits at the REPL after an
        # error): the fault happens once it runs again
        pod.board.schedule(b.us + 50000, lambda: apply(pod, kind, arg, since))
        return
    if kind in ("hang", "crash"):
        pod.struck.append((kind, since, pod.now_ms))
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
    elif kind == "i2c-stuck":  # a slave holds SDA low: every transfer times out
        pod.note_trigger("i2c-stuck")
        b.i2c_fault = "stuck"
    elif kind == "sensor-removed":  # the sensor's cable pulled: nothing answers at its address
        pod.note_trigger("sensor-removed")
        b.i2c.pop(pod.pins.HR_ADDR, None)
    elif kind == "sensor-off":  # out of contact; arg: back in it after that many seconds
        pod.note_trigger("sensor-off")
        pod.sleeper.contact = False
        if arg:
            pod.at(pod.now_ms + arg * 1000, lambda: setattr(pod.sleeper, "contact", True))
    elif kind == "hr-low":
        pod.note_trigger("hr-low")
        pod.sleeper.override = float(arg or 32)
    elif kind == "hr-high":
        pod.note_trigger("hr-high")
        pod.sleeper.override = float(arg or 150)
    elif kind == "power-cut":
        pod.note_trigger("power-cut")
        pod.fs.dead = True  # no more flash writes as the firmware's frames unwind
        raise simstate.PowerCut((arg or 5) * 1000)  # arg: seconds without power
    elif kind == "boot-crash":
        pod.boot_crashes = arg or 3
        pod.note_trigger("boot-crash")
        raise simstate.Reset(simstate.HARD_RESET)
    elif kind == "corrupt-program":
        p = pod.fs.path("program.json")
        data = p.read_bytes() if p.exists() else b'{"version": 1, "wake": {"at": "07:00"}}'
        p.write_bytes(data[: len(data) // 2] + b"\x00\xff garbage")
    elif kind == "serial-wake":  # a host sends {"cmd": "wake"} over the serial link
        pod.send(b"\n")
        pod.send({"id": "fault", "cmd": "wake"})
    elif kind == "serial-garbage":
        # arg: KB of garbage (default 4), at line rate; what overflows the board's buffer is lost
        _feed_in_chunks(pod, serial_garbage(arg or 4, seed=pod.now_ms))
    else:
        raise ValueError("unknown fault kind %r (known: %s)" % (kind, ", ".join(KINDS)))
