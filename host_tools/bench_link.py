"""Round trips through the serial link, measured against `pod-sim serve` in real time (speed 1):
what a person at a laptop waits for. Prints the figures and writes build/bench-link.json
(bench/link.json is the committed reference, copied there by hand when re-measured).

    python -m host_tools.bench_link [--n 20] [--speed 1]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from host_tools import FIRMWARE_DIR, podfiles
from host_tools.transport import Transport

ROOT = Path(__file__).resolve().parent.parent


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def summary(xs: list[float]) -> dict:
    xs = sorted(xs)
    return {"n": len(xs), "median_ms": round(statistics.median(xs), 1), "min_ms": round(xs[0], 1),
            "max_ms": round(xs[-1], 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--out", default=str(ROOT / "build" / "bench-link.json"))
    a = ap.parse_args(argv)
    # a full journal on the pod's flash: 8 files of about 8 KB (what logs pull moves at worst)
    work = Path(tempfile.mkdtemp(prefix="bench-link-"))
    rnd = random.Random(1)
    for i in range(1, 9):
        (work / ("jr%05d.bin" % i)).write_bytes(rnd.randbytes(8000 if i == 8 else 8180))
    srv = subprocess.Popen([sys.executable, "-m", "simulator.cli", "serve", "--speed", str(a.speed),
                            "--workdir", str(work)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert srv.stdout is not None
        port = ""
        while not port:
            ln = srv.stdout.readline()
            if not ln:
                raise SystemExit("pod-sim serve did not start")
            if ln.startswith("PORT "):
                port = ln.split()[1]
        res: dict = {"speed": a.speed}
        with Transport.connect(port, timeout=5) as t:
            res["status"] = summary([_ms(lambda: t.request("status")) for _ in range(a.n)])
            wakes = []
            for _ in range(max(3, a.n // 4)):
                t.request("start")
                wakes.append(_ms(lambda: t.request("wake")))
                t.request("stop")
            res["wake"] = summary(wakes)
            res["time_sync"] = summary([_ms(lambda: t.request("time", op="set", datetime=[2026, 11, 29, 12, 0, 0]))
                                        for _ in range(5)])
            if (FIRMWARE_DIR / "pod" / "link" / "__init__.py").exists():
                from simulator.sandbox import firmware_module
                data = json.dumps(firmware_module("pod.program").DEFAULT, separators=(",", ":")).encode()
                t0 = time.perf_counter()
                podfiles.push_program(t, data)
                s = time.perf_counter() - t0
                res["program_push"] = {"bytes": len(data), "s": round(s, 2), "bytes_per_s": round(len(data) / s)}
                # the chunks of the largest program (4096 bytes) at the link's pace, then abort
                big = rnd.randbytes(4096)
                t0 = time.perf_counter()
                t.request("program", op="begin", size=len(big), crc=podfiles.crc32(big))
                for off, text in podfiles.chunks(big):
                    t.request("program", op="chunk", off=off, data=text)
                s = time.perf_counter() - t0
                t.request("program", op="abort")
                res["upload_4k"] = {"bytes": len(big), "s": round(s, 2), "bytes_per_s": round(len(big) / s)}
                t0 = time.perf_counter()
                paths = podfiles.pull_logs(t, work / "pulled")
                s = time.perf_counter() - t0
                n = sum(p.stat().st_size for p in paths)
                res["logs_pull"] = {"bytes": n, "files": len(paths), "s": round(s, 2),
                                    "bytes_per_s": round(n / s)}
    finally:
        srv.terminate()
        srv.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
    print("serial link through pod-sim serve at %gx real time (wall ms, request written to reply read):" % a.speed)
    for k in ("status", "wake", "time_sync"):
        r = res[k]
        print("  %-10s median %6.1f  min %6.1f  max %6.1f  (n=%d)" % (k, r["median_ms"], r["min_ms"], r["max_ms"], r["n"]))
    if "program_push" in res:
        p = res["program_push"]
        print("  program push: %d bytes in %.2f s (%d B/s)" % (p["bytes"], p["s"], p["bytes_per_s"]))
    if "upload_4k" in res:
        p = res["upload_4k"]
        print("  upload of 4096 bytes (begin and chunks): %.2f s (%d B/s)" % (p["s"], p["bytes_per_s"]))
    if "logs_pull" in res:
        p = res["logs_pull"]
        print("  logs pull: %d bytes (%d files, a full journal) in %.1f s (%d B/s)" % (
            p["bytes"], p["files"], p["s"], p["bytes_per_s"]))
    print("written to %s" % a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
