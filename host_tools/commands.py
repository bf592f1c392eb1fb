"""The podctl commands that talk to a pod: status, wake, ack, start, stop, reset, maintenance,
time, programs, logs and settings; and the helpers every podctl command shares (which port, how
to connect, how a reply is printed). The parser (host_tools.cli) maps each command line to one
of the cmd_* functions here, in host_tools.monitor_view (monitor) or in host_tools.deploy_run
(flash, deploy).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from host_tools import journal, podfiles
from host_tools.clikit import UsageError
from host_tools.transport import (
    NotAnswering,
    Transport,
    ValidationFailed,
    list_pod_ports,
)


def port_of(a: argparse.Namespace) -> str | None:
    return a.port or os.environ.get("PODCTL_PORT") or None


def port_or_find(a: argparse.Namespace) -> str:
    """The port given, else the one likely pod (a placeholder for --dry-run)."""
    port = port_of(a)
    if port is None:
        from host_tools.transport import find_port
        port = "PORT" if a.dry_run else find_port()
    return port


def connect(a: argparse.Namespace, **kw) -> Transport:
    return Transport.connect(port_of(a), timeout=a.timeout, **kw)


def print_reply(a: argparse.Namespace, reply: dict, text: str) -> None:
    if a.json:
        print(json.dumps({k: v for k, v in reply.items() if k != "id"}))
    else:
        print(text)


# -- simple commands ----------------------------------------------------------------------
def cmd_ports(a: argparse.Namespace) -> int:
    ports = list_pod_ports()
    if a.json:
        print(json.dumps([{"device": p.device, "vid": p.vid, "pid": p.pid,
                           "description": p.description, "likely_pod": bridge} for p, bridge in ports]))
        return 0
    if not ports:
        print("no serial ports found (a pod on USB shows up as /dev/ttyUSB*, /dev/ttyACM* or "
              "/dev/cu.*; check the cable carries data)")
        return 0
    for p, bridge in ports:
        ids = "%04x:%04x" % (p.vid, p.pid) if p.vid is not None and p.pid is not None else "-"
        mark = "likely pod (%s)" % bridge if bridge else ""
        print("%-22s %-10s %-40s %s" % (p.device, ids, (p.description or "")[:40], mark))
    return 0


def pct(value: object, full: int) -> str:
    """A raw level as a percent of full, for people ("--" if the pod did not say)."""
    return "%d %%" % round(value * 100 / full) if isinstance(value, (int, float)) else "--"


def describe_status(r: dict) -> str:
    """One line a person reads: percent for light and volume, bpm, seconds and minutes."""
    bpm = r.get("bpm")
    up_s = (r.get("up") or 0) / 1000
    rgb = tuple(r.get("rgb") or ())
    return ("%s%s  strip %s rgb%s, white LED %s  sound %s  heart %s (%s, sensor %s)  "
            "up %s  last reset %s  free heap %s B" % (
                r.get("state"), "" if r.get("reason") in (None, "none") else " (%s)" % r.get("reason"),
                pct(max(rgb), 255) if rgb else "--", rgb, pct(r.get("white"), 65535),
                "off" if not r.get("tone") else "%s at %s Hz" % (pct(r.get("vol"), 1000), r.get("tone")),
                "%.0f bpm" % bpm if isinstance(bpm, (int, float)) else "--",
                "contact" if r.get("contact") else "no contact", r.get("sensor"),
                "%.0f s" % up_s if up_s < 120 else "%d min" % (up_s // 60), r.get("rc"), r.get("mem")))


def cmd_status(a: argparse.Namespace) -> int:
    with connect(a) as t:
        r = t.request("status")
        info = t.info
    if a.json:
        print(json.dumps({"pod": info.get("pod"), "fw": info.get("fw"),
                          **{k: v for k, v in r.items() if k not in ("id", "ok")}}))
    else:
        print("pod %s, firmware %s, on %s" % (info.get("pod"), info.get("fw"), t.port))
        print(describe_status(r))
    return 0


def core_cmd(name: str):
    def run(a: argparse.Namespace) -> int:
        with connect(a) as t:
            t0 = time.monotonic()
            r = t.request(name)
            ms = (time.monotonic() - t0) * 1000
        print_reply(a, {**r, "round_trip_ms": round(ms, 1)},
             "%s: ok, the pod is %s (answered in %.0f ms)" % (name, r.get("state"), ms))
        return 0
    return run


def cmd_reset(a: argparse.Namespace) -> int:
    with connect(a) as t:
        r = t.request("reset")
    print_reply(a, r, "reset: the pod is restarting (a deliberate reset: no alarm)")
    return 0


MAINTENANCE_HINT = (
    "The pod firmware is not running, so podctl's commands get no answer until the pod leaves "
    "maintenance. Give mpremote `resume`, so it does not soft-reset the board (a soft reset "
    "reruns boot.py, which arms the watchdog in the middle of a copy): `mpremote connect {p} "
    "resume repl`, `mpremote connect {p} resume fs ls`. To leave: `mpremote connect {p} resume "
    "reset`, or the EN button; if nobody does, the pod resets itself after 10 minutes.")


def cmd_maintenance(a: argparse.Namespace) -> int:
    port = enter_maintenance(a)
    print_reply(a, {"ok": True, "maintenance": True, "port": port, "resets_itself_after_min": 10},
         "maintenance: the pod on %s is at a plain REPL without the watchdog, for this boot "
         "only.\n%s" % (port, MAINTENANCE_HINT.format(p=port)))
    return 0


def enter_maintenance(a: argparse.Namespace, wait_s: float = 15.0) -> str:
    """Ask for a maintenance boot and wait until the pod says it is in one."""
    seen: list[bool] = []

    def on_line(msg, now):
        if msg is not None and msg.get("ev") == "maintenance":
            seen.append(True)
            return True
        return None

    with connect(a) as t:
        t.request("maintenance")
        t.listen(wait_s, on_line)
        port = t.port
    if not seen:
        raise NotAnswering("the pod accepted `maintenance` but did not report a maintenance boot "
                           "within %.0f s: check it with `podctl monitor`" % wait_s)
    return port


def cmd_time(a: argparse.Namespace) -> int:
    with connect(a) as t:
        if a.op == "sync":
            now = dt.datetime.now()
            now = (now + dt.timedelta(seconds=0.5)).replace(microsecond=0)  # to the nearest second
            r = t.request("time", op="set", datetime=[now.year, now.month, now.day, now.hour,
                                                       now.minute, now.second])
        else:
            r = t.request("time", op="get")
    d = r.get("datetime") or []
    shown = "%04d-%02d-%02d %02d:%02d:%02d" % tuple(d) if len(d) == 6 else str(d)
    if a.op == "sync":
        print_reply(a, r, "time sync: the pod's clock is now %s (local time of this computer)" % shown)
    else:
        print_reply(a, r, "the pod's clock: %s%s" % (shown, "" if r.get("set") else
                                               " (never set since power-on: run `podctl time sync`)"))
    return 0


# -- programs and logs ----------------------------------------------------------------------
def cmd_program_check(a: argparse.Namespace) -> int:
    prog, data = podfiles.load_program_file(a.file)
    print_reply(a, {"ok": True, "file": a.file, "name": prog.get("name", ""), "size": len(data)},
         "%s: a valid sleep program (%r, %d bytes to upload)" % (a.file, prog.get("name", ""), len(data)))
    return 0


SOURCES = {"file": "the program uploaded last (program.json)",
           "previous": "the program before it (program.bak): the last upload's file failed its check",
           "default": "the built-in default (no program stored, or none passed its check)"}


def cmd_program_info(a: argparse.Namespace) -> int:
    with connect(a) as t:
        r = t.request("program", op="info")
    src = r.get("source")
    print_reply(a, r, "program info: %r, %s bytes, CRC32 %08x; running from %s" % (
        r.get("name"), r.get("size"), r.get("crc") or 0, SOURCES.get(str(src), repr(src))))
    return 0


class Bars:
    """Progress bars for long transfers (rich, on stderr): bytes, rate and time left. Shown only
    on a terminal (or with force=True); elsewhere the transfer is silent."""

    def __init__(self, force: bool | None = None, console=None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        on = sys.stderr.isatty() if force is None else force
        self.progress = Progress(TextColumn("{task.description:<18}"), BarColumn(bar_width=30),
                                 DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                                 console=console or Console(stderr=True), disable=not on)
        self.tasks: dict[str, object] = {}

    def __enter__(self) -> Bars:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def update(self, label: str, done: int, total: int) -> None:
        tid = self.tasks.get(label)
        if tid is None:
            tid = self.tasks[label] = self.progress.add_task(label, total=total)
        self.progress.update(tid, completed=done, total=total)  # pyright: ignore[reportArgumentType]

    def one(self, label: str):
        """A (done, total) callback for one transfer."""
        return lambda done, total: self.update(label, done, total)


def cmd_program_push(a: argparse.Namespace) -> int:
    prog, data = podfiles.load_program_file(a.file)
    with connect(a) as t:
        t0 = time.monotonic()
        with Bars() as bars:
            r = podfiles.push_program(t, data, bars.one("uploading"))
        s = time.monotonic() - t0
    print_reply(a, {**r, "size": len(data), "seconds": round(s, 2), "crc": podfiles.crc32(data)},
         "program push: %r is stored on the pod (%d bytes in %.1f s, CRC32 %08x); it takes "
         "effect from the next night" % (r.get("name", prog.get("name")), len(data), s, podfiles.crc32(data)))
    return 0


def cmd_program_pull(a: argparse.Namespace) -> int:
    with connect(a) as t:
        with Bars() as bars:
            info, data = podfiles.pull_program(t, bars.one("reading program"))
    if a.out:
        Path(a.out).write_bytes(data)
        print("program pull: %r (%s, %d bytes) written to %s" % (info.get("name"), info.get("source"), len(data), a.out))
    else:
        try:
            print(json.dumps(json.loads(data), indent=2))
        except ValueError:
            sys.stdout.write(data.decode("utf-8", "replace"))
    return 0


def decode_logs(out: Path, paths: list[Path]) -> str:
    """Decode pulled journal files (host_tools.journal) into journal.jsonl and journal.csv
    beside the raw files; returns the night's summary, with any damaged spans listed (they are
    reported and skipped, never trusted)."""
    records, problems = journal.decode_files([(p.name, p.read_bytes()) for p in paths])
    (out / "journal.jsonl").write_text(journal.to_jsonl(records))
    (out / "journal.csv").write_text(journal.to_csv(records))
    text = "%d record(s) -> %s, %s\n%s" % (
        len(records), out / "journal.jsonl", out / "journal.csv",
        journal.format_summary(journal.summary(records)))
    if problems:
        text += "\n%d damaged span(s), skipped:\n  %s" % (len(problems), "\n  ".join(problems))
    return text


def cmd_logs_pull(a: argparse.Namespace) -> int:
    out = Path(a.out)
    if out.exists() and not out.is_dir():
        raise UsageError("--out %s is a file: give a folder (it is made if missing)" % out)
    with connect(a) as t:
        with Bars() as bars:
            paths = podfiles.pull_logs(t, out, bars.update)
    total = sum(p.stat().st_size for p in paths)
    text = decode_logs(out, paths)
    print_reply(a, {"ok": True, "files": [p.name for p in paths], "bytes": total, "folder": str(out)},
         "logs pull: %d file(s), %d bytes, saved raw in %s\n%s" % (len(paths), total, out, text))
    return 0


CONFIG_UNITS = {  # a setting's raw value as a person reads it
    "wake_level": lambda v: "%s of full light, perceived" % pct(v, 1000),
    "cap_min": lambda v: "%d h %02d min: the longest a night can run" % (v // 60, v % 60)
    if isinstance(v, int) else str(v),
    "hr_low": lambda v: "%s bpm: the lowest safe heart rate" % v,
    "hr_high": lambda v: "%s bpm: the highest safe heart rate" % v,
}


def show_config(a: argparse.Namespace, cfg: dict, head: str) -> None:
    """The settings in human units (the JSON keeps the raw fields)."""
    if a.json:
        print(json.dumps(cfg))
    else:
        print(head)
        for k, v in cfg.items():
            shown = CONFIG_UNITS[k](v) if k in CONFIG_UNITS else json.dumps(v)
            print("  %-10s %-6s %s" % (k, json.dumps(v), "" if k not in CONFIG_UNITS else "(%s)" % shown))


def cmd_config_get(a: argparse.Namespace) -> int:
    with connect(a) as t:
        cfg = podfiles.get_config(t)
    show_config(a, cfg, "config: the pod's settings")
    return 0


APPLIES = {"wake_level": "at once", "cap_min": "at once (a night under way included)",
           "pod_name": "at once", "hr_low": "from the next night (with the program)",
           "hr_high": "from the next night (with the program)"}


def describe_changes(before: dict, after: dict) -> list[str]:
    """What a config set changed, in human units, and when each change applies."""
    lines = []
    for k in after:
        if before.get(k) == after[k]:
            continue
        unit = CONFIG_UNITS.get(k)
        was = json.dumps(before.get(k)) if k in before else "unset"
        shown = " (%s)" % unit(after[k]) if unit else ""
        lines.append("  %s: %s -> %s%s; applies %s" % (k, was, json.dumps(after[k]), shown,
                                                       APPLIES.get(k, "at once")))
    return lines


def cmd_config_set(a: argparse.Namespace) -> int:
    try:
        changes = podfiles.parse_settings(a.pairs)
    except ValueError as e:
        raise UsageError("config set: %s" % e) from None
    errs = podfiles.check_settings(changes)  # before looking for a pod
    if errs:
        raise ValidationFailed("the settings change", errs)
    with connect(a) as t:
        before = podfiles.get_config(t)
        cfg = podfiles.set_config(t, changes)
    if a.json:
        print(json.dumps({"ok": True, "before": before, "config": cfg,
                          "changed": sorted(k for k in cfg if before.get(k) != cfg[k])}))
        return 0
    lines = describe_changes(before, cfg)
    print("config set: stored on the pod; %s" % ("changed:" if lines else "nothing changed (the "
                                                  "pod already had these values)"))
    for ln in lines:
        print(ln)
    return 0
