"""Decode the pod's night journal (firmware/pod/journal.py) on the host.

Record on flash: 0xA5, n, type, payload (n bytes, starting with t: u32 LE seconds since
2000-01-01 by the pod's clock), CRC32 of n+type+payload (u32 LE).

decode() trusts only records whose CRC holds. Resync: at a byte that does not start a good
record (a torn write at a power cut, a flipped bit), it moves on one byte at a time to the next
0xA5 that starts a record with a good CRC, and reports the skipped span as a problem. So every
record before damage, and every one after it, is read; nothing inside the damage is.
"""
from __future__ import annotations

import binascii
import csv
import io
import json
import struct
from datetime import datetime, timedelta

from host_tools import fwtables

MAGIC = 0xA5
EPOCH = datetime(2000, 1, 1)

# The firmware's own tables: a reason, state or cause the pod can write is named here too.
STATES = fwtables.states()
REASONS = fwtables.reasons()
RESET_CAUSES = fwtables.reset_causes()
SOURCES = fwtables.program_sources()
TYPES = fwtables.journal_types()
HOWS = fwtables.answer_hows()  # how a person answered a wake
CSV_FIELDS = ("file", "offset", "t", "time", "type", "state", "reason", "cause", "source",
              "failed_boots", "program", "min", "mean", "max", "seconds", "losses",
              "latency_ms", "text", "how")


def _name(table, i):
    return table[i] if 0 <= i < len(table) else "unknown(%d)" % i


def _fields(typ: int, p: bytes) -> dict:
    """The fields of one record's payload after t. Raises struct.error/IndexError if short."""
    if typ == 1:
        return {"cause": RESET_CAUSES.get(p[0], "unknown(%d)" % p[0]), "reason": _name(REASONS, p[1]),
                "source": _name(SOURCES, p[2]), "failed_boots": p[3]}
    if typ == 2:
        return {"program": p.decode("utf-8", "replace")}
    if typ == 3:
        return {"state": _name(STATES, p[0]), "reason": _name(REASONS, p[1])}
    if typ == 4:
        lo, mean, hi = struct.unpack_from("<HHH", p)
        return {"min": lo / 10, "mean": mean / 10, "max": hi / 10, "seconds": p[6], "losses": p[7]}
    if typ == 5:
        return {"contact": "lost" if p[0] == 0 else "back"}
    if typ == 6:
        return {"reason": _name(REASONS, p[0]), "text": p[1:].decode("utf-8", "replace")}
    if typ == 7:
        return {"reason": _name(REASONS, p[0]), "latency_ms": struct.unpack_from("<H", p, 1)[0]}
    if typ == 8:
        return {"how": _name(HOWS, p[0])}
    return {"raw": p.hex()}


def _record_at(data: bytes, i: int):
    """(record dict, length) of a good record starting at i, else None."""
    if data[i] != MAGIC or i + 3 > len(data):
        return None
    n = data[i + 1]
    end = i + 3 + n + 4
    if n < 4 or end > len(data):
        return None
    body = data[i + 1:i + 3 + n]
    (crc,) = struct.unpack_from("<I", data, i + 3 + n)
    if binascii.crc32(body) != crc:
        return None
    typ = data[i + 2]
    (t,) = struct.unpack_from("<I", data, i + 3)
    try:
        fields = _fields(typ, data[i + 7:i + 3 + n])
    except (struct.error, IndexError):
        return None
    rec = {"offset": i, "t": t, "time": (EPOCH + timedelta(seconds=t)).isoformat(),
           "type": TYPES.get(typ, "unknown(%d)" % typ)}
    rec.update(fields)
    return rec, end - i


def decode(data: bytes, name: str = "") -> tuple[list[dict], list[str]]:
    """(records, problems) of one journal file's bytes (or several files' bytes joined in
    order). A problem names the skipped span; its bytes are not trusted."""
    records: list[dict] = []
    problems: list[str] = []
    i = 0
    bad = -1
    where = (name + ": ") if name else ""
    while i < len(data):
        got = _record_at(data, i)
        if got is None:
            if bad < 0:
                bad = i
            i += 1
            continue
        if bad >= 0:
            problems.append("%sbytes %d..%d: corrupt or torn, skipped (%d bytes)" % (
                where, bad, i, i - bad))
            bad = -1
        rec, n = got
        if name:
            rec["file"] = name
        records.append(rec)
        i += n
    if bad >= 0:
        problems.append("%sbytes %d..%d: torn or corrupt at the end, skipped (%d bytes)" % (
            where, bad, len(data), len(data) - bad))
    return records, problems


