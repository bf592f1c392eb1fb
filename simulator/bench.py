"""`make bench`: simulator speed and the firmware's memory figures under MicroPython.

Figures are written to bench/results.json so runs can be compared; nothing here is a pass/fail
test (the machines are shared and noisy).
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from simulator.night import NightSpec, run_night

OUT = Path(__file__).resolve().parent.parent / "bench" / "results.json"


def sim_speed(repeats: int = 3) -> dict:
    """Simulated seconds per wall second for a default 8-hour-plus night, best of `repeats`."""
    best = None
    sim_ms = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        res, pod = run_night(NightSpec())
        wall = time.perf_counter() - t0
        pod.close()
        sim_ms = res.duration_ms
        best = wall if best is None else min(best, wall)
    assert best is not None
    return {"night_sim_hours": round(sim_ms / 3.6e6, 2), "night_wall_s": round(best, 2),
            "speed_x_realtime": round(sim_ms / 1000 / best)}


def main() -> int:
    figures: dict = {"machine": platform.machine(), "python": platform.python_version(),
                     "cpus": os.cpu_count(), "when": time.strftime("%Y-%m-%d %H:%M")}
    print("Simulating the default night (best of 3)...", flush=True)
    figures["simulator"] = sim_speed()
    s = figures["simulator"]
    print("  %.2f simulated hours in %.2f s wall: %dx real time"
          % (s["night_sim_hours"], s["night_wall_s"], s["speed_x_realtime"]))
    try:
        from simulator.bench_mpy import measure
    except ImportError:
        measure = None
    if measure is not None:
        print("Measuring the firmware under MicroPython (unix port, 64 KB heap)...", flush=True)
        figures["micropython"] = m = measure()
        for k, v in m.items():
            print("  %s: %s" % (k, v))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print("Figures written to %s" % OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd())
          else "Figures written to %s" % OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
