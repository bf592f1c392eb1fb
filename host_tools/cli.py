"""podctl: flash, deploy, watch and command a bedtime pod over its USB serial port.

Works the same against a real pod and against `pod-sim serve` (give --port the path it prints).
When the pod refuses a command, podctl says why.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from host_tools import clikit, journal, podfiles
from host_tools import deploy as dep
from host_tools.clikit import UsageError
from host_tools.transport import (
    CommandFailed,
    NotAnswering,
    PodError,
    ProtocolMismatch,
    Transport,
    ValidationFailed,
    list_pod_ports,
)

QUIET_S = 3.0  # monitor: the pod is "quiet" after this long without a line
EVENTS = 12    # monitor: entries kept in its scrolling event log


def _err(msg: str) -> None:
    print("podctl: %s" % msg, file=sys.stderr)


def _port(a: argparse.Namespace) -> str | None:
    return a.port or os.environ.get("PODCTL_PORT") or None


def _port_or_find(a: argparse.Namespace) -> str:
    """The port given, else the one likely pod (a placeholder for --dry-run)."""
    port = _port(a)
    if port is None:
        from host_tools.transport import find_port
        port = "PORT" if a.dry_run else find_port()
    return port


def _connect(a: argparse.Namespace, **kw) -> Transport:
    return Transport.connect(_port(a), timeout=a.timeout, **kw)


def _out(a: argparse.Namespace, reply: dict, text: str) -> None:
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
    with _connect(a) as t:
        r = t.request("status")
        info = t.info
    if a.json:
        print(json.dumps({"pod": info.get("pod"), "fw": info.get("fw"),
                          **{k: v for k, v in r.items() if k not in ("id", "ok")}}))
    else:
        print("pod %s, firmware %s, on %s" % (info.get("pod"), info.get("fw"), t.port))
        print(describe_status(r))
    return 0


def _core_cmd(name: str):
    def run(a: argparse.Namespace) -> int:
        with _connect(a) as t:
            t0 = time.monotonic()
            r = t.request(name)
            ms = (time.monotonic() - t0) * 1000
        _out(a, {**r, "round_trip_ms": round(ms, 1)},
             "%s: ok, the pod is %s (answered in %.0f ms)" % (name, r.get("state"), ms))
        return 0
    return run


def cmd_reset(a: argparse.Namespace) -> int:
    with _connect(a) as t:
        r = t.request("reset")
    _out(a, r, "reset: the pod is restarting (a deliberate reset: no alarm)")
    return 0


MAINTENANCE_HINT = (
    "The pod firmware is not running, so podctl's commands get no answer until the pod leaves "
    "maintenance. Give mpremote `resume`, so it does not soft-reset the board (a soft reset "
    "reruns boot.py, which arms the watchdog in the middle of a copy): `mpremote connect {p} "
    "resume repl`, `mpremote connect {p} resume fs ls`. To leave: `mpremote connect {p} resume "
    "reset`, or the EN button; if nobody does, the pod resets itself after 10 minutes.")


def cmd_maintenance(a: argparse.Namespace) -> int:
    port = enter_maintenance(a)
    _out(a, {"ok": True, "maintenance": True, "port": port, "resets_itself_after_min": 10},
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

    with _connect(a) as t:
        t.request("maintenance")
        t.listen(wait_s, on_line)
        port = t.port
    if not seen:
        raise NotAnswering("the pod accepted `maintenance` but did not report a maintenance boot "
                           "within %.0f s: check it with `podctl monitor`" % wait_s)
    return port


def cmd_time(a: argparse.Namespace) -> int:
    with _connect(a) as t:
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
        _out(a, r, "time sync: the pod's clock is now %s (local time of this computer)" % shown)
    else:
        _out(a, r, "the pod's clock: %s%s" % (shown, "" if r.get("set") else
                                               " (never set since power-on: run `podctl time sync`)"))
    return 0


# -- monitor --------------------------------------------------------------------------------
class Monitor:
    """Keeps the latest telemetry and recent events, and notices silence."""

    def __init__(self, quiet_s: float = QUIET_S):
        self.quiet_s = quiet_s
        self.tel: dict = {}
        self.events: list[str] = []
        self.last = time.monotonic()
        self.quiet = False
        self.lines = 0

    def note(self, text: str) -> None:
        """An entry in the scrolling event log (the last EVENTS kept)."""
        self.events = (self.events + ["%s %s" % (time.strftime("%H:%M:%S"), text)])[-EVENTS:]

    def command(self, t: Transport, cmd: str) -> str:
        """Send wake or ack from inside the monitor (keys w and a); the pod's answer, or why it
        refused, goes into the event log."""
        try:
            r = t.request(cmd)
            text = "you sent %s: done, the pod is %s" % (cmd, r.get("state"))
        except CommandFailed as e:
            text = "you sent %s: refused, %s" % (cmd, e.pod_message)
        except NotAnswering as e:
            text = "you sent %s: no answer (%s)" % (cmd, str(e).split(":")[0])
        self.note(text)
        return text

    def update(self, msg: dict | None, now: float) -> str | None:
        """Feed a line (or None for silence); returns a notice for plain output, if any."""
        if msg is None:
            if not self.quiet and now - self.last > self.quiet_s:
                self.quiet = True
                return ("pod quiet: no line for %.0f s (unplugged, reset, stuck, or in "
                        "maintenance?); waiting" % (now - self.last))
            return None
        self.last = now
        self.lines += 1
        notice = None
        if self.quiet:
            self.quiet = False
            notice = "pod speaking again"
        if msg.get("t") == "tel":
            self.tel = msg
        elif msg.get("t") == "evt":
            text = "%s%s" % (msg.get("ev"), " -> %s" % msg.get("state") if msg.get("state") else "")
            if msg.get("reason") not in (None, "none"):
                text += " (%s)" % msg.get("reason")
            self.note(text)
        return notice

    def render(self):
        from rich.panel import Panel
        from rich.table import Table
        t = Table.grid(padding=(0, 2))
        t.add_column(style="bold")
        t.add_column()
        tel = self.tel
        if tel:
            r, g, b = (tel.get("rgb") or [0, 0, 0])[:3]
            bpm = tel.get("bpm")
            t.add_row("state", "%s%s" % (tel.get("state"), "" if tel.get("reason") in (None, "none")
                                         else "  (%s)" % tel.get("reason")))
            t.add_row("light", "[on rgb(%d,%d,%d)]      [/] rgb(%d,%d,%d)  white LED %s" % (
                r, g, b, r, g, b, pct(tel.get("white"), 65535)))
            t.add_row("sound", "off" if not tel.get("tone") else "%s Hz at %s volume" % (
                tel.get("tone"), pct(tel.get("vol"), 1000)))
            t.add_row("heart", "%s  (%s, quality %s, sensor %s)" % (
                "%.0f bpm" % bpm if isinstance(bpm, (int, float)) else "--",
                "contact" if tel.get("contact") else "no contact", tel.get("q"), tel.get("sensor")))
            up = (tel.get("up") or 0) / 1000
            t.add_row("up", "%s  (last reset: %s, free heap %s B)" % (
                "%.0f s" % up if up < 120 else "%d min" % (up // 60), tel.get("rc"), tel.get("mem")))
        else:
            t.add_row("", "waiting for telemetry...")
        for e in self.events:
            t.add_row("event", e)
        if self.quiet:
            t.add_row("[red]link[/]", "[red]pod quiet for %.0f s: unplugged, reset, stuck, or in "
                      "maintenance?[/]" % (time.monotonic() - self.last))
        return Panel(t, title="bedtime pod", subtitle="w: send wake  a: send ack  Ctrl-C: quit")


def cmd_monitor(a: argparse.Namespace) -> int:
    mon = Monitor()
    plain = a.plain or a.json or not sys.stdout.isatty()
    with _connect(a, hello=False) as t:
        mon.last = time.monotonic()
        if plain:
            def on_line(msg, now):
                note = mon.update(msg, now)
                if a.json:  # the pod's own lines, and the monitor's notices as objects
                    if note:
                        print(json.dumps({"t": "notice", "text": note}), flush=True)
                    if msg is not None and msg.get("t") in ("tel", "evt"):
                        print(json.dumps(msg), flush=True)
                    return None
                if note:
                    print(note, flush=True)
                if msg is not None and msg.get("t") in ("tel", "evt"):
                    if msg.get("t") == "tel":
                        print(describe_status(msg), flush=True)
                    else:
                        print(mon.events[-1], flush=True)
                return None
            try:
                t.listen(a.seconds, on_line)
            except KeyboardInterrupt:
                pass
        else:
            from rich.live import Live
            keys = _Keys()
            with keys, Live(mon.render(), refresh_per_second=4, transient=False) as live:
                def on_live(msg, now):
                    mon.update(msg, now)
                    for k in keys.read():
                        if k in ("w", "a"):
                            mon.command(t, "wake" if k == "w" else "ack")
                    live.update(mon.render())
                    return None
                try:
                    t.listen(a.seconds, on_live)
                except KeyboardInterrupt:
                    pass
    return 0


class _Keys:
    """Single keys from the terminal while the monitor runs (cbreak mode, restored after);
    nothing when stdin is not a terminal."""

    def __init__(self):
        self.fd = sys.stdin.fileno() if sys.stdin.isatty() else None
        self.saved = None

    def __enter__(self):
        if self.fd is not None:
            import termios
            import tty
            self.saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc):
        if self.fd is not None and self.saved is not None:
            import termios
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def read(self) -> str:
        if self.fd is None:
            return ""
        import select
        if not select.select([self.fd], [], [], 0)[0]:
            return ""
        return os.read(self.fd, 16).decode(errors="ignore")


# -- programs and logs ----------------------------------------------------------------------
def cmd_program_check(a: argparse.Namespace) -> int:
    prog, data = podfiles.load_program_file(a.file)
    _out(a, {"ok": True, "file": a.file, "name": prog.get("name", ""), "size": len(data)},
         "%s: a valid sleep program (%r, %d bytes to upload)" % (a.file, prog.get("name", ""), len(data)))
    return 0


SOURCES = {"file": "the program uploaded last (program.json)",
           "previous": "the program before it (program.bak): the last upload's file failed its check",
           "default": "the built-in default (no program stored, or none passed its check)"}


def cmd_program_info(a: argparse.Namespace) -> int:
    with _connect(a) as t:
        r = t.request("program", op="info")
    src = r.get("source")
    _out(a, r, "program info: %r, %s bytes, CRC32 %08x; running from %s" % (
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
    with _connect(a) as t:
        t0 = time.monotonic()
        with Bars() as bars:
            r = podfiles.push_program(t, data, bars.one("uploading"))
        s = time.monotonic() - t0
    _out(a, {**r, "size": len(data), "seconds": round(s, 2), "crc": podfiles.crc32(data)},
         "program push: %r is stored on the pod (%d bytes in %.1f s, CRC32 %08x); it takes "
         "effect from the next night" % (r.get("name", prog.get("name")), len(data), s, podfiles.crc32(data)))
    return 0


def cmd_program_pull(a: argparse.Namespace) -> int:
    with _connect(a) as t:
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
    with _connect(a) as t:
        with Bars() as bars:
            paths = podfiles.pull_logs(t, out, bars.update)
    total = sum(p.stat().st_size for p in paths)
    text = decode_logs(out, paths)
    _out(a, {"ok": True, "files": [p.name for p in paths], "bytes": total, "folder": str(out)},
         "logs pull: %d file(s), %d bytes, saved raw in %s\n%s" % (len(paths), total, out, text))
    return 0


CONFIG_UNITS = {  # a setting's raw value as a person reads it
    "wake_level": lambda v: "%s of full light, perceived" % pct(v, 1000),
    "cap_min": lambda v: "%d h %02d min: the longest a night can run" % (v // 60, v % 60)
    if isinstance(v, int) else str(v),
    "hr_low": lambda v: "%s bpm: the lowest safe heart rate" % v,
    "hr_high": lambda v: "%s bpm: the highest safe heart rate" % v,
}


def _show_config(a: argparse.Namespace, cfg: dict, head: str) -> None:
    """The settings in human units (the JSON keeps the raw fields)."""
    if a.json:
        print(json.dumps(cfg))
    else:
        print(head)
        for k, v in cfg.items():
            shown = CONFIG_UNITS[k](v) if k in CONFIG_UNITS else json.dumps(v)
            print("  %-10s %-6s %s" % (k, json.dumps(v), "" if k not in CONFIG_UNITS else "(%s)" % shown))


def cmd_config_get(a: argparse.Namespace) -> int:
    with _connect(a) as t:
        cfg = podfiles.get_config(t)
    _show_config(a, cfg, "config: the pod's settings")
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
    with _connect(a) as t:
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


# -- flash and deploy -----------------------------------------------------------------------
def _run(cmd: list[str], capture: bool = False) -> subprocess.CompletedProcess:
    try:
        p = subprocess.run(cmd, capture_output=capture, text=True)
    except FileNotFoundError:
        raise PodError("%s is not installed: run `make venv`" % cmd[0]) from None
    if p.returncode != 0:
        detail = ((p.stderr or "") + (p.stdout or "")).strip().splitlines()[-3:] if capture else []
        raise PodError("this step failed (exit %d): %s%s" % (p.returncode, dep.show(cmd[:6]) + " ...",
                                                             "\n  " + "\n  ".join(detail) if detail else ""))
    return p


def cmd_flash(a: argparse.Namespace) -> int:
    if not Path(a.firmware).is_file():
        raise UsageError("no firmware file %s: download ESP32_GENERIC-*.bin from "
                         "https://micropython.org/download/ESP32_GENERIC/" % a.firmware)
    port = _port_or_find(a)
    try:
        cmds = dep.flash_commands(port, a.firmware, a.chip)
    except ValueError as e:
        raise PodError(str(e)) from None
    if a.dry_run:
        for c in cmds:
            print(dep.show(c))
        return 0
    if not a.yes:
        _ask_before_erasing(a, port)
    for c in cmds:
        print("$ " + dep.show(c), flush=True)
        _run(c)
    print("flash: MicroPython is on the board. Next: `podctl deploy --port %s`" % port)
    return 0


def _dry_run_stale(port: str, names: list[str]) -> None:
    """Lists the board's firmware files (read-only) to show what a deploy would remove."""
    listing = dep.list_command(port)
    print(dep.show(listing))
    if port == "PORT":
        print("# stale files: give --port to list the pod's files")
        return
    try:
        on_pod = dep.parse_listing(_run(listing, capture=True).stdout or "")
    except PodError:
        print("# stale files: unknown, the pod's files can be listed only at a REPL: on a fresh "
              "board, or after `podctl maintenance` (then run this dry run again)")
        return
    stale = dep.stale_files(on_pod, names)
    if not stale:
        print("# stale files: none (%d firmware files on the pod)" % len(on_pod))
        return
    print("# stale files on the pod, removed after the copy: %s" % ", ".join(stale))
    print(dep.show(dep.remove_command(port, stale)))


