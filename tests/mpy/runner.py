# A tiny test runner for MicroPython (which has no unittest).
#
#   micropython -X heapsize=64K tests/mpy/runner.py [test_module ...]
#
# With no module names it runs every tests/mpy/test_*.py. Each module is imported and every
# function named test_* in it is called with no arguments, in name order. A test fails if it
# raises anything (MemoryError included). The last line is exactly "N passed, M failed" and the
# exit status is 1 if any test failed.
#
# sys.path: simulator/hw first (its machine.py, neopixel.py and time.py stand in for the
# board's modules), then firmware/ (the `pod` package), then this folder (the test modules).
# This file must not import `time`, `machine` or `neopixel` before sys.path is set.
import gc
import os
import sys

import micropython


def _abspath(p):
    if not p.startswith("/"):
        cwd = os.getcwd()
        p = cwd + "/" + p if cwd != "/" else "/" + p
    parts = []
    for part in p.split("/"):
        if part == "" or part == ".":
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return "/" + "/".join(parts)


def _dirname(p):
    i = p.rfind("/")
    return p[:i] if i > 0 else "/"


HERE = _dirname(_abspath(__file__))       # tests/mpy
ROOT = _dirname(_dirname(HERE))           # the repository
HW_DIR = ROOT + "/simulator/hw"
FIRMWARE_DIR = ROOT + "/firmware"


def setup_path():
    for p in (HERE, FIRMWARE_DIR, HW_DIR):  # each inserted at 0: HW_DIR ends up first
        while p in sys.path:
            sys.path.remove(p)
        sys.path.insert(0, p)


def discover():
    names = []
    for name in os.listdir(HERE):
        if name.startswith("test_") and name.endswith(".py"):
            names.append(name[:-3])
    names.sort()
    return names


def _tests_of(mod):
    # MicroPython's module dict is not ordered: run tests in name order, for repeatability.
    out = []
    for name in dir(mod):
        if name.startswith("test_"):
            f = getattr(mod, name)
            if callable(f):
                out.append(name)
    out.sort()
    return out


def run_module(modname, counts):
    try:
        mod = __import__(modname)
    except BaseException as e:  # noqa: BLE001 - a failed import is a failed test
        if isinstance(e, KeyboardInterrupt):
            raise
        micropython.heap_unlock()
        counts[1] += 1
        print("FAIL %s (import)" % modname)
        sys.print_exception(e)
        return
    for name in _tests_of(mod):
        gc.collect()
        try:
            getattr(mod, name)()
        except BaseException as e:  # noqa: BLE001 - Reset/SimEnd are BaseExceptions
            if isinstance(e, KeyboardInterrupt):
                raise
            micropython.heap_unlock()  # a test that failed with the heap locked
            gc.enable()
            counts[1] += 1
            print("FAIL %s.%s" % (modname, name))
            sys.print_exception(e)
            continue
        counts[0] += 1
        print("ok   %s.%s" % (modname, name))
    del sys.modules[modname]
    gc.collect()


def main(argv):
    setup_path()
    names = [a[:-3] if a.endswith(".py") else a for a in argv]
    names = [n[n.rfind("/") + 1:] for n in names] or discover()
    counts = [0, 0]
    for n in names:
        run_module(n, counts)
    print("%d passed, %d failed" % (counts[0], counts[1]))
    if counts[1] or not counts[0]:
        sys.exit(1)


main(sys.argv[1:])
