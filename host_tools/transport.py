"""The one module that owns a pod's serial port (pyserial).

The pod speaks one JSON object per line (firmware/pod/serial_link.py): replies carry the request's
"id" and "ok"; telemetry ({"t":"tel"}) and event ({"t":"evt"}) lines come unasked and are
handed to a callback. Every read here has a deadline. Every failure is a PodError with a
message a person can act on.
"""
from __future__ import annotations

import errno
import itertools
import json
import random
import time
from collections.abc import Callable
from typing import Any, Protocol

import serial
from serial.tools import list_ports

PROTOCOL = 1                 # the link protocol this host speaks (pod.serial_link.PROTOCOL)
MAX_LINE = 256               # the pod's line limit, without the newline
BAUD = 115200
TIMEOUT_S = 3.0              # per attempt: the pod answers within a few 100 ms loop ticks
READ_SLICE_S = 0.05          # pyserial's own read timeout: reads never block longer

# Commands that may be sent again when no reply came: asking twice changes nothing.
SAFE_TO_RETRY = frozenset({"hello", "status", "time", "program:info", "program:read",
                           "logs:list", "logs:read", "config:get"})

# USB serial bridges an ESP32 board is usually built with: (vid, pid or None for any) -> name.
POD_BRIDGES = {
    (0x10C4, 0xEA60): "CP210x",
    (0x1A86, 0x7523): "CH340",
    (0x1A86, 0x55D4): "CH9102",
    (0x0403, 0x6001): "FTDI FT232R",
    (0x0403, 0x6015): "FTDI FT231X",
    (0x303A, None): "Espressif native USB",
}


class Port(Protocol):
    """What the transport needs of a port: a pyserial Serial, or a stand-in in tests."""

    @property
    def in_waiting(self) -> int: ...
    def read(self, size: int = 1, /) -> bytes: ...
    def write(self, data: bytes, /) -> int | None: ...
    def flush(self) -> None: ...
    def reset_input_buffer(self) -> None: ...
    def close(self) -> None: ...


class PodError(Exception):
    """Any failure talking to a pod. str() is the message for a person."""


class NoSuchPort(PodError):
    pass


class PortBusy(PodError):
    pass


class PortDenied(PodError):
    pass


class NotAnswering(PodError):
    pass


class Disconnected(NotAnswering):
    pass


class ProtocolMismatch(PodError):
    pass


class CommandFailed(PodError):
    """The pod answered with an error: code and message are the pod's own."""

    def __init__(self, cmd: str, code: str, message: str, reply: dict | None = None):
        self.cmd = cmd
        self.code = code
        self.pod_message = message
        self.reply = reply or {}
        self.reason = (self.reply.get("error") or {}).get("reason")  # a refusal's REF_* number
        if code == "unknown_cmd":
            text = "the pod's firmware does not know `%s`: update it with `podctl deploy`" % cmd
        elif code == "refused" and self.reason is not None:
            from host_tools.refusals import words
            self.pod_message = words(self.reason, cmd)
            text = "the pod refused %s: %s" % (cmd, self.pod_message)
        else:
            text = "the pod refused %s: %s (%s)" % (cmd, message, code)
        super().__init__(text)


class ValidationFailed(PodError):
    """A program or setting fails the firmware's rules; errors are "path: reason" strings."""

    def __init__(self, what: str, errors: list[str]):
        self.errors = list(errors)
        super().__init__("%s is not valid: %s" % (what, self.errors[0]) if len(self.errors) == 1
                         else "%s is not valid:\n  %s" % (what, "\n  ".join(self.errors)))


