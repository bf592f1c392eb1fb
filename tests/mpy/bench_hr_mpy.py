# The heart-rate estimator's cost on MicroPython, for `make bench-hr` (not a test: no test_ name).
#
#   micropython -X heapsize=512K tests/mpy/bench_hr_mpy.py [--fw DIR]
#
# Prints one JSON line: bytes allocated per sample (collector off, gc.mem_alloc before and
# after) and CPU microseconds per second of signal, for the pod's path (25 Hz FIFO samples fed
# in blocks of 10 with Estimator.feed, a rate read once a second) and for a 100 Hz recording
# fed sample by sample with Estimator.add (the `pod-sim hr` path).
import gc
import sys
import time  # the real clock: imported before runner puts the fake board's time.py first

import runner

runner.configure(sys.argv[1:])

import json  # noqa: E402
from array import array  # noqa: E402

from sleeper import Sleeper  # noqa: E402

from pod import hr  # noqa: E402

SECONDS = 120


def signal(fs):
    gc.collect()  # the last run's arrays
    s = Sleeper(3)
    per = 1000 // fs
    a = array("i", [0] * (SECONDS * fs))
    r = array("i", [0] * (SECONDS * fs))
    t = 0
    for i in range(len(a)):
        t += per
        r[i], a[i] = s.sample(t)
    return a, r


def run(ar, fs, block):
    a, r = ar
    est = hr.Estimator(fs)
    buf = array("i", [0] * 32)
    buf_r = array("i", [0] * 32)
    n = len(a)
    gc.collect()
    gc.disable()
    m0 = gc.mem_alloc()
    t0 = time.ticks_us()
    i = 0
    while i < n:
        if block > 1:
            k = block if n - i >= block else n - i
            for j in range(k):
                buf[j] = a[i + j]
                buf_r[j] = r[i + j]
            est.feed(buf, buf_r, k)
        else:
            k = 1
            est.add(a[i], r[i])
        i += k
        if i % fs < k:
            est.bpm10()
    us = time.ticks_diff(time.ticks_us(), t0)
    d = gc.mem_alloc() - m0
    gc.enable()
    assert est.bpm10() > 0
    return d / n, us / SECONDS


pod_alloc, pod_us = run(signal(25), 25, 10)
csv_alloc, csv_us = run(signal(100), 100, 1)
print(json.dumps({"alloc_bytes_per_sample_pod": pod_alloc, "cpu_us_per_signal_s_pod": pod_us,
                  "alloc_bytes_per_sample_100hz_add": csv_alloc,
                  "cpu_us_per_signal_s_100hz_add": csv_us,
                  "micropython": "%d.%d.%d" % sys.implementation.version[:3]}))
