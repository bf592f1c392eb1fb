"""Start `pod-sim serve` as a subprocess for end-to-end tests, and stop it cleanly."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60  # a loaded 2-core machine can be slow to import and boot


class Server:
    def __init__(self, *args: str, speed: float = 20, tmp: Path | None = None):
        cmd = [sys.executable, "-m", "simulator.cli", "serve", "--speed", str(speed), *args]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.port = ""
        self.banner = []
        deadline = time.monotonic() + START_TIMEOUT_S
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            ln = self.proc.stdout.readline()
            if not ln:
                break
            self.banner.append(ln)
            if ln.startswith("PORT "):
                self.port = ln.split(None, 1)[1].strip()
                break
        if not self.port:
            self.stop()
            raise RuntimeError("pod-sim serve did not start: %r %r" % (self.banner, self.proc.stderr and self.proc.stderr.read()))

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int | None, str]:
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
                self.proc.send_signal(sig)
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        out = ""
        if self.proc.stdout and not self.proc.stdout.closed:
            out = self.proc.stdout.read()
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()
        return self.proc.returncode, out

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