# -- framing --------------------------------------------------------------------------------
def frame(req: dict) -> bytes:
    """One request as the pod reads it: compact JSON, ASCII only, one line. Raises ValueError
    if it would not fit in the pod's line limit."""
    line = json.dumps(req, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    if len(line) > MAX_LINE:
        raise ValueError("request of %d bytes is over the pod's %d-byte line limit" % (len(line), MAX_LINE))
    return line + b"\n"


def parse_line(raw: bytes) -> dict | None:
    """A line from the pod as a dict, or None for anything else (REPL banners, tracebacks,
    noise): the stream is shared with MicroPython's own output."""
    text = raw.strip(b"\r\n \t")
    if not text.startswith(b"{"):
        return None
    try:
        msg = json.loads(text.decode("utf-8", "replace"))
    except ValueError:
        return None
    return msg if isinstance(msg, dict) else None


class LineReader:
    """Splits a byte stream into lines (LF or CR LF), keeping at most max_line bytes of a line
    that never ends (a garbage flood cannot grow memory)."""

    def __init__(self, max_line: int = 4096):
        self.buf = bytearray()
        self.max_line = max_line

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        lines = []
        while True:
            i = self.buf.find(b"\n")
            if i < 0:
                break
            lines.append(bytes(self.buf[:i]))
            del self.buf[: i + 1]
        if len(self.buf) > self.max_line:
            del self.buf[: len(self.buf) - self.max_line]
        return lines


# -- ports ----------------------------------------------------------------------------------
def bridge_name(vid: int | None, pid: int | None) -> str | None:
    """The USB bridge a pod is likely built with, from a port's VID:PID; None if not one."""
    if vid is None:
        return None
    return POD_BRIDGES.get((vid, pid)) or POD_BRIDGES.get((vid, None))


def list_pod_ports() -> list[tuple[Any, str | None]]:
    """(port info, bridge name or None) for every serial port, likely pods first."""
    ports = [(p, bridge_name(p.vid, p.pid)) for p in list_ports.comports()]
    ports.sort(key=lambda x: (x[1] is None, x[0].device))
    return ports


def find_port() -> str:
    """The one likely pod, or a NoSuchPort saying what to do."""
    pods = [p.device for p, b in list_pod_ports() if b]
    if len(pods) == 1:
        return pods[0]
    if not pods:
        raise NoSuchPort("no pod found: plug one in (a USB data cable, not a charge-only one) "
                         "and check `podctl ports`, or give --port (e.g. the path `pod-sim serve` prints)")
    raise NoSuchPort("several likely pods (%s): choose one with --port" % ", ".join(pods))


def open_port(port: str, baud: int = BAUD) -> serial.Serial:
    """Open a serial port, exclusively, with short read timeouts; errors as PodErrors.

    DTR and RTS stay released from the start: ESP32 boards wire them to EN and GPIO0
    (auto-reset), and some bridges or native USB reset the chip when they toggle. A pod reset
    by merely opening its port would look like a power cut to the boot verdict: mid-night, an
    alarm."""
    try:
        ser = serial.serial_for_url(port, baudrate=baud, timeout=READ_SLICE_S,
                                    write_timeout=TIMEOUT_S, exclusive=True, do_not_open=True)
        ser.dtr = False
        ser.rts = False
        ser.open()
        return ser
    except ValueError as e:
        raise NoSuchPort("cannot use serial port %s: %s" % (port, e)) from None
    except (serial.SerialException, OSError) as e:
        raise port_error(port, e) from None


def port_error(port: str, e: BaseException) -> PodError:
    code = getattr(e, "errno", None)
    text = str(e)
    if code == errno.ENOENT or "No such file" in text or "could not open port" in text and "FileNotFound" in text:
        return NoSuchPort("no serial port %s: is the pod plugged in? `podctl ports` lists the ports "
                          "(for the simulator, use the path `pod-sim serve` printed)" % port)
    if code in (errno.EBUSY, errno.EAGAIN) or "exclusively lock" in text or "busy" in text.lower():
        return PortBusy("serial port %s is in use by another program (a serial monitor, mpremote, "
                        "or another podctl, such as a `podctl monitor` still running): close it "
                        "and try again" % port)
    if code == errno.EACCES or "Permission denied" in text:
        return PortDenied("no permission to open %s: add yourself to the group that owns it "
                          "(often `dialout`: sudo usermod -aG dialout $USER, then log in again)" % port)
    return PodError("cannot open serial port %s: %s" % (port, text))


# -- the link -------------------------------------------------------------------------------
class Transport:
    """A pod on a serial port. request() sends one command and returns its reply; lines that
    are not the reply go to on_message (telemetry, events) or are skipped (stale replies,
    REPL output)."""

    def __init__(self, port: str, ser: Port | None = None,
                 on_message: Callable[[dict], None] | None = None, timeout: float = TIMEOUT_S):
        self.port = port
        self.ser = ser
        self.on_message = on_message
        self.timeout = timeout
        self.reader = LineReader()
        self.lines: list[bytes] = []
        self.ids = itertools.count(random.randint(1, 1 << 20))
        self.info: dict = {}
        self.last_heard = 0.0   # time.monotonic() of the last line from the pod

    # opening and closing
    @classmethod
    def connect(cls, port: str | None = None, hello: bool = True, **kw) -> Transport:
        port = port or find_port()
        t = cls(port, open_port(port), **kw)
        try:
            assert t.ser is not None
            t.ser.reset_input_buffer()
            if hello:
                t.hello()
        except BaseException:
            t.close()
            raise
        return t

    def close(self) -> None:
        if self.ser is not None:
            try:
                self.ser.close()
            except (serial.SerialException, OSError):
                pass
            self.ser = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # bytes
    def write(self, data: bytes) -> None:
        assert self.ser is not None
        try:
            self.ser.write(data)
            self.ser.flush()
        except serial.SerialTimeoutException:
            raise NotAnswering("the pod on %s does not take what is sent (serial write timed out): "
                               "is it stuck? Reset it (button EN, or unplug and plug in)" % self.port) from None
        except (serial.SerialException, OSError) as e:
            raise Disconnected("lost the serial port %s (%s): unplugged, or `pod-sim serve` stopped?"
                               % (self.port, e)) from None

    def read_line(self, deadline: float) -> bytes | None:
        """The next line from the pod, or None once time.monotonic() passes deadline."""
        assert self.ser is not None
        while not self.lines:
            if time.monotonic() >= deadline:
                return None
            try:
                data = self.ser.read(max(1, self.ser.in_waiting))
            except (serial.SerialException, OSError) as e:
                raise Disconnected("lost the serial port %s (%s): unplugged, or `pod-sim serve` "
                                   "stopped?" % (self.port, e)) from None
            if data:
                self.lines.extend(self.reader.feed(data))
        self.last_heard = time.monotonic()
        return self.lines.pop(0)

    def _dispatch(self, msg: dict) -> None:
        if "t" in msg and self.on_message is not None:
            self.on_message(msg)

    # requests
    def request(self, cmd: str, timeout: float | None = None, retries: int | None = None,
                **fields: Any) -> dict:
        """Send {"id", "cmd", **fields}; return the pod's ok reply. CommandFailed if it
        answers with an error; NotAnswering if no reply comes in time (after retries, for the
        commands where asking again is safe)."""
        key = cmd if "op" not in fields else "%s:%s" % (cmd, fields["op"])
        if retries is None:
            retries = 2 if key in SAFE_TO_RETRY else 0
        rid = next(self.ids)
        data = frame({"id": rid, "cmd": cmd, **fields})
        per_try = self.timeout if timeout is None else timeout
        for _attempt in range(retries + 1):
            # A newline first ends whatever partial line (noise, a lost byte) the pod holds.
            self.write(b"\n" + data)
            reply = self._await(rid, time.monotonic() + per_try)
            if reply is not None:
                if reply.get("ok") is True:
                    return reply
                err = reply.get("error") or {}
                raise CommandFailed(cmd, str(err.get("code", "?")), str(err.get("message", "")), reply)
        what = "%s%s" % (cmd, " " + fields["op"] if "op" in fields else "")
        raise NotAnswering(
            "the pod on %s did not answer %s within %.0f s%s: is this the right port, and is the "
            "pod firmware running? In maintenance it is not: `mpremote connect %s resume reset` "
            "or the EN button ends it (and it resets itself after 10 minutes)" % (
                self.port, what, per_try, " (asked %d times)" % (retries + 1) if retries else "",
                self.port))

    def _await(self, rid: Any, deadline: float) -> dict | None:
        while True:
            raw = self.read_line(deadline)
            if raw is None:
                return None
            msg = parse_line(raw)
            if msg is None:
                continue
            if "t" in msg:
                self._dispatch(msg)
            elif msg.get("id") == rid and "ok" in msg:
                return msg
            # anything else: a stale reply, or an error for a line of noise

    def hello(self) -> dict:
        try:
            info = self.request("hello")
        except CommandFailed as e:
            raise ProtocolMismatch("the device on %s does not know the pod's hello (%s): not a pod, "
                                   "or a very old firmware; run `podctl deploy`" % (self.port, e.pod_message)) from None
        proto = info.get("protocol")
        if proto != PROTOCOL:
            raise ProtocolMismatch(
                "the pod on %s speaks link protocol %r and this podctl speaks %d: %s" % (
                    self.port, proto, PROTOCOL,
                    "update the pod with `podctl deploy`" if isinstance(proto, int) and proto < PROTOCOL
                    else "update podctl (git pull; make venv)"))
        self.info = info
        return info

    def listen(self, seconds: float | None, on_line: Callable[[dict | None, float], bool | None]) -> None:
        """Read for `seconds` (None: until on_line returns True). on_line(msg, now) is called
        for every JSON line, and with msg None every read slice with no line (so a caller can
        notice silence)."""
        end = None if seconds is None else time.monotonic() + seconds
        while end is None or time.monotonic() < end:
            now = time.monotonic()
            raw = self.read_line(min(now + 0.25, end) if end is not None else now + 0.25)
            msg = parse_line(raw) if raw is not None else None
            if on_line(msg, time.monotonic()):
                return
