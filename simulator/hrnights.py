"""False no-signal alarms over many simulated nights: `make bench-hr-nights`.

A sleeper who stays in contact all night, with the worst realistic signals switched on in the
sleeper and sensor models: weak perfusion (cold hands: the pulse down to 0.05 % of the DC for
up to 90 minutes), bouts of movement (4-8 s, in restless spells), posture changes (the DC and
the pulse drifting 30 % over 20 s), bursts of I2C errors (3-10 samples read as zeros, all ones
or garbage) and the odd failed transfer (the driver's OSError: the pod re-initialises the
sensor). Every such alarm is a false one: the sleeper is fine and on the sensor.

The fast path runs what decides the alarm, and only that: the sensor's register model
(simulator/hw/max30102sim.py) on the fake I2C bus, the firmware's own driver, `Heart` (the
app's sensor poll: reads every 400 ms, the rate once a second) and estimator, and the core
stepping the default program, every 200 ms of virtual time, from the start of the night to the
sunrise (or an alarm). No serial link, lights, journal or watchdog: those cannot raise a
no-signal alarm. Nights run in parallel (--jobs).

    python -m simulator.hrnights [--nights N] [--jobs J] [--rev REV] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

from simulator import FIRMWARE_DIR
from simulator.hw import machine as fake_machine
from simulator.hw import simstate
from simulator.hw.max30102sim import MAX30102Sim
from simulator.hw.sleeper import Sleeper
from simulator.sandbox import firmware_module

STEP_MS = 200
START_CLOCK_S = 22 * 3600 + 30 * 60


def worst_events(seed: int, span_ms: int) -> list[tuple[int, str, tuple]]:
    """The night's disturbances, drawn from the seed: (t_ms, kind, args), sorted."""
    r = random.Random(seed)
    ev: list[tuple[int, str, tuple]] = []
    # perfusion: a normal level for the night, and 1-3 cold spells at 0.05 % of the DC
    base = r.uniform(0.3, 1.0)
    ev.append((0, "perf", (base,)))
    for _ in range(r.randint(1, 3)):
        a = r.randint(10, span_ms // 60000 - 20) * 60000
        d = r.randint(20, 90) * 60000
        ev.append((a, "perf", (0.0833,)))
        ev.append((a + d, "perf", (base,)))
    # movement: scattered bouts, and restless spells of a bout every 30-90 s
    t = 0
    while t < span_ms:
        t += int(r.expovariate(1 / 600000))  # about 6 an hour
        ev.append((t, "move", (r.uniform(4, 8),)))
    for _ in range(r.randint(1, 4)):
        a = r.randint(0, span_ms - 1200000)
        t = a
        while t < a + r.randint(5, 20) * 60000:
            ev.append((t, "move", (r.uniform(4, 8),)))
            t += r.randint(30, 90) * 1000
    # posture changes every 20-60 minutes: the DC 30 % down or up over 20 s, kept in 90-210k
    t = 0
    gain = 1.0
    while True:
        t += r.randint(20, 60) * 60000
        if t >= span_ms:
            break
        down = gain > 1.0 or (gain > 0.75 and r.random() < 0.5)
        frac = -0.3 if down else 0.3
        if not 0.6 <= gain * (1 + frac) <= 1.4:
            frac = -frac
        gain *= 1 + frac
        ev.append((t, "posture", (20, frac)))
    # I2C: a burst of 3-10 bad samples every 10 s to 5 min, and 0-3 failed transfers
    t = 0
    while t < span_ms:
        t += r.randint(10, 300) * 1000
        ev.append((t, "glitch", (r.randint(3, 10), r.randint(0, 2))))
    for _ in range(r.randint(0, 3)):
        ev.append((r.randint(0, span_ms), "eio", ()))
    ev.sort(key=lambda e: e[0])
    return ev


def night(args: tuple) -> dict:
    """One night: the alarm that ended it (or None) and the longest run without a rate.

    args: (seed, firmware dir or None, worst signals on) and optionally a limit (ms of the
    night to run) and True for a sleeper off the sensor from the start (a real loss)."""
    seed, fw, worst = args[:3]
    limit = args[3] if len(args) > 3 else None
    fw_dir = Path(fw) if fw else FIRMWARE_DIR
    b = simstate.Board()
    simstate.current = b
    app = firmware_module("pod.app", fw_dir)
    core = firmware_module("pod.core", fw_dir)
    prog = firmware_module("pod.program", fw_dir)
    reasons = firmware_module("pod.reasons", fw_dir)
    b.us = 0
    plan = prog.load(prog.DEFAULT)
    sl = Sleeper(seed)
    sl.hrv = 0.04 if worst else 0.0
    sl.rsa = 0.05 if worst else 0.0
    sl.contact = not (len(args) > 4 and args[4])
    sensor = MAX30102Sim(sl)
    b.i2c[0x57] = sensor
    heart = app.Heart(fake_machine.I2C(0), 0)
    heart.est.set_band(plan.hr_low, plan.hr_high)
    pod = core.Pod(plan, core.Settings(), 0)
    inp = core.In()
    pod.start(0, START_CLOCK_S)
    end = pod.rise_start
    events = worst_events(seed, end) if worst else []
    if limit is not None:
        end = min(end, limit)
    k = 0
    t = 0
    gap = 0
    worst_gap = 0
    no_rate = 0
    eio = False
    alarm = None
    while t < end:
        t += STEP_MS
        b.us = t * 1000
        while k < len(events) and events[k][0] <= t:
            _, kind, a = events[k]
            k += 1
            if kind == "perf":
                sl.set_perfusion(a[0])
            elif kind == "move":
                sl.move(t, a[0])
            elif kind == "posture":
                sl.posture(t, a[0], a[1])
            elif kind == "glitch":
                sensor.glitch(a[0], a[1])
            elif kind == "eio":
                b.i2c_fault = "eio"
                eio = True
        heart.poll(t, inp)
        if eio:  # one failed transfer, then the bus is fine again
            b.i2c_fault = ""
            eio = False
        pod.step(t, inp)
        if t % 1000 == 0 and pod.state == core.SLEEP:
            if inp.bpm10 < 0:
                gap += 1
                no_rate += 1
                worst_gap = max(worst_gap, gap)
            else:
                gap = 0
        if pod.state == core.ALARM:
            alarm = reasons.REASON_NAMES[pod.reason]
            break
    return {"seed": seed, "alarm": alarm, "t_min": round(t / 60000, 1),
            "longest_no_rate_s": worst_gap, "no_rate_s": no_rate,
            "sleep_s": max(1, (min(t, end) - pod.wd_end) // 1000)}


def run(nights: int, jobs: int, fw: str | None, worst: bool = True, seed0: int = 1) -> dict:
    args = [(seed0 + i, fw, worst) for i in range(nights)]
    t0 = time.time()
    if jobs > 1:
        with Pool(jobs) as p:
            res = p.map(night, args, chunksize=1)
    else:
        res = [night(a) for a in args]
    alarms: dict[str, int] = {}
    for r in res:
        if r["alarm"]:
            alarms[r["alarm"]] = alarms.get(r["alarm"], 0) + 1
    sleep_s = sum(r["sleep_s"] for r in res)
    return {"nights": nights, "no_signal_alarms": alarms.get("no_signal", 0),
            "alarms": alarms,
            "longest_no_rate_s": max(r["longest_no_rate_s"] for r in res),
            "no_rate_pct": round(100.0 * sum(r["no_rate_s"] for r in res) / sleep_s, 2),
            "sleep_hours": round(sleep_s / 3600, 1), "wall_s": round(time.time() - t0, 1),
            "alarm_nights": [r for r in res if r["alarm"]][:10]}


def main(argv: list[str] | None = None) -> int:
    from simulator.bench_hr import BASELINE_REV, baseline_firmware
    ap = argparse.ArgumentParser(prog="hrnights", description="False no-signal alarms over "
                                 "simulated nights with the worst realistic signals")
    ap.add_argument("--nights", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1, help="first night's seed")
    ap.add_argument("--rev", default=BASELINE_REV, help="also run the firmware at this git "
                    "revision, as \"before\" ('none' to skip; default %(default)s)")
    ap.add_argument("--out", type=Path, help="write the figures as JSON here")
    a = ap.parse_args(argv)
    out = {}
    with tempfile.TemporaryDirectory(prefix="hrnights-") as tmp:
        runs: list[tuple[str, str | None]] = [("after", None)]
        if a.rev != "none":
            before = baseline_firmware(a.rev, Path(tmp))
            if before is None:
                print("revision %s: not available from git, skipped" % a.rev)
            else:
                runs.insert(0, ("before (%s)" % a.rev, str(before)))
        for name, fw in runs:
            print("%s: %d nights with the worst realistic signals..." % (name, a.nights),
                  flush=True)
            r = run(a.nights, a.jobs, fw, True, a.seed)
            out[name] = r
            print("  false no-signal alarms: %d of %d nights (all alarms: %s); longest run "
                  "without a rate %d s; no rate in %.2f %% of %.0f h asleep; %.0f s wall"
                  % (r["no_signal_alarms"], r["nights"], r["alarms"] or "none",
                     r["longest_no_rate_s"], r["no_rate_pct"], r["sleep_hours"], r["wall_s"]),
                  flush=True)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
