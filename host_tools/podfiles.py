"""Files over the link: program push/pull and logs pull, in chunks of at most 96 raw bytes
(128 base64 characters), each upload checked with CRC32 on the pod before it is committed.
The pod side is firmware/pod/link/ (the router, __init__.py, and the handlers it loads); the protocol is in the README ("Serial link")."""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from host_tools.transport import CommandFailed, PodError, Transport, ValidationFailed

CHUNK = 138          # raw bytes per upload chunk: 184 base64 characters, so the whole request
                     # fits the pod's 256-byte line (and its 259-byte receive buffer)
READ_CHUNK = 512     # raw bytes per read reply: replies are not held to the line limit
MAX_PROGRAM = 4096   # bytes, the pod's limit for program.json

Progress = Callable[[int, int], None]


def crc32(data: bytes) -> int:
    """CRC-32 as the pod computes it (binascii.crc32 on MicroPython): unsigned."""
    return zlib.crc32(data) & 0xFFFFFFFF


def chunks(data: bytes, size: int = CHUNK) -> Iterator[tuple[int, str]]:
    """(offset, base64 text) for each piece of data, in order; nothing for no data."""
    for off in range(0, len(data), size):
        yield off, base64.b64encode(data[off:off + size]).decode("ascii")


def b64(text: object) -> bytes:
    if not isinstance(text, str):
        raise PodError("the pod sent a chunk without data: is the firmware up to date?")
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PodError("the pod sent a chunk that is not base64: a noisy link? Try again") from None


# -- programs -------------------------------------------------------------------------------
def validate_program(prog: object) -> list[str]:
    """The firmware's own validator (firmware/pod/program.py), run here."""
    from simulator.sandbox import firmware_module
    return list(firmware_module("pod.program").validate(prog))


def _raise_if_invalid(e: CommandFailed, what: str) -> None:
    """The pod's "invalid" refusal as ValidationFailed, with its "errors" list (path: reason)."""
    if e.code == "invalid":
        errs = e.reply.get("errors")
        raise ValidationFailed(what, [str(x) for x in errs] if isinstance(errs, list) and errs
                               else [e.pod_message]) from None


def load_program_file(path: str | Path) -> tuple[dict, bytes]:
    """Read, parse and validate a program file; returns it and the bytes to upload (compact
    JSON: the link carries about 600 bytes a second). ValidationFailed with precise errors."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise PodError("cannot read %s: %s" % (p, e.strerror)) from None
    except UnicodeDecodeError:
        raise ValidationFailed(str(p), ["not UTF-8 text"]) from None
    try:
        prog = json.loads(text)
    except ValueError as e:
        raise ValidationFailed(str(p), ["not JSON: %s" % e]) from None
    errs = validate_program(prog)
    if errs:
        raise ValidationFailed(str(p), errs)
    data = json.dumps(prog, separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_PROGRAM:
        raise ValidationFailed(str(p), ["%d bytes, the pod takes at most %d" % (len(data), MAX_PROGRAM)])
    return prog, data


def push_program(t: Transport, data: bytes, progress: Progress | None = None,
                 crc: int | None = None) -> dict:
    """Upload program bytes: begin, chunks, commit. The pod checks size, CRC, JSON and the
    validator before it replaces anything; on any failure the upload is aborted and the old
    program stays. crc is for tests (a transfer corrupted on the way)."""
    if len(data) > MAX_PROGRAM:
        raise ValidationFailed("the program", ["%d bytes, the pod takes at most %d" % (len(data), MAX_PROGRAM)])
    t.request("program", op="begin", size=len(data), crc=crc32(data) if crc is None else crc)
    try:
        for off, text in chunks(data):
            reply = t.request("program", op="chunk", off=off, data=text)
            nxt = reply.get("next")
            if isinstance(nxt, int) and nxt != off + len(base64.b64decode(text)):
                raise PodError("the pod expected offset %d after the chunk at %d: upload aborted" % (nxt, off))
            if progress is not None:
                progress(min(off + CHUNK, len(data)), len(data))
        try:
            return t.request("program", op="commit", timeout=max(t.timeout, 5.0))
        except CommandFailed as e:
            _raise_if_invalid(e, "the program (checked on the pod)")
            if e.code == "crc_mismatch":
                raise PodError("the upload arrived damaged (CRC32 mismatch); the pod kept its "
                               "program. Try again; if it repeats, try another USB cable") from None
            raise
    except BaseException:
        try:
            t.request("program", op="abort", timeout=2.0)
        except PodError:
            pass
        raise


def pull_program(t: Transport, progress: Progress | None = None) -> tuple[dict, bytes]:
    """The pod's program bytes, CRC-checked; with its info reply (name, source)."""
    info = t.request("program", op="info")
    size, crc = info.get("size"), info.get("crc")
    if not isinstance(size, int) or not isinstance(crc, int):
        raise PodError("the pod's program info has no size or crc: is the firmware up to date?")
    data = read_all(t, {"cmd": "program"}, size, progress)
    if crc32(data) != crc:
        raise PodError("the program read back does not match its CRC32: a noisy link? Try again")
    return info, data


