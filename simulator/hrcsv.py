"""`pod-sim hr FILE.csv`: the firmware's own estimator on a recording, one JSON line a second.

Contract (stable; other tools score it): input CSV with header `t_ms,ir,red`, integer 18-bit
counts at about 100 Hz; output one JSON object per whole second of input, each computed only
from the samples before it: {"t_ms": int, "bpm": float|null, "contact": bool, "alarm": bool}.
"alarm" is the estimator's unsafe-rate verdict for the default band (40-130 bpm held 60 s).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TextIO

from simulator.sandbox import firmware_module

ALARM_HOLD_MS = 60000  # the default program's hr_hold_s


def read_csv(path: str) -> list[tuple[int, int, int]]:
    """(t_ms, ir, red) of a t_ms,ir,red recording. ValueError, naming the line, for a file that is
    missing, has no header or no samples, a value that is not a whole number, or rows out of
    time order."""
    try:
        f = open(path, newline="")
    except OSError as e:
        raise ValueError("cannot read %s: %s" % (path, e.strerror)) from None
    with f:
        rows = csv.reader(f)
        try:
            header = next(rows, None)
            if header is None or [h.strip() for h in header[:3]] != ["t_ms", "ir", "red"]:
                raise ValueError("%s must start with the header t_ms,ir,red" % path)
            out: list[tuple[int, int, int]] = []
            for r in rows:
                if not r:
                    continue
                line = rows.line_num
                try:
                    t, ir, red = int(r[0]), int(r[1]), int(r[2])
                except (ValueError, IndexError):
                    raise ValueError("%s line %d: %r: t_ms, ir and red must be whole numbers" % (
                        path, line, ",".join(r))) from None
                if out and t <= out[-1][0]:
                    raise ValueError("%s line %d: t_ms %d does not come after %d: rows must be "
                                     "in time order" % (path, line, t, out[-1][0]))
                out.append((t, ir, red))
        except UnicodeDecodeError:
            raise ValueError("%s is not a text CSV file" % path) from None
    if len(out) < 2:
        raise ValueError("%s has %s after its header: nothing to estimate" % (
            path, "no samples" if not out else "only one sample"))
    return out


def estimate(data: list[tuple[int, int, int]], fw_dir: Path | None = None) -> list[dict]:
    """The per-second contract over (t_ms, ir, red) samples, as `pod-sim hr` prints it.

    fw_dir: another firmware tree to take pod.hr from (the benchmark's "before" column); an
    estimator from before the red channel was used is fed the IR samples only."""
    if len(data) < 2:
        return []
    hr = firmware_module("pod.hr", fw_dir) if fw_dir is not None else firmware_module("pod.hr")
    span = data[-1][0] - data[0][0]
    fs = max(1, round((len(data) - 1) * 1000 / span)) if span > 0 else 100
    est = hr.Estimator(fs)
    two = est.add.__code__.co_argcount >= 3  # add(ir, red)
    out = []
    next_s = data[0][0] + 1000
    for t, ir, red in data:
        while t >= next_s:  # report each second from the samples before it only
            b = est.bpm10()
            out.append({"t_ms": next_s, "bpm": None if b < 0 else b / 10,
                        "contact": bool(est.contact),
                        "alarm": bool(est.contact) and est.bad_ms() >= ALARM_HOLD_MS})
            next_s += 1000
        if two:
            est.add(ir, red)
        else:
            est.add(ir)
    return out


def run_csv(path: str, out: TextIO, err: TextIO | None = None) -> int:
    """The per-second lines on out; then, on err, a one-line summary."""
    recs = estimate(read_csv(path))
    for rec in recs:
        out.write(json.dumps(rec) + "\n")
    if err is not None:
        err.write(summary(recs) + "\n")
    return 0


def summary(recs: list[dict]) -> str:
    """coverage, min/mean/max and alarm seconds of `pod-sim hr`'s lines, for a person."""
    rates = [r["bpm"] for r in recs if r["bpm"] is not None]
    alarms = sum(1 for r in recs if r["alarm"])
    n = len(recs)
    text = "pod-sim hr: %d s, a rate in %d s (%.0f %%)" % (n, len(rates), 100 * len(rates) / max(n, 1))
    if rates:
        text += ", min %.0f / mean %.0f / max %.0f bpm" % (min(rates), sum(rates) / len(rates), max(rates))
    return text + (", alarm in %d s (from %d s)" % (alarms, next(
        r["t_ms"] // 1000 for r in recs if r["alarm"])) if alarms else ", no alarm")


class CsvSource:
    """A recording as the simulated MAX30102's signal source (MAX30102Sim(CsvSource(...))):
    the sensor model asks for samples at its own clock, and gets, for each, the recording's
    sample at or before that time since the recording's start, so the real driver and the
    estimator run on recorded data. Past the end it reads like a sensor with nothing on it.
    Looks like a Sleeper to the simulator: `contact` and `true_hr` (unknown: 0)."""

    def __init__(self, rows: list[tuple[int, int, int]], t0_ms: int = 0):
        self.t = [r[0] - rows[0][0] for r in rows]
        self.ir = [r[1] for r in rows]
        self.red = [r[2] for r in rows]
        self.t0_ms = t0_ms   # simulated time the recording starts at
        self.contact = True
        self.override = 0.0
        self._i = 0

    @classmethod
    def from_file(cls, path: str, t0_ms: int = 0) -> CsvSource:
        with open(path, newline="") as f:
            rows = csv.reader(f)
            header = next(rows, None)
            if header is None or [h.strip() for h in header[:3]] != ["t_ms", "ir", "red"]:
                raise ValueError("%s must start with the header t_ms,ir,red" % path)
            data = [(int(r[0]), int(r[1]), int(r[2])) for r in rows if r]
        return cls(data, t0_ms)

    def true_hr(self, t_ms: int) -> float:
        return 0.0

    def block(self, t0_us: int, per_us: int, n: int) -> tuple[list[int], list[int]]:
        reds = [0] * n
        irs = [0] * n
        t = self.t
        i = self._i
        for j in range(n):
            tm = (t0_us + (j + 1) * per_us) // 1000 - self.t0_ms
            while i + 1 < len(t) and t[i + 1] <= tm:
                i += 1
            if tm < 0 or (i + 1 >= len(t) and tm > t[-1] + 1000):
                reds[j], irs[j] = 900, 1200  # before or after the recording: no skin
            else:
                reds[j], irs[j] = self.red[i], self.ir[i]
        self._i = i
        return reds, irs
