"""The firmware's resident heap at the ESP32's word size, for `make bench`.

The MicroPython tests run on the unix port, which is 64-bit (8-byte words, 32-byte GC blocks);
the ESP32 is 32-bit (4-byte words, 16-byte GC blocks). The official WebAssembly port (npm
`@micropython/micropython-webassembly-pyscript`, installed by the Makefile into
build/mpy-wasm) is a 32-bit MicroPython: its heap grows, so it cannot hold the firmware to a
budget, but gc.mem_alloc() counts exactly what is held. bench/heap32.py boots the whole
firmware on the fake board the way tests/mpy/test_household_app_mpy.py does, without and with a
household, and measures it the same way on both ports (bench/heap32.mjs drives it under Node);
this module runs the eight cases (two ports, mpy-cross build or source, household or not) and
puts the figures side by side.

Each case runs in a fresh VM (the WebAssembly port has one VM per Node process anyway), from
one staged folder whose path has the same length on both ports (every module keeps its path in
the heap).
"""
from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from pathlib import Path

from simulator.bench_mpy import FIRMWARE, MPY_TESTS, ROOT, build_firmware, run_mpy

WASM_DIR = ROOT / "build" / "mpy-wasm"  # where the Makefile installs the npm package
WASM_PKG = "@micropython/micropython-webassembly-pyscript"
HW = ROOT / "simulator" / "hw"
BENCH = ROOT / "bench"
TICKS = 1800  # three minutes of the 10 Hz loop in SLEEP, each measured (after 320 unmeasured)
UNIX_HEAP = "512K"  # room for the fake board, the firmware and its household, not a budget


def wasm_ready() -> bool:
    return (WASM_DIR / "node_modules" / WASM_PKG / "micropython.mjs").exists() and \
        shutil.which("node") is not None


def _stage() -> Path:
    """A new folder /tmp/pXXXXXX (12 characters, as bench_mpy.short_root's links) with hw/,
    mpy/, heap32.py, shim/, the firmware as mpy-cross made it (fwm/) and as source (fws/), work/."""
    for _ in range(1000):
        d = Path("/tmp") / ("p" + secrets.token_hex(3))
        try:
            d.mkdir()
        except FileExistsError:
            continue
        break
    else:
        raise RuntimeError("no free name for a folder in /tmp")
    ignore = shutil.ignore_patterns("__pycache__", "*.mpy")
    shutil.copytree(HW, d / "hw", ignore=shutil.ignore_patterns(
        "__pycache__", "__init__.py", "flash.py"))  # (CPython-only files)
    shutil.copytree(MPY_TESTS, d / "mpy", ignore=ignore)
    shutil.copytree(FIRMWARE / "pod", d / "fws" / "pod", ignore=ignore)
    build_firmware(d / "fwm")
    shutil.copy(BENCH / "heap32.py", d / "heap32.py")
    shutil.copytree(BENCH / "shim", d / "shim", ignore=ignore)
    (d / "work").mkdir()
    return d


def _last_json(out: str, what: str) -> dict:
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{what}: no figures in its output:\n{out}")


def _unix(stage: Path, fw: str, household: int, ticks: int) -> dict:
    proc = run_mpy([str(stage / "heap32.py"), str(stage), str(stage / fw), str(household),
                    str(ticks)], heap=UNIX_HEAP, cwd=stage / "work", timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"bench/heap32.py on the unix port failed:\n{proc.stdout}{proc.stderr}")
    return _last_json(proc.stdout, "the unix port")


def _wasm(stage: Path, fw: str, household: int, ticks: int) -> dict:
    proc = subprocess.run(["node", str(BENCH / "heap32.mjs"), str(WASM_DIR), str(stage),
                           str(stage / fw), str(household), str(ticks)],
                          capture_output=True, text=True, timeout=600, cwd=stage)
    if proc.returncode != 0:
        raise RuntimeError(f"bench/heap32.mjs (WebAssembly port) failed:\n{proc.stdout}"
                           f"{proc.stderr[-4000:]}")
    return _last_json(proc.stdout, "the WebAssembly port")


