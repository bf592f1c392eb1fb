"""`make bench`: simulator speed and the firmware's memory figures under MicroPython.

Figures are written to build/bench-results.json (not tracked: a run never dirties the
repository); bench/results.json holds the reference figures, committed deliberately when they
are re-measured. Nothing here is a pass/fail test (the machines are shared and noisy).
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from simulator.night import NightSpec, run_night

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench-results.json"


def sim_speed(repeats: int = 3) -> dict:
    """Simulated seconds per wall second, and per second of this process's CPU time (less
    sensitive to a shared machine), for a default 8-hour-plus night: the best of `repeats`."""
    wall = cpu = None
    sim_ms = 0
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        res, pod = run_night(NightSpec())
        w, c = time.perf_counter() - t0, time.process_time() - c0
        pod.close()
        sim_ms = res.duration_ms
        wall = w if wall is None else min(wall, w)
        cpu = c if cpu is None else min(cpu, c)
    assert wall is not None and cpu is not None
    return {"night_sim_hours": round(sim_ms / 3.6e6, 2), "night_wall_s": round(wall, 2),
            "speed_x_realtime": round(sim_ms / 1000 / wall),
            "night_cpu_s": round(cpu, 2), "speed_x_realtime_cpu": round(sim_ms / 1000 / cpu)}


def soak_speed(examples: int = 8) -> dict:
    """The deep fail-safe soak (tests/test_property_failsafe.py) on one core: a fixed set of
    `examples` (derandomized, no database, no shrinking), examples and simulated hours per
    second. `make soak` runs one of these per core."""
    import sys

    from hypothesis import Phase, settings
    from hypothesis.stateful import run_state_machine_as_test
    sys.path.insert(0, str(ROOT))
    from tests.test_property_failsafe import PodUnderFaults

    nights: list[int] = []

    class Counted(PodUnderFaults):
        def teardown(self):
            super().teardown()
            if hasattr(self, "pod"):
                nights.append(self.pod.now_ms)

    deep = settings(settings.get_profile("deep"), max_examples=examples, derandomize=True,
                    database=None, phases=[Phase.generate])
    t0 = time.perf_counter()
    c0 = time.process_time()
    run_state_machine_as_test(Counted, settings=deep)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {"examples": len(nights), "sim_hours": round(sum(nights) / 3.6e6, 1),
            "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "examples_per_s_per_core": round(len(nights) / wall, 3),
            "examples_per_cpu_s": round(len(nights) / cpu, 3),
            "sim_x_realtime": round(sum(nights) / 1000 / wall)}


def main() -> int:
    figures: dict = {"machine": platform.machine(), "python": platform.python_version(),
                     "cpus": os.cpu_count(), "when": time.strftime("%Y-%m-%d %H:%M")}
    print("Simulating the default night on one core (best of 3)...", flush=True)
    figures["simulator"] = s = sim_speed()
    print("  %.2f simulated hours in %.2f s wall: %dx real time (%.2f s of CPU: %dx by CPU "
          "time)"
          % (s["night_sim_hours"], s["night_wall_s"], s["speed_x_realtime"], s["night_cpu_s"],
             s["speed_x_realtime_cpu"]))
    print("The deep fail-safe soak on one core (8 fixed examples)...", flush=True)
    figures["soak"] = k = soak_speed()
    print("  %d examples, %.1f simulated hours in %.1f s wall (%.1f s CPU): %.3f examples/s per "
          "core (%.3f per CPU second), %dx real time"
          % (k["examples"], k["sim_hours"], k["wall_s"], k["cpu_s"], k["examples_per_s_per_core"],
             k["examples_per_cpu_s"], k["sim_x_realtime"]))
    try:
        from simulator.bench_mpy import measure
    except ImportError:
        measure = None
    if measure is not None:
        print("Measuring the firmware under MicroPython (unix port, 64 KB heap)...", flush=True)
        figures["micropython"] = m = measure()
        for k, v in m.items():
            print("  %s: %s" % (k, v))
    from simulator import bench_mpy32
    if bench_mpy32.wasm_ready():
        print("The firmware's resident heap on 64-bit (unix port) and 32-bit (WebAssembly port) "
              "MicroPython...", flush=True)
        m32 = bench_mpy32.measure()
        figures["heap_32bit"] = {"ticks": m32["ticks"], **m32["summary"]}
        for line in bench_mpy32.table(m32):
            print("  " + line)
    else:
        print("The 32-bit heap figures need %s in %s: run `make bench`"
              % (bench_mpy32.WASM_PKG, bench_mpy32.WASM_DIR), flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print("Figures written to %s" % OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd())
          else "Figures written to %s" % OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
