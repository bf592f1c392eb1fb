"""The firmware's tests on a real MicroPython VM (the unix port), heap capped at 64 KB.

Each tests/mpy/test_*.py module runs in its own VM through tests/mpy/runner.py, which prints
"N passed, M failed" last and exits 1 on any failure.

- Modules that test pure firmware modules run in a VM started with `-X heapsize=64K`: the test
  code and the firmware share those 64 KB.
- Modules that run the whole firmware on the fake board (test_alloc_mpy, test_hour_mpy) need
  room for the fake machine/time/neopixel modules and the sensor model, which on the pod are
  built in or physical. They run in a bigger VM and, once the fake board is loaded, take a
  ballast that leaves the firmware exactly the (contiguous) free heap of a fresh
  `-X heapsize=64K` VM (tests/mpy/mpyenv.py).

The firmware is imported from its mpy-cross build (bytecode, as deployed to save RAM):
compiling the .py files inside the VM needs more heap than the budget leaves to spare.
The unix port is 64-bit, so objects are about twice their ESP32 size: 64 KB here is a
stricter budget than 64 KB on the pod.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import bench_mpy

ROOT = Path(__file__).resolve().parent.parent
MPY_DIR = ROOT / "tests" / "mpy"
RUNNER = MPY_DIR / "runner.py"

# module -> how it runs: "64K" (a hard 64 KB VM) or "budget" (bigger VM, firmware held to 64 KB)
MODULES = {
    "test_core_mpy": "64K",
    "test_light_sound_mpy": "64K",
    "test_program_mpy": "64K",
    "test_hr_mpy": "64K",
    "test_store_mpy": "64K",
    "test_alloc_mpy": "budget",
    "test_link_mpy": "budget",
    "test_hour_mpy": "budget",
    "test_upload_mpy": "budget",
    "test_household_mpy": "budget",
    "test_household_gesture_mpy": "256K",  # about no heap at the tap (locked), not the budget
    "test_household_app_mpy": "512K",  # a budget above 64 KB: see the module
}


@pytest.fixture(scope="session")
def mpy_build() -> Iterator[Path]:
    """The firmware compiled with mpy-cross, as it would be deployed to save RAM. In a folder
    with a short name of a fixed length: each module keeps its path (__file__) in the heap, and
    on the pod that is just "pod/x.mpy"; pytest's own temporary folders are long and their
    length varies from run to run, which would move the heap figures with it."""
    d = Path(tempfile.mkdtemp(prefix="fw", dir="/tmp"))
    try:
        yield bench_mpy.build_firmware(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def short_root() -> Iterator[Path]:
    """The repository through a link of a fixed, short length (see bench_mpy.short_root)."""
    link = bench_mpy.short_root()
    try:
        yield link
    finally:
        link.unlink()


@pytest.fixture(scope="session")
def free64k() -> int:
    return bench_mpy.free_64k()


def _last_line(out: str) -> str:
    lines = out.strip().splitlines()
    return lines[-1] if lines else ""


def test_every_mpy_module_is_run():
    found = sorted(p.stem for p in MPY_DIR.glob("test_*.py"))
    assert found == sorted(MODULES), "add new tests/mpy modules to MODULES"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_mpy_module(module, mpy_build, short_root, free64k, tmp_path):
    heap = MODULES[module] if MODULES[module].endswith("K") else bench_mpy.BIG_HEAP
    runner = short_root / RUNNER.relative_to(ROOT)
    args = [str(runner), "--fw", str(mpy_build), "--free64k", str(free64k), module]
    proc = bench_mpy.run_mpy(args, heap=heap, cwd=tmp_path, timeout=120)
    out = proc.stdout + proc.stderr
    print(out)
    last = _last_line(proc.stdout)
    assert proc.returncode == 0, f"{module} failed on MicroPython (heap {heap}):\n{out}"
    n_passed, _, rest = last.partition(" passed, ")
    assert rest == "0 failed" and int(n_passed) > 0, f"unexpected summary {last!r}:\n{out}"
    assert list(tmp_path.iterdir()) == [], "the tests left files behind"


def test_runner_reports_failures(tmp_path):
    mod = tmp_path / "test_zz_selfcheck.py"
    mod.write_text("def test_ok():\n    pass\n\n\n"
                   "def test_bad():\n    assert 1 + 1 == 3, 'arithmetic'\n\n\n"
                   "def test_oom():\n    x = bytearray(200 * 1024)\n")
    proc = bench_mpy.run_mpy([str(RUNNER), "--path", str(tmp_path), "test_zz_selfcheck"],
                             heap="64K", cwd=tmp_path, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert _last_line(proc.stdout) == "1 passed, 2 failed", out
    assert "FAIL test_zz_selfcheck.test_bad" in out and "arithmetic" in out
    assert "FAIL test_zz_selfcheck.test_oom" in out and "MemoryError" in out


def test_heap_cap_is_real(tmp_path):
    """-X heapsize=64K really caps the heap: 100 KB, even in small pieces, cannot be had."""
    script = tmp_path / "grab.py"
    script.write_text(
        "keep = []\n"
        "try:\n"
        "    for i in range(100):\n"
        "        keep.append(bytearray(1024))\n"
        "    print('got', len(keep), 'KB')\n"
        "except MemoryError:\n"
        "    print('MemoryError after', len(keep), 'KB')\n")
    capped = bench_mpy.run_mpy([str(script)], heap="64K", cwd=tmp_path, timeout=60)
    assert capped.returncode == 0, capped.stderr
    assert capped.stdout.startswith("MemoryError after"), capped.stdout
    kb = int(capped.stdout.split()[2])
    assert 40 <= kb < 64, capped.stdout
    roomy = bench_mpy.run_mpy([str(script)], heap=bench_mpy.BIG_HEAP, cwd=tmp_path, timeout=60)
    assert roomy.stdout.strip() == "got 100 KB", roomy.stdout + roomy.stderr