def decode_files(files: list[tuple[str, bytes]]) -> tuple[list[dict], list[str]]:
    """Decode several journal files, oldest first: (name, bytes) pairs."""
    records: list[dict] = []
    problems: list[str] = []
    for name, data in files:
        r, p = decode(data, name)
        records += r
        problems += p
    return records, problems


def to_jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)


def to_csv(records: list[dict]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in records:
        w.writerow(r)
    return out.getvalue()


def summary(records: list[dict]) -> dict:
    """The last night in the records: when it started, time asleep (in SLEEP), how it ended
    (wake reason and latency), the heart-rate range, and the faults and resets on the way."""
    start = None
    for i, r in enumerate(records):
        if r["type"] == "session":
            start = i
    night = records[start:] if start is not None else records
    out: dict = {"program": None, "start": None, "end": None, "asleep_s": 0,
                 "wake_reason": None, "wake_latency_ms": None, "hr_min": None, "hr_max": None,
                 "hr_mean": None, "faults": [], "resets": [], "contact_losses": 0,
                 "answers": []}
    if start is not None:
        out["program"] = night[0].get("program")
        out["start"] = night[0]["time"]
    sleep_t = None
    hr_sum = hr_n = 0
    prev_t = 0
    for r in night:
        typ = r["type"]
        t_before, prev_t = prev_t, r["t"]
        if typ == "phase":
            if sleep_t is not None:
                out["asleep_s"] += max(0, r["t"] - sleep_t)
                sleep_t = None
            if r["state"] == "SLEEP":
                sleep_t = r["t"]
            if r["state"] in ("IDLE", "AWAKE") and out["end"] is None and out["wake_reason"]:
                out["end"] = r["time"]
        elif typ == "boot":
            out["resets"].append({"time": r["time"], "cause": r["cause"], "verdict": r["reason"]})
            if sleep_t is not None:  # asleep until the last record before the reset
                out["asleep_s"] += max(0, t_before - sleep_t)
                sleep_t = None
        elif typ == "wake" and out["wake_reason"] is None:
            out["wake_reason"] = r["reason"]
            out["wake_latency_ms"] = r["latency_ms"]
        elif typ == "answer":
            out["answers"].append({"time": r["time"], "how": r["how"]})
        elif typ == "fault":
            out["faults"].append({"time": r["time"], "reason": r["reason"], "text": r["text"]})
        elif typ == "hr" and r["seconds"]:
            out["hr_min"] = r["min"] if out["hr_min"] is None else min(out["hr_min"], r["min"])
            out["hr_max"] = r["max"] if out["hr_max"] is None else max(out["hr_max"], r["max"])
            hr_sum += r["mean"] * r["seconds"]
            hr_n += r["seconds"]
            out["contact_losses"] += r["losses"]
    if sleep_t is not None and night:
        out["asleep_s"] += max(0, night[-1]["t"] - sleep_t)
    if hr_n:
        out["hr_mean"] = round(hr_sum / hr_n, 1)
    return out


def format_summary(s: dict) -> str:
    h, m = divmod(s["asleep_s"] // 60, 60)
    lines = ["Night: %s (program %s)" % (s["start"] or "no session recorded",
                                        s["program"] if s["program"] is not None else "-"),
             "Time asleep: %dh%02d" % (h, m)]
    if s["wake_reason"]:
        lines.append("Woke: %s, lights after %d ms" % (s["wake_reason"], s["wake_latency_ms"]))
    else:
        lines.append("Woke: no wake recorded")
    if s.get("answers"):
        lines.append("Answered: " + ", ".join("%s at %s" % (a["how"], a["time"])
                                              for a in s["answers"]))
    elif s["wake_reason"]:
        lines.append("Answered: no answer recorded")
    if s["hr_min"] is not None:
        lines.append("Heart rate: %.0f-%.0f bpm (mean %.0f), %d contact losses" % (
            s["hr_min"], s["hr_max"], s["hr_mean"], s["contact_losses"]))
    else:
        lines.append("Heart rate: no readings")
    if s["faults"]:
        lines.append("Faults: " + "; ".join("%s %s" % (f["reason"], f["text"]) for f in s["faults"]))
    else:
        lines.append("Faults: none")
    if len(s["resets"]) > 0:
        lines.append("Resets: " + ", ".join("%s (%s)" % (r["cause"], r["verdict"])
                                            for r in s["resets"]))
    return "\n".join(lines) + "\n"