def _kb(n: int) -> str:
    return "%.1f KB" % (n / 1024)


def measure(ticks: int = TICKS) -> dict:
    """{"cases": {port: {build: {"alone": rec, "household": rec}}}, "summary": {...}} where
    rec is bench/heap32.py's record; summary holds the figures of the table (bytes)."""
    if not wasm_ready():
        raise RuntimeError(f"{WASM_PKG} is not installed in {WASM_DIR} (run `make bench`), or "
                           "node is not on PATH")
    stage = _stage()
    try:
        cases: dict = {}
        for port, run in (("unix64", _unix), ("wasm32", _wasm)):
            for build in ("mpy", "source"):
                fw = "fwm" if build == "mpy" else "fws"
                cases.setdefault(port, {})[build] = {
                    "alone": run(stage, fw, 0, ticks), "household": run(stage, fw, 1, ticks)}
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    # the same night on both ports, or the figures do not compare
    for build in ("mpy", "source"):
        for kind in ("alone", "household"):
            a, b = cases["unix64"][build][kind], cases["wasm32"][build][kind]
            same = ("state", "frames_sent", "household_errors", "ticks")
            if any(a.get(k) != b.get(k) for k in same):
                raise RuntimeError("the two ports ran different nights (%s, %s): %r against %r"
                                   % (build, kind, {k: a.get(k) for k in same},
                                      {k: b.get(k) for k in same}))
    summary: dict = {}
    for port, builds in cases.items():
        for build, r in builds.items():
            a, h = r["alone"], r["household"]
            summary.setdefault(port, {})[build] = {
                "harness_bytes": a["harness_bytes"],
                "firmware_bytes": a["firmware_bytes"],
                "firmware_with_household_bytes": h["firmware_bytes"],
                "household_bytes": h["firmware_bytes"] - a["firmware_bytes"],
                "resident_max_bytes": a["resident_max_bytes"],
                "resident_max_with_household_bytes": h["resident_max_bytes"],
                "tick_peak_bytes": a["tick_peak_bytes"],
                "tick_peak_with_household_bytes": h["tick_peak_bytes"],
                "tick_alloc_max_bytes": max(a["tick_alloc_max_bytes"], h["tick_alloc_max_bytes"]),
                "micropython": "%s %s, %d-byte words" % (
                    "unix port" if port == "unix64" else "WebAssembly port", a["micropython"],
                    a["word_bytes"]),
            }
    return {"ticks": ticks, "summary": summary, "cases": cases}


ROWS = (
    ("firmware alone, after boot", "firmware_bytes"),
    ("with household.json and the hook", "firmware_with_household_bytes"),
    ("the household's share", "household_bytes"),
    ("most held before a night tick (alone / household)", "resident_max_bytes"),
    ("most a night tick needs (alone / household)", "tick_peak_bytes"),
    ("fake board + harness (not firmware)", "harness_bytes"),
)


def table(m: dict, build: str = "mpy") -> list[str]:
    """The comparison as Markdown table lines (the README's), for one build of the firmware."""
    s64, s32 = m["summary"]["unix64"][build], m["summary"]["wasm32"][build]
    lines = ["| %s build, %d night ticks | 64-bit (%s) | 32-bit (%s) | 32/64 |"
             % (build, m["ticks"], s64["micropython"], s32["micropython"]),
             "|---|---|---|---|"]
    for label, key in ROWS:
        if key in ("resident_max_bytes", "tick_peak_bytes"):
            hk = key.replace("_bytes", "_with_household_bytes")
            lines.append("| %s | %s / %s | %s / %s | %.2f / %.2f |" % (
                label, _kb(s64[key]), _kb(s64[hk]), _kb(s32[key]), _kb(s32[hk]),
                s32[key] / s64[key], s32[hk] / s64[hk]))
        else:
            lines.append("| %s | %s | %s | %.2f |" % (label, _kb(s64[key]), _kb(s32[key]),
                                                       s32[key] / s64[key]))
    return lines


def main() -> int:
    m = measure()
    for build in ("mpy", "source"):
        print("\n".join(table(m, build)))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
