# A tiny test runner for MicroPython (which has no unittest).
#
#   micropython -X heapsize=64K tests/mpy/runner.py [--fw DIR] [--free64k N] [--path DIR]
#                                                    [test_module ...]
#
# Each module is imported and every function named test_* in it is called with no arguments,
# in name order. A test fails if it raises anything (MemoryError included). The last line is
# exactly "N passed, M failed"; the exit status is 1 if any test failed (or none ran).
# With no module names it runs every tests/mpy/test_*.py.
#
#   --fw DIR      import `pod` from DIR (an mpy-cross build of firmware/) instead of firmware/
#   --free64k N   the free heap of a fresh `-X heapsize=64K` VM: the budget the whole-firmware
#                 tests hold the firmware to (see mpyenv.py; they need a bigger VM heap for the
#                 fake board, e.g. -X heapsize=256K)
#   --path DIR    another folder to find test modules in
#
# sys.path: simulator/hw first (its machine.py, neopixel.py and time.py stand in for the
# board's modules), then the firmware (the `pod` package), then this folder. This file must not
# import `time`, `machine` or `neopixel` before sys.path is set. Other scripts here
# (bench_alloc.py) import it and call configure(argv).
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


def setup_path(fw_dir):
    for p in (HERE, fw_dir, HW_DIR):  # each inserted at 0: HW_DIR ends up first
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


def _unlock_heap():
    # heap_unlock() on an unlocked heap underflows the lock depth (and so locks it): lock once,
    # then unlock down to depth 0.
    micropython.heap_lock()
    while micropython.heap_unlock() > 0:
        pass


def run_module(modname, counts):
    try:
        mod = __import__(modname)
    except BaseException as e:  # noqa: BLE001 - a failed import is a failed test
        if isinstance(e, KeyboardInterrupt):
            raise
        _unlock_heap()
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
            _unlock_heap()  # a test may have failed with the heap locked
            gc.enable()
            counts[1] += 1
            print("FAIL %s.%s" % (modname, name))
            sys.print_exception(e)
            continue
        counts[0] += 1
        print("ok   %s.%s" % (modname, name))
    del sys.modules[modname]
    for k in list(sys.modules):  # the next module imports the firmware afresh
        if k == "pod" or k.startswith("pod."):
            del sys.modules[k]
    import mpyenv
    mpyenv.release()  # a whole-firmware module's heap budget ends with it
    gc.collect()


def configure(argv):
    """Set sys.path and mpyenv from the options in argv; returns the other arguments."""
    fw_dir = FIRMWARE_DIR
    free64k = 0
    extra = []
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--fw":
            fw_dir = _abspath(argv[i + 1])
            i += 1
        elif a == "--free64k":
            free64k = int(argv[i + 1])
            i += 1
        elif a == "--path":
            extra.append(_abspath(argv[i + 1]))
            i += 1
        else:
            args.append(a)
        i += 1
    setup_path(fw_dir)
    for p in extra:
        sys.path.append(p)
    import mpyenv
    mpyenv.ROOT = ROOT
    mpyenv.FIRMWARE = fw_dir
    mpyenv.FIRMWARE_SRC = FIRMWARE_DIR
    if free64k:
        mpyenv.FREE_64K = free64k
    return args


def main(argv):
    args = configure(argv)
    names = [a[:-3] if a.endswith(".py") else a for a in args]
    names = [n[n.rfind("/") + 1:] for n in names] or discover()
    counts = [0, 0]
    for n in names:
        run_module(n, counts)
    print("%d passed, %d failed" % (counts[0], counts[1]))
    if counts[1] or not counts[0]:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
