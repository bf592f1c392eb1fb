# Memory figures of the firmware on MicroPython, for `make bench` (simulator/bench_mpy.py):
#
#   micropython -X heapsize=256K tests/mpy/bench_alloc.py [--fw DIR]
#
# prints one JSON object as its last line:
#   heap_after_import_bytes   gc.mem_alloc() after a collection once every pod.* module is
#                             imported, minus the same before (the fake machine/time/neopixel,
#                             built into the ESP32's image, are loaded before the baseline)
#   alloc_bytes_per_tick_steady               bytes per loop iteration that prints no telemetry
#   alloc_bytes_per_tick_avg_incl_telemetry   bytes per iteration, the 1 Hz telemetry included
#   telemetry_bytes_max       the most one telemetry iteration allocated
#   estimator_alloc_per_sample  bytes per IR sample fed to pod.hr.Estimator
# Measured with gc.mem_alloc() around each iteration, the collector off, on the 64-bit unix
# port (objects are about twice their ESP32 size), for a minute of SLEEP and a minute of
# WIND_DOWN on the fake board with an allocation-free sensor model (podfix.QuietSensor).
import gc
import sys

import runner

runner.configure(sys.argv[1:])

import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402, F401 - the board's built-in modules, loaded before the baseline

import machine  # noqa: E402, F401
import mpyenv  # noqa: E402
import neopixel  # noqa: E402, F401
import simstate  # noqa: E402, F401


def _modules(path, pkg, names):
    """Every module under path (sub-packages included, but pod.household: not part of a
    pod's firmware heap unless it is in a household), as dotted names."""
    for f in os.listdir(path):
        if f.endswith(".py") or f.endswith(".mpy"):
            n = f[:f.rfind(".")]
            if n != "__init__":
                names.append(pkg + "." + n)
        elif "." not in f and f != "household" and f != "__pycache__":
            try:
                os.stat(path + "/" + f + "/__init__.py")
            except OSError:
                try:
                    os.stat(path + "/" + f + "/__init__.mpy")
                except OSError:
                    continue
            _modules(path + "/" + f, pkg + "." + f, names)


def heap_after_import():
    names = []
    _modules(mpyenv.FIRMWARE + "/pod", "pod", names)
    names.sort()
    gc.collect()
    base = gc.mem_alloc()
    for n in names:
        __import__(n)
    gc.collect()
    return gc.mem_alloc() - base, len(names)


def estimator_per_sample(n=5000):
    import podfix

    from pod import hr
    q = podfix.QuietSensor(66)
    est = hr.Estimator(25)
    est.add(q._ir(0), q._red(0))
    gc.collect()
    gc.disable()
    try:
        m0 = gc.mem_alloc()
        t = 0
        for _ in range(n):
            t += 40
            est.add(q._ir(t), q._red(t))
        d = gc.mem_alloc() - m0
    finally:
        gc.enable()
    assert est.bpm10() > 0
    return d / n


def loop_alloc():
    import podfix
    progs = (
        {"version": 1, "wind_down": {"minutes": 0}, "wake": {"after_min": 600}},
        {"version": 1, "wind_down": {"minutes": 30, "breaths_per_min": 6, "volume": 20},
         "wake": {"after_min": 600}},
    )
    total = podfix.Alloc()
    podfix.enter_scratch()
    podfix.silence_print(True)
    try:
        for prog in progs:
            b, a = podfix.make_app(prog, sensor=podfix.QuietSensor(60))
            podfix.quiet_outputs(True)
            podfix.start_session(b, a)
            podfix.run_ticks(b, a, 320)
            total.add(podfix.measure_ticks(b, a, 600, lock=False))
            podfix.quiet_outputs(False)
    finally:
        podfix.silence_print(False)
        podfix.leave_scratch()
    return total


def main():
    heap, modules = heap_after_import()
    est = estimator_per_sample()
    res = loop_alloc()
    print(json.dumps({
        "heap_after_import_bytes": heap,
        "firmware_modules": modules,
        "alloc_bytes_per_tick_steady": res.steady_per_tick(),
        "alloc_bytes_per_tick_steady_max": res.steady_max,
        "alloc_bytes_per_tick_avg_incl_telemetry": res.per_tick(),
        "telemetry_bytes_max": res.tel_max,
        "ticks": res.steady + res.tel,
        "estimator_alloc_per_sample": est,
        "micropython": "%d.%d.%d" % sys.implementation.version[:3],
    }))


main()
