# The serial link's dispatcher, resident beside the night: one JSON request per line over the
# board's USB serial (REPL) stream, polled from the main loop without ever blocking it.
#
# Request:  {"id": <int or str, optional>, "cmd": "<name>", ...}   (other keys are ignored)
# Replies (one line each, no "t" key; telemetry and events keep theirs):
#   {"id": <id or null>, "ok": true, ...}
#   {"id": <id or null>, "ok": false, "error": {"code": "<code>", "message": "<text>"}}
# Codes: bad_json, too_long, bad_request, unknown_cmd, refused, failed. A refused reply also
# carries "reason": a pod.reasons REF_* number, which the host puts into words. Every reply
# is printed by pod.ok and pod.err. The other commands (time, reset, maintenance, program,
# logs, config) go to the router pod.link and the handler it loads: each imported only when
# one arrives, and dropped after (pod.lazy).
#
# Per tick: at most _MAX_BYTES bytes are read (one at a time, each only after poll says one is
# there, since a read on the board's stdin waits until it has all it asked for) and at most
# _MAX_LINES replies are made, so a flood cannot stretch the loop. wake/ack/start/stop go to
# the core through In.cmd and are answered after that tick's step; reading stops for the tick
# at such a command, so at most one reaches the core per tick and the next one waits, unread,
# for the next tick (no "busy" error). A tick with nothing to read allocates nothing.
# Kept small: it lives in the heap beside the rest of the firmware.
import binascii
import json
import select
import sys

import machine
from micropython import const

from pod import VERSION, err, lazy, ok

PROTOCOL = const(1)
MAX_LINE = const(256)     # bytes in a request line, without the newline
_MAX_BYTES = const(256)   # read per tick: a whole request line (2.5 KB/s at the 10 Hz loop)
_MAX_LINES = const(4)     # replies per tick
_CMDS = ("wake", "ack", "start", "stop")  # core.CMD_WAKE .. CMD_STOP, in order
_MORE = ("time", "reset", "maintenance", "program", "logs", "config", "household")  # pod.link (the router)


class Link:
    """status(now, head) prints the status reply: App.telemetry with head as its first field.

    stream (with readinto) and poller (with ipoll) default to the board's stdin and a
    select.poll() registered on it; tests pass their own."""

    def __init__(self, status, stream=None, poller=None):
        self.status = status
        if stream is None:
            # the raw bytes; sys.stdin itself on a port without .buffer (MicroPython's text
            # stdin has readinto too, which the stubs' TextIO does not say)
            stream = getattr(sys.stdin, "buffer", sys.stdin)
        if poller is None:
            poller = select.poll()
            poller.register(stream, 1)  # select.POLLIN
        for _ in poller.ipoll(0):  # its result tuple is made now, with the long-lived objects
            break
        self.stream = stream
        self.poller = poller
        self.buf = bytearray(MAX_LINE)
        self.one = bytearray(1)
        self.n = 0         # bytes of the current line in buf
        self.bad = 0       # 1: the line has a byte that is not printable ASCII; 2: too long
        self.cmd = 0       # the core command waiting for this tick's step (0: none)
        self.cmd_id = ""   # its id, as JSON

    def poll(self, now, inp):
        """Before the core's step: read what has arrived and answer the complete lines. A core
        command goes into inp.cmd; reading stops there until the next tick."""
        if inp.cmd:
            return  # the tick already carries a command (queue depth 1)
        one = self.one
        nbytes = 0
        replies = 0
        while nbytes < _MAX_BYTES and replies < _MAX_LINES:
            ready = 0
            for ev in self.poller.ipoll(0):  # a callee-owned tuple: no allocation
                ready = ev[1] & 1  # POLLIN
                break
            if not ready or not self.stream.readinto(one):  # pyright: ignore[reportAttributeAccessIssue]
                return
            nbytes += 1
            c = one[0]
            n = self.n
            bad = self.bad
            if c == 10:  # newline: the line is complete (an over-long one is over)
                self.n = 0
                self.bad = 0
                if n and bad < 2:
                    replies += 1
                    if self._line(now, inp, n, bad):
                        return
            elif bad == 2 or c == 13:
                pass
            elif n >= MAX_LINE:
                self.bad = 2  # discarded up to its newline
                replies += 1
                err("null", "too_long", "line over 256 bytes")
            else:
                if (c < 32 and c != 9) or c > 126:
                    self.bad = 1
                self.buf[n] = c
                self.n = n + 1

    def done(self, refusal, state):
        """After the core's step: answer the command it was given this tick, if any. refusal
        is the core's pod.reasons REF_* number (0: done); the host words it."""
        c = self.cmd
        if not c:
            return
        self.cmd = 0
        if not refusal:
            from pod.core import STATE_NAMES  # (resident: imported where used, so that a
            ok(self.cmd_id, ',"state":"%s"' % STATE_NAMES[state])  # handler alone loads no core)
        else:
            err(self.cmd_id, "refused", "refused (reason %d)" % refusal, "", ',"reason":%d' % refusal)

    def _line(self, now, inp, n, bad):
        """Answer the line in buf[:n]. True if it handed a command to the core."""
        rid = "null"
        code = "bad_json"
        try:
            if bad:
                raise ValueError
            req = json.loads(self.buf[:n].decode())
            code = "bad_request"
            i = req.get("id")  # AttributeError: not an object
            if i is not None:
                if type(i) is not int and type(i) is not str:
                    raise TypeError
                rid = json.dumps(i)
            cmd = req["cmd"]
            if type(cmd) is not str:
                raise TypeError
        except Exception:  # noqa: BLE001 - whatever is wrong with it, the request is refused
            err(rid, code, "not JSON in ASCII" if code == "bad_json" else
                 "not an object with a string cmd and an integer or string id")
            return False
        if cmd in _CMDS:
            from pod.core import CMD_WAKE
            self.cmd = inp.cmd = _CMDS.index(cmd) + CMD_WAKE
            self.cmd_id = rid
            return True
        if cmd == "hello":
            ok(rid, ',"pod":"%s","fw":"%s","protocol":%d' % (
                binascii.hexlify(machine.unique_id()).decode(), VERSION, PROTOCOL))
        elif cmd == "status":
            self.status(now, '"id":%s,"ok":true' % rid)
        elif cmd in _MORE:  # rarely used: their code goes back to the heap after
            try:
                lazy("pod.link", "handle", self, rid, req)
            except Exception:  # noqa: BLE001 - no heap even for its error reply: none is sent
                pass
        else:
            err(rid, "unknown_cmd", "unknown command")
        return False