def read_all(t: Transport, what: dict, size: int, progress: Progress | None = None) -> bytes:
    out = bytearray()
    while len(out) < size:
        n = min(READ_CHUNK, size - len(out))
        fields = {k: v for k, v in what.items() if k != "cmd"}
        reply = t.request(what["cmd"], op="read", off=len(out), n=n, **fields)
        piece = b64(reply.get("data"))
        if not piece:
            break  # the file is shorter than said (it changed while we read): keep what there is
        out += piece
        if progress is not None:
            progress(len(out), size)
    return bytes(out)


# -- logs -----------------------------------------------------------------------------------
def pull_logs(t: Transport, out_dir: str | Path, progress: Callable[[str, int, int], None] | None = None
              ) -> list[Path]:
    """Copy every log file from the pod into out_dir (raw, as stored); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = t.request("logs", op="list").get("files")
    if not isinstance(files, list):
        raise PodError("the pod's log list is not a list: is the firmware up to date?")
    paths = []
    for f in files:
        name, size = f.get("name"), f.get("size")
        if not isinstance(name, str) or not isinstance(size, int) or "/" in name or name.startswith("."):
            continue
        cb = (lambda done, total, _n=name: progress(_n, done, total)) if progress else None
        data = read_all(t, {"cmd": "logs", "name": name}, size, cb)
        p = out / name
        p.write_bytes(data)
        paths.append(p)
    return paths


# -- settings -------------------------------------------------------------------------------
def parse_settings(pairs: list[str]) -> dict:
    """KEY=VALUE words as a partial settings dict: a value that reads as a JSON number (or
    true/false/null, for the pod to refuse) is that, anything else is text. ValueError (a
    wrong command line) for a word without '=' or a key given twice."""
    out: dict = {}
    for p in pairs:
        key, eq, text = p.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ValueError("%r: give KEY=VALUE, e.g. wake_level=650" % p)
        if key in out:
            raise ValueError("%s is given twice (%s): give each setting once" % (
                key, ", ".join(x for x in pairs if x.partition("=")[0].strip() == key)))
        try:
            value = json.loads(text)
            if isinstance(value, (list, dict)):
                value = text
        except ValueError:
            value = text
        out[key] = value
    return out


def check_settings(changes: dict) -> list[str]:
    """The firmware's own settings rules (firmware/pod/flash_store.py check_settings), run here."""
    from simulator.sandbox import firmware_module
    return list(firmware_module("pod.flash_store").check_settings(changes))


def get_config(t: Transport) -> dict:
    cfg = t.request("config", op="get").get("config")
    if not isinstance(cfg, dict):
        raise PodError("the pod's config reply has no settings: is the firmware up to date?")
    return cfg


def set_config(t: Transport, changes: dict) -> dict:
    """Change some settings (checked here, then again on the pod); returns all of them."""
    errs = check_settings(changes)
    if errs:
        raise ValidationFailed("the settings change", errs)
    try:
        cfg = t.request("config", op="set", config=changes).get("config")
    except CommandFailed as e:
        _raise_if_invalid(e, "the settings change (checked on the pod)")
        raise
    if not isinstance(cfg, dict):
        raise PodError("the pod's config reply has no settings: is the firmware up to date?")
    return cfg