def _ask_before_erasing(a: argparse.Namespace, port: str) -> None:
    """A board that answers as a pod with a night (or an alarm, or a wake) under way is not
    erased without a yes: on a person's terminal podctl asks, elsewhere it refuses."""
    try:
        with Transport.connect(port, timeout=min(a.timeout, 2.0)) as t:
            st = t.request("status", retries=0)
    except PodError:
        return  # no pod firmware answering (a new board, a bare REPL): nothing to lose
    state = st.get("state")
    if state in (None, "IDLE") or (state == "AWAKE" and st.get("reason") in ("button", "none")):
        return
    q = "the pod on %s is in %s (%s): a night may be under way. Erase it anyway?" % (
        port, state, st.get("reason"))
    if sys.stdin.isatty() and not a.json:
        if input("%s [y/N] " % q).strip().lower() in ("y", "yes"):
            return
    raise PodError("flash: not erasing: %s Give --yes to erase it all the same" % q.replace(
        " Erase it anyway?", ""))


def cmd_deploy(a: argparse.Namespace) -> int:
    port = _port_or_find(a)
    build = Path(a.build)
    compile_cmds = dep.compile_commands(build)
    names = [str(dep.target_name(r)) for r in dep.firmware_files()]
    copy_cmds = dep.copy_commands(port, build)
    verify = dep.verify_command(port, names)
    reset = dep.reset_command(port)
    if a.dry_run:
        print("# build %s: compile firmware/pod/*.py, copy boot.py and main.py as they are" % build)
        for c in compile_cmds:
            print(dep.show(c))
        for n in dep.KEEP_SOURCE:
            print(dep.show(["cp", str(dep.FIRMWARE_DIR / n), str(build / n)]))
        print('# podctl: send {"cmd":"maintenance"} on %s and wait for the maintenance boot '
              "(no watchdog); skipped if the pod firmware does not answer (a fresh board)" % port)
        for c in copy_cmds:
            print(dep.show(c))
        _dry_run_stale(port, names)
        for c in [verify, reset]:
            print(dep.show(c))
        return 0
    if build.exists():
        shutil.rmtree(build)
    (build / "pod").mkdir(parents=True)
    for c in compile_cmds:
        _run(c, capture=True)
    for n in dep.KEEP_SOURCE:
        shutil.copy2(dep.FIRMWARE_DIR / n, build / n)
    print("deploy: compiled %d modules into %s" % (len(compile_cmds), build), flush=True)
    a.port = port
    try:
        enter_maintenance(a)
        print("deploy: the pod is in maintenance (no watchdog)", flush=True)
    except (NotAnswering, ProtocolMismatch):
        print("deploy: the pod firmware does not answer: assuming a plain MicroPython REPL "
              "(a freshly flashed board)", flush=True)
    except CommandFailed as e:
        raise PodError("the pod refused maintenance: %s. Deploy when no night or alarm is under "
                       "way (acknowledge or stop it first)" % e.pod_message) from None
    try:
        stale = dep.stale_files(dep.parse_listing(_run(dep.list_command(port), capture=True).stdout or ""),
                                names)
        for c in copy_cmds:
            _run(c)
        if stale:
            _run(dep.remove_command(port, stale))
            print("deploy: removed %d stale files: %s" % (len(stale), ", ".join(stale)), flush=True)
        p = _run(verify, capture=True)
    except PodError as e:
        raise PodError("%s\nThe pod is still in maintenance (no watchdog, the pod firmware not "
                       "running; it resets itself within 10 minutes): run `podctl deploy` again, "
                       "or press EN to go back to what it had" % e) from None
    want = dep.local_hashes(build, names)
    sums = dep.parse_sums(p.stdout or "")
    got = dict(zip(names, sums)) if len(sums) == len(names) else {}
    bad = [n for n in names if got.get(n) != want[n]]
    if bad:
        raise PodError("verification failed, these files differ on the pod: %s. Run deploy again"
                       % ", ".join(bad))
    print("deploy: %d files verified (SHA-256)" % len(names), flush=True)
    _run(reset)
    print("deploy: done, the pod restarted. Watch it with `podctl monitor`")
    return 0


