# What the runner knows (where things are) and the ESP32-sized heap budget.
#
# ROOT, FIRMWARE and FREE_64K are set by tests/mpy/runner.py before any test module is imported.
#
# Holding the firmware to an ESP32-sized heap when the fake board shares the VM:
# On the pod, machine, time and neopixel are built into the MicroPython image and take no heap.
# Here they are Python modules (simulator/hw), as are the sensor model and the test itself,
# and together they hold about 30 KB of the VM's heap (the unix port is 64-bit: 32-byte GC
# blocks and 8-byte pointers make everything about twice its ESP32 size). So a whole-firmware
# test runs in a VM with a bigger heap and, once the fake board is loaded, takes a ballast
# that leaves exactly the free heap a `micropython -X heapsize=64K` VM has at the start of a
# script. The firmware then imports, boots and runs in that budget; a MemoryError is real.
import gc

ROOT = "."                    # the repository
FIRMWARE = "./firmware"       # where `pod` is imported from (firmware/, or its .mpy build)
FIRMWARE_SRC = "./firmware"   # boot.py and main.py, always run from source as on the board

# gc.mem_free() at the start of a script in `micropython -X heapsize=64K` (MicroPython 1.29
# unix port). The runner overrides it with --free64k (tests/test_micropython.py measures it).
FREE_64K = 63648

_ballast = []


def limit(free=None):
    """Take heap away until gc.mem_free() is `free` (default FREE_64K), to within a few GC
    blocks (the collector is conservative: a stale pointer on the C stack can keep one alive).
    What stays free is one contiguous run, as in a fresh VM, not the holes that loading the
    fake board left between its objects. Returns the ballast size in bytes.

    Raises RuntimeError if the VM has less than that free to begin with (start it with
    -X heapsize=256K)."""
    if free is None:
        free = FREE_64K
    release()
    gc.collect()
    have = gc.mem_free()
    keep = [None] * 2048
    try:
        reserve = bytearray(free - 64)  # the budget: one run, handed back at the end
    except MemoryError:
        keep = None
        gc.collect()
        raise RuntimeError("the VM heap is too small to hold the fake board and a %d-byte "
                           "budget (%d free): run with -X heapsize=256K" % (free, have))
    # Fill every other free block, biggest pieces first, down to single GC blocks.
    n = 0
    size = 65536
    while size >= 16 and n < len(keep):
        try:
            keep[n] = bytearray(size) if size > 16 else n + 0.5  # a float: one GC block
            n += 1
        except MemoryError:
            size >>= 1
    _ballast.append(keep)
    del reserve
    gc.collect()
    while gc.mem_free() > free + 32 and len(_ballast) < 200:
        _ballast.append(bytearray(8))
        gc.collect()
    return have - gc.mem_free()


def release():
    while _ballast:
        _ballast.pop()
    gc.collect()
