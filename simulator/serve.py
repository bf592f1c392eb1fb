"""`pod-sim serve`: the simulated pod in real time (or N times faster), its serial link on a
pseudo-terminal, so host tools talk to it exactly as to a board on /dev/ttyUSB0.

Bytes the host writes go into the board's serial receive buffer (259 bytes, as on the ESP32:
what does not fit is lost, and a Ctrl-C byte is an interrupt unless the firmware turned that
off); every line the firmware prints comes out of the pty, ended with CR LF as MicroPython's
REPL stream does. While nobody has the port open, output that does not fit in the pty's
buffer is dropped, as a UART with nobody listening would.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
import tty
from pathlib import Path
from typing import TextIO

from simulator.sim import SimPod

MAX_STEP_MS = 500        # simulated time per step at most, so the link stays responsive
POLL_S = 0.005           # wall time between steps when idle
OUT_MAX = 256 * 1024     # output waiting for the pty at most; older bytes are dropped


class PtyLink:
    """The host side of the pty: master fd, the slave's path, an optional symlink to it."""

    def __init__(self, link: str | None = None):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        self.link: Path | None = None
        if link:
            p = Path(link)
            if p.is_symlink() or p.exists():
                if not p.is_symlink():
                    self.close()
                    raise SystemExit("pod-sim serve: %s exists and is not a symlink; not replacing it" % p)
                p.unlink()
            p.symlink_to(self.path)
            self.link = p
        self.out = bytearray()
        self.dropped = 0

    def read(self) -> bytes:
        try:
            return os.read(self.master, 4096)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError:  # EIO: no process has the slave open (we keep one, so rarely seen)
            return b""

    def write(self, data: bytes) -> None:
        self.out += data
        if len(self.out) > OUT_MAX:
            cut = len(self.out) - OUT_MAX
            self.dropped += cut
            del self.out[:cut]
        self.flush()

    def flush(self) -> None:
        while self.out:
            try:
                n = os.write(self.master, self.out)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.dropped += len(self.out)
                self.out.clear()
                return
            del self.out[:n]

    def close(self) -> None:
        if self.link is not None:
            try:
                if self.link.is_symlink():
                    self.link.unlink()
            except OSError:
                pass
            self.link = None
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


def serve(speed: float = 1.0, link: str | None = None, program: dict | None = None,
          start: str = "22:30", seed: int = 1, workdir: str | None = None,
          echo: bool = False, out: TextIO = sys.stdout, faults: list | None = None,
          pod_id: bytes | None = None) -> int:
    if speed <= 0:
        raise SystemExit("pod-sim serve: --speed must be above 0")
    stop = []

    def on_signal(signum, frame):
        stop.append(signum)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    pty = PtyLink(link)
    pod = None
    try:
        wd = Path(workdir) if workdir else None
        if wd is not None:
            wd.mkdir(parents=True, exist_ok=True)
        pod = SimPod(workdir=wd, seed=seed, start_clock=start)
        if pod_id is not None:
            pod.board.uid = pod_id
        if program is not None:
            pod.fs.path("program.json").write_text(json.dumps(program))
        for f in faults or ():  # simulator.night.FaultSpec: ms since the start
            pod.inject(f.kind, pod.now_ms + f.at_ms, f.arg)
        console = pod.board.on_console

        def on_console(line: str) -> None:
            console(line)
            pty.write(line.encode("utf-8", "replace") + b"\r\n")
            if echo:
                print(line, file=sys.stderr, flush=True)

        pod.board.on_console = on_console
        print("pod-sim serve: serial port %s%s (speed %gx); Ctrl-C to stop" % (
            pty.path, " -> " + str(pty.link) if pty.link else "", speed), file=out, flush=True)
        print("PORT %s" % pty.path, file=out, flush=True)
        t0 = time.monotonic()
        sim0 = pod.now_ms
        while not stop:
            data = pty.read()
            if data:
                pod.board.feed_rx(data)
            target = sim0 + int((time.monotonic() - t0) * 1000 * speed)
            if target > pod.now_ms:
                pod.advance_to(min(target, pod.now_ms + MAX_STEP_MS))
            pty.flush()
            if not data and pod.now_ms >= target:
                try:
                    select.select([pty.master], [], [], POLL_S)
                except InterruptedError:
                    pass
        return 0
    except RuntimeError as e:
        print("pod-sim serve: the simulation stopped: %s" % e, file=sys.stderr)
        return 1
    finally:
        if pod is not None:
            pod.close()
        pty.close()
        for s, h in old.items():
            signal.signal(s, h)
        print("pod-sim serve: stopped", file=out, flush=True)
