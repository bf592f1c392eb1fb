"""The pod's flash: the board's littlefs filesystem as a folder on the host, and how it fails.

FlashFS is what the firmware's `open()` and `os` reach in the simulator. It can lose power in the
middle of a write, a rename or a remove (arm_power_cut), and damage a stored file on purpose
(corrupt). Part of the fake hardware, beside the fake machine, I2C sensor and serial port.
"""
from __future__ import annotations

import builtins
import os as _os
import random
import types
from collections.abc import Callable
from pathlib import Path

from simulator.hw import simstate


class FlashFS:
    """The board's filesystem: a folder on the host. Paths are relative to the board's root.

    It can fail as flash does when power goes: arm_power_cut(op, nbytes) counts the firmware's
    mutating operations from now on (open for writing, each write, rename, remove) and at
    operation number `op` (1 = the next one) cuts the power (raises simstate.PowerCut): a write
    is left partial (its first nbytes bytes, at most, reach the file), an open for writing
    leaves the file created or emptied, a rename or a remove is not done. corrupt() damages a
    stored file on purpose."""

    made = 0  # FlashFS objects made in this process: each board's own random sequence

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        FlashFS.made += 1
        # os.urandom as the firmware sees it: the same numbers every run (simulations repeat),
        # different on each board and at each call (a household pod's boot id, see
        # pod/household/epoch.py)
        self._rng = random.Random(0x5EED0000 + FlashFS.made)
        self.cut_op = 0          # armed: cut at this mutating operation (0: never)
        self.cut_bytes = 0
        self.ops = 0             # mutating operations since arming
        self.cut_log: list[str] = []  # what was being done when the power went
        self.on_cut: Callable[[str], None] | None = None  # called just before the cut
        self.cut_off_ms = 2000
        # the power is off: nothing more reaches the flash until the next boot (code that
        # still runs in the simulator while a PowerCut unwinds, a `finally:`, writes nothing)
        self.dead = False

    def path(self, p: str) -> Path:
        parts = [x for x in str(p).split("/") if x not in ("", ".")]
        if ".." in parts:
            raise OSError(2, "no such file")
        return self.root.joinpath(*parts)

    # -- failing flash ---------------------------------------------------------------------------
    def arm_power_cut(self, op: int, nbytes: int = 0, off_ms: int = 2000) -> None:
        self.cut_op = op
        self.cut_bytes = nbytes
        self.ops = 0
        self.cut_off_ms = off_ms

    def _step(self, what: str) -> bool:
        """Count one mutating operation; True if the power goes now."""
        if self.dead:
            raise simstate.PowerCut(self.cut_off_ms)
        if not self.cut_op:
            return False
        self.ops += 1
        if self.ops < self.cut_op:
            return False
        self.cut_op = 0
        self.cut_log.append(what)
        if self.on_cut is not None:
            self.on_cut(what)
        return True

    def _cut(self):
        self.dead = True
        raise simstate.PowerCut(self.cut_off_ms)

    def corrupt(self, p: str, kind: str, arg: int = 0) -> None:
        """Damage a stored file: "truncate" (to arg bytes, default half), "flip" (one bit, at
        byte arg), "empty", "garbage" (arg random bytes), "huge" (arg bytes of JSON-ish text)."""
        f = self.path(p)
        data = f.read_bytes() if f.exists() else b""
        if kind == "truncate":
            data = data[: arg if arg else len(data) // 2]
        elif kind == "flip":
            i = arg % max(1, len(data))
            data = data[:i] + bytes([data[i] ^ 0x10]) + data[i + 1:]
        elif kind == "empty":
            data = b""
        elif kind == "garbage":
            data = _os.urandom(arg or 200)
        elif kind == "huge":
            data = b'{"version": 1, "name": "' + b"x" * (arg or 100000) + b'"}'
        else:
            raise ValueError(kind)
        f.write_bytes(data)

    def open(self, p, mode="r", *args, **kw):
        writing = any(c in mode for c in "wax+")
        if writing and self._step("open %s %s" % (mode, p)):
            if "w" in mode or not self.path(p).exists():
                builtins.open(self.path(p), "wb").close()  # created or emptied, nothing more
            self._cut()
        f = builtins.open(self.path(p), mode, *args, **kw)
        return _FlashFile(self, f, str(p)) if writing else f

    def _rename(self, a, b):
        if self._step("rename %s %s" % (a, b)):
            self._cut()
        _os.replace(self.path(a), self.path(b))

    def _remove(self, p):
        if self._step("remove %s" % p):
            self._cut()
        _os.remove(self.path(p))

    def os_module(self) -> types.ModuleType:
        m = types.ModuleType("os")
        fs = self
        m.listdir = lambda p="": sorted(_os.listdir(fs.path(p)))  # type: ignore[attr-defined]
        m.ilistdir = lambda p="": iter(  # type: ignore[attr-defined]
            (n, 0x4000 if (fs.path(p) / n).is_dir() else 0x8000, 0, (fs.path(p) / n).stat().st_size)
            for n in sorted(_os.listdir(fs.path(p))))
        m.stat = lambda p: tuple(_os.stat(fs.path(p)))  # type: ignore[attr-defined]
        m.remove = fs._remove  # type: ignore[attr-defined]
        m.rename = fs._rename  # type: ignore[attr-defined]
        m.mkdir = lambda p: _os.mkdir(fs.path(p))  # type: ignore[attr-defined]
        m.rmdir = lambda p: _os.rmdir(fs.path(p))  # type: ignore[attr-defined]
        m.sync = lambda: None  # type: ignore[attr-defined]
        m.statvfs = lambda p="": (4096, 4096, 512, 400, 400, 0, 0, 0, 0, 255)  # type: ignore[attr-defined]
        m.uname = lambda: ("esp32", "pod", "1.29.0", "sim", "ESP32 module")  # type: ignore[attr-defined]
        m.urandom = fs._rng.randbytes  # type: ignore[attr-defined]
        return m


class _FlashFile:
    """A file open for writing on the failing flash: each write is one operation, and may be
    the one that is cut short."""

    def __init__(self, fs: FlashFS, f, name: str):
        self._fs = fs
        self._f = f
        self._name = name

    def write(self, data):
        if self._fs._step("write %d bytes to %s" % (len(data), self._name)):
            k = min(self._fs.cut_bytes, len(data))
            if k:
                self._f.write(data[:k])
            self._f.close()
            self._fs._cut()
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()
        return False

    def __iter__(self):
        return iter(self._f)
