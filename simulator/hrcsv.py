"""`pod-sim hr FILE.csv`: the firmware's own estimator on a recording, one JSON line a second.

Contract (stable; other tools score it): input CSV with header `t_ms,ir,red`, integer 18-bit
counts at about 100 Hz; output one JSON object per whole second of input, each computed only
from the samples before it: {"t_ms": int, "bpm": float|null, "contact": bool, "alarm": bool}.
"alarm" is the estimator's unsafe-rate verdict for the default band (40-130 bpm held 60 s).
"""
from __future__ import annotations

import csv
import json
from typing import TextIO

from simulator.sim import firmware_module

ALARM_HOLD_MS = 60000  # the default program's hr_hold_s


def read_csv(path: str) -> list[tuple[int, int]]:
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header is None or [h.strip() for h in header[:3]] != ["t_ms", "ir", "red"]:
            raise SystemExit("pod-sim hr: %s must start with the header t_ms,ir,red" % path)
        return [(int(r[0]), int(r[1])) for r in rows if r]


def estimate(data: list[tuple[int, int]]) -> list[dict]:
    """The per-second contract over (t_ms, ir) samples, as `pod-sim hr` prints it."""
    if len(data) < 2:
        return []
    hr = firmware_module("pod.hr")
    span = data[-1][0] - data[0][0]
    fs = max(1, round((len(data) - 1) * 1000 / span)) if span > 0 else 100
    est = hr.Estimator(fs)
    out = []
    next_s = data[0][0] + 1000
    for t, ir in data:
        while t >= next_s:  # report each second from the samples before it only
            b = est.bpm10()
            out.append({"t_ms": next_s, "bpm": None if b < 0 else b / 10,
                        "contact": bool(est.contact),
                        "alarm": bool(est.contact) and est.bad_ms() >= ALARM_HOLD_MS})
            next_s += 1000
        est.add(ir)
    return out


def run_csv(path: str, out: TextIO) -> int:
    for rec in estimate(read_csv(path)):
        out.write(json.dumps(rec) + "\n")
    return 0
