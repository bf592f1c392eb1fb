"""`podctl monitor`: a live view of the pod's telemetry and events, or one line per message
(--plain, --json, or when stdout is not a terminal). Keys w and a send wake and ack from the view.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from host_tools.commands import connect, describe_status, pct
from host_tools.transport import CommandFailed, NotAnswering, Transport

QUIET_S = 3.0  # monitor: the pod is "quiet" after this long without a line
EVENTS = 12    # monitor: entries kept in its scrolling event log


class MonitorView:
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
    mon = MonitorView()
    plain = a.plain or a.json or not sys.stdout.isatty()
    with connect(a, hello=False) as t:
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
