"""The command lines behind `podctl flash` and `podctl deploy` (esptool, mpy-cross, mpremote).
Built here as lists so --dry-run prints exactly what would run, and tests can check them."""
from __future__ import annotations

import hashlib
import shlex
import shutil
import sys
from pathlib import Path

from host_tools import FIRMWARE_DIR

# Where MicroPython's image goes: the classic ESP32 has its second-stage bootloader at 0x1000;
# the S2 at 0x1000 too; the S3, C3 and C6 at 0x0.
FLASH_OFFSETS = {"esp32": 0x1000, "esp32s2": 0x1000, "esp32s3": 0x0, "esp32c3": 0x0, "esp32c6": 0x0}
FLASH_BAUD = 460800
KEEP_SOURCE = ("boot.py", "main.py")  # run as scripts by MicroPython: must stay .py

# Lists every file under pod/ on the board, one "F:path" line each, sub-packages included.
# One line, so --dry-run prints it as one command: a breadth-first walk that appends each
# folder to the list it is walking.
LIST_SCRIPT = ("import os;s=['pod'] if 'pod' in os.listdir() else [];"
               "[s.append(d+'/'+e[0]) if e[1]==0x4000 else print('F:'+d+'/'+e[0]) "
               "for d in s for e in os.ilistdir(d)]")

# Every mpremote call starts with `resume`: without it mpremote soft-resets the board first,
# which reruns boot.py, and outside the one maintenance boot that arms the watchdog (which
# would then reset the board in the middle of the copy).


def tool(name: str) -> str:
    """A command from this venv (beside the running python), else from PATH, else the name."""
    p = Path(sys.executable).parent / name
    if p.exists():
        return str(p)
    return shutil.which(name) or name


def flash_commands(port: str, firmware: str, chip: str = "esp32") -> list[list[str]]:
    if chip not in FLASH_OFFSETS:
        raise ValueError("unknown chip %r (known: %s)" % (chip, ", ".join(FLASH_OFFSETS)))
    esptool = tool("esptool")
    return [
        [esptool, "--chip", chip, "--port", port, "erase-flash"],
        [esptool, "--chip", chip, "--port", port, "--baud", str(FLASH_BAUD), "write-flash", "-z",
         "0x%x" % FLASH_OFFSETS[chip], firmware],
    ]


def firmware_files(fw_dir: Path = FIRMWARE_DIR) -> list[Path]:
    """The files a pod needs, relative to fw_dir: boot.py, main.py and every .py under pod/,
    sub-packages included."""
    files = [Path(n) for n in KEEP_SOURCE if (fw_dir / n).exists()]
    files += sorted(p.relative_to(fw_dir) for p in (fw_dir / "pod").rglob("*.py")
                    if "__pycache__" not in p.parts)
    return files


def target_name(rel: Path) -> Path:
    """What a firmware file becomes on the pod: pod/x.py -> pod/x.mpy; boot.py, main.py stay."""
    return rel if str(rel) in KEEP_SOURCE else rel.with_suffix(".mpy")


def compile_commands(build: Path, fw_dir: Path = FIRMWARE_DIR) -> list[list[str]]:
    mpy_cross = tool("mpy-cross")
    return [[mpy_cross, "-march=xtensawin", "-o", str(build / target_name(rel)), str(fw_dir / rel)]
            for rel in firmware_files(fw_dir) if str(rel) not in KEEP_SOURCE]


def copy_commands(port: str, build: Path) -> list[list[str]]:
    """One mpremote session: copy (cp skips files whose SHA-256 already matches)."""
    mp = tool("mpremote")
    return [[mp, "connect", port, "resume",
             "fs", "cp", "-r", str(build / "pod"), ":", "+",
             "fs", "cp", str(build / "boot.py"), str(build / "main.py"), ":"]]


def list_command(port: str) -> list[str]:
    """Prints the board's files under pod/ (see LIST_SCRIPT); works at a REPL, that is on a
    fresh board or in the pod's maintenance boot, not while the pod firmware runs."""
    return [tool("mpremote"), "connect", port, "resume", "exec", LIST_SCRIPT]


def parse_listing(text: str) -> list[str]:
    """The paths in LIST_SCRIPT's output, without a leading slash."""
    return sorted(ln.strip()[2:].lstrip("/") for ln in text.splitlines() if ln.strip().startswith("F:"))


def stale_files(on_pod: list[str], names: list[str]) -> list[str]:
    """Firmware files on the board that this build does not have: modules renamed or removed
    since the last deploy, and pod/x.py beside a new pod/x.mpy (MicroPython would import the .py
    first). Only .py and .mpy under pod/ are firmware; data files are never touched."""
    keep = set(names)
    return [p for p in on_pod
            if p.startswith("pod/") and p.endswith((".py", ".mpy")) and p not in keep]


def remove_command(port: str, stale: list[str]) -> list[str]:
    cmd = [tool("mpremote"), "connect", port, "resume"]
    for i, p in enumerate(stale):
        cmd += (["+"] if i else []) + ["fs", "rm", ":" + p]
    return cmd


def verify_command(port: str, names: list[str]) -> list[str]:
    """Prints each file's SHA-256 on the pod, one hex line per file, in order."""
    return [tool("mpremote"), "connect", port, "resume", "fs", "sha256sum"] + [":" + n for n in names]


def parse_sums(text: str) -> list[str]:
    """The hex digests in mpremote's sha256sum output, in order."""
    out = []
    for line in text.splitlines():
        w = line.strip().lower()
        if len(w) == 64 and all(c in "0123456789abcdef" for c in w):
            out.append(w)
    return out


def reset_command(port: str) -> list[str]:
    return [tool("mpremote"), "connect", port, "resume", "reset"]


def local_hashes(build: Path, names: list[str]) -> dict[str, str]:
    return {n: hashlib.sha256((build / n).read_bytes()).hexdigest() for n in names}


def show(cmd: list[str]) -> str:
    return shlex.join(cmd)