# -- main -----------------------------------------------------------------------------------
def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of seconds" % text) from None
    if not 0 < v <= 3600:
        raise argparse.ArgumentTypeError("%s: give a number of seconds above 0 (at most 3600)" % text)
    return v


def build_parser() -> argparse.ArgumentParser:
    p = clikit.Parser(prog="podctl", description=__doc__, epilog=clikit.EXIT_RULE,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    clikit.add_version(p)
    p.add_argument("--port", help="serial port (default: $PODCTL_PORT, else the one likely pod)")
    p.add_argument("--timeout", type=_seconds, default=3.0, help="seconds to wait for each reply (default 3)")
    p.add_argument("--json", action="store_true", help="print replies, and errors, as JSON")
    sub = p.add_subparsers(dest="cmd", required=True)

    common = clikit.Parser(add_help=False)  # the same options after the command
    common.add_argument("--port", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--timeout", type=_seconds, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    def add(name, fn, help, parent=None):
        s = (parent or sub).add_parser(name, help=help, parents=[common])
        s.set_defaults(fn=fn)
        return s

    add("ports", cmd_ports, "list serial ports, pointing out likely pods")
    add("status", cmd_status, "the pod's state, lights, sound and heart rate")
    add("wake", _core_cmd("wake"), "wake the pod now (lights up; a sunrise is skipped)")
    add("ack", _core_cmd("ack"), "acknowledge a fail-safe alarm")
    add("start", _core_cmd("start"), "start the night's program")
    add("stop", _core_cmd("stop"), "stop (switch off)")
    add("reset", cmd_reset, "restart the pod (refused during a night, an alarm or a sounding wake)")
    add("maintenance", cmd_maintenance, "reboot once into a plain REPL without the watchdog")
    tm = add("time", cmd_time, "the pod's clock")
    tm.add_argument("op", choices=("sync", "get"), help="sync: set it to this computer's local time")
    m = add("monitor", cmd_monitor, "live view of the pod's telemetry")
    m.add_argument("--seconds", type=float, help="stop after this long (default: until Ctrl-C)")
    m.add_argument("--plain", action="store_true", help="one line per message, no live view")
    pr = sub.add_parser("program", help="sleep programs: check, push, pull")
    prs = pr.add_subparsers(dest="op", required=True)
    c = prs.add_parser("check", parents=[common], help="validate a program file with the firmware's rules")
    c.add_argument("file")
    c.set_defaults(fn=cmd_program_check)
    c = prs.add_parser("push", parents=[common], help="check, then upload a program (used from the next night)")
    c.add_argument("file")
    c.set_defaults(fn=cmd_program_push)
    c = prs.add_parser("info", parents=[common], help="the pod's program: name, size, and its "
                       "source (the file, the previous one, or the built-in default)")
    c.set_defaults(fn=cmd_program_info)
    c = prs.add_parser("pull", parents=[common], help="read the pod's program")
    c.add_argument("--out", help="write it to this file (default: print it)")
    c.set_defaults(fn=cmd_program_pull)
    lg = sub.add_parser("logs", help="the pod's journal")
    lgs = lg.add_subparsers(dest="op", required=True)
    c = lgs.add_parser("pull", parents=[common], help="copy the journal files and decode them")
    c.add_argument("--out", required=True, help="folder for the files")
    c.set_defaults(fn=cmd_logs_pull)
    cf = sub.add_parser("config", help="the pod's settings: get, set KEY=VALUE ...")
    cfs = cf.add_subparsers(dest="op", required=True)
    c = cfs.add_parser("get", parents=[common], help="print the pod's settings")
    c.set_defaults(fn=cmd_config_get)
    c = cfs.add_parser("set", parents=[common], help="change settings, e.g. wake_level=650 "
                       "(pod_name, wake_level 300..1000, cap_min 60..720, hr_low, hr_high)")
    c.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    c.set_defaults(fn=cmd_config_set)
    from host_tools.pair import add_parser as add_pair
    add_pair(sub, common)
    d = add("deploy", cmd_deploy, "compile firmware/ and copy it to the pod with mpremote")
    d.add_argument("--dry-run", action="store_true",
                   help="print the commands; only lists the pod's files (read-only) to show the "
                   "stale ones a deploy would remove")
    d.add_argument("--build", default="build/deploy", help="build folder (default build/deploy)")
    f = add("flash", cmd_flash, "erase the board and write MicroPython with esptool")
    f.add_argument("--firmware", required=True, metavar="FILE.bin")
    f.add_argument("--chip", default="esp32", choices=sorted(dep.FLASH_OFFSETS))
    f.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    f.add_argument("--yes", action="store_true", help="erase even a pod with a night under way")
    return p


def _fail(a: argparse.Namespace, e: Exception, rc: int) -> int:
    """One error: a line on stderr; with --json also an object on stdout."""
    _err(str(e))
    if getattr(a, "json", False):
        err: dict = {"kind": type(e).__name__, "message": str(e), "exit": rc}
        if isinstance(e, CommandFailed):
            err.update(code=e.code, reason=e.reason, pod_message=e.pod_message)
        if isinstance(e, ValidationFailed):
            err["errors"] = e.errors
        print(json.dumps({"ok": False, "error": err}))
    return rc


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    a = argparse.Namespace(json="--json" in args)

    def body() -> int:
        nonlocal a
        try:
            a = build_parser().parse_args(args)
            return a.fn(a)
        except UsageError as e:
            return _fail(a, e, clikit.EXIT_USAGE)
        except PodError as e:  # ValidationFailed, CommandFailed (refusals) included
            return _fail(a, e, clikit.EXIT_FAILED)
    return clikit.run("podctl", body)


if __name__ == "__main__":
    sys.exit(main())
