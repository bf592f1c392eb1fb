"""`pod-sim hr FILE.csv`: the firmware's own estimator on a recording, one JSON line a second."""
from __future__ import annotations

import csv
import json
from typing import TextIO

from simulator.sim import firmware_module


def run_csv(path: str, out: TextIO) -> int:
    hr = firmware_module("pod.hr")
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header is None or [h.strip() for h in header[:3]] != ["t_ms", "ir", "red"]:
            raise SystemExit("pod-sim hr: %s must start with the header t_ms,ir,red" % path)
        data = [(int(r[0]), int(r[1])) for r in rows if r]
    if len(data) < 2:
        return 0
    span = data[-1][0] - data[0][0]
    fs = max(1, round((len(data) - 1) * 1000 / span)) if span > 0 else 100
    est = hr.Estimator(fs)
    t0 = data[0][0]
    next_s = t0 + 1000
    for t, ir in data:
        while t >= next_s:  # report each second from the samples before it only
            b = est.bpm10()
            out.write(json.dumps({"t_ms": next_s, "bpm": None if b < 0 else b / 10,
                                  "contact": bool(est.contact), "alarm": False}) + "\n")
            next_s += 1000
        est.add(ir)
    return 0
