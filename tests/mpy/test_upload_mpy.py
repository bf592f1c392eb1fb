# A program upload over the serial link, the journal read back and the config changed, while the
# whole App runs a night on the fake board, on MicroPython with the firmware held to the heap of
# a 64 KB VM (mpyenv.limit): the storage commands load their code (pod.link, pod.flash_store,
# the validator) beside a running night and must fit. The lowest free heap seen is printed.
import binascii
import builtins
import gc
import json
import os

import mpyenv
import podfix
import serialsim

_board = podfix.new_board(sensor=podfix.QuietSensor(60))
_stream = serialsim.Stream(_board)
_poll = serialsim.Poll()
_poll.register(_stream, serialsim.POLLIN)
_held = mpyenv.limit()

PROGRAM = {"version": 1, "name": "Uploaded on mpy",
           "wind_down": {"minutes": 20, "kelvin_start": 2600, "brightness_start": 30,
                         "breaths_per_min": 6, "volume": 25},
           "sleep": {"night_light": 3, "hr_low": 42, "hr_high": 125, "hr_hold_s": 45},
           "wake": {"at": "06:45", "sunrise_min": 25, "sound_lead_min": 5, "volume": 55}}


class Replies:
    """Stands in for print(): keeps the last reply line (a line with an id) as it is, and
    counts the others. Nothing is parsed or stored while a request runs, so the test itself
    leaves no objects behind in the middle of the code a request loads."""

    def __init__(self):
        self.last = None
        self.lines = 0
        self.pieces = [None] * 16  # a reply printed in pieces (end=""), kept as printed
        self.n = 0
        self.tel = False  # a telemetry line's first piece came

    def print(self, s, end="\n"):
        if self.tel:  # the rest of a telemetry line printed in two pieces (pod.app)
            self.tel = False
            self.lines += 1
            return
        if end != "\n" and s.startswith('{"t":"tel"'):
            self.tel = True
            return
        if end != "\n" or self.n:  # the firmware's pieces end "", the last one "\n"
            self.pieces[self.n] = s
            self.n += 1
            if end == "\n":
                self.lines += 1
                self.last = self.pieces  # joined by reply(), once the request is over
            return
        self.lines += 1
        if s.startswith('{"id"'):
            self.last = s

    def reply(self):
        """The last reply, parsed (outside the firmware's request). A long reply in pieces is
        not joined (this test's heap is the firmware's: a 700-byte line would need a block
        that big): its data is checked piece by piece, and given as data_n (bytes) and
        data_byte (the value of every byte if they are all the same, else -1)."""
        r = self.last
        self.last = None
        if r is not self.pieces:
            return json.loads(r)
        p = self.pieces
        n = self.n
        if sum(len(x) for x in p[:n]) <= 256:
            d = json.loads("".join(p[:n]))
        else:
            d = json.loads(p[0] + '"}')
            d["data"] = None
            size = 0
            byte = -2
            for x in p[1:n - 1]:
                chunk = binascii.a2b_base64(x)
                for v in chunk:
                    byte = v if byte == -2 else (byte if v == byte else -1)
                size += len(chunk)
            d["data_n"] = size
            d["data_byte"] = byte
        self.n = 0
        for i in range(len(p)):
            p[i] = None
        return d


def _upload(call, data, rid):
    """The commit's reply; or, if a step of the upload was refused for want of memory, that
    refusal (the upload then aborted, as podctl does)."""
    r = call({"id": rid, "cmd": "program", "op": "begin", "size": len(data),
              "crc": binascii.crc32(data)}, True)
    if r["ok"]:
        for off in range(0, len(data), 96):
            chunk = binascii.b2a_base64(data[off:off + 96]).decode().strip()
            r = call({"id": rid, "cmd": "program", "op": "chunk", "off": off, "data": chunk}, True)
            if not r["ok"]:
                break
        else:
            return call({"id": rid, "cmd": "program", "op": "commit"}, True)
    assert r["error"]["code"] == "storage" and "memory" in r["error"]["message"], r
    call({"id": rid, "cmd": "program", "op": "abort"}, True)
    return r


def _check_commit(r, data, before, app):
    """A commit either stored `data` whole, or was refused for want of memory and left the
    stored program as it was (`before`, or none); never anything in between."""
    names = os.listdir()
    assert "program.tmp" not in names or not r["ok"]  # (an abort may find no heap either;
    stored = None                                      # the next begin or boot clears it)
    if "program.json" in names:
        with open("program.json", "rb") as f:
            stored = f.read()
    if r["ok"]:
        assert r["name"] == json.loads(data)["name"], r
        assert stored is not None and stored.startswith(data + b"\n#pod1 ")
    else:
        assert r["error"]["code"] == "storage" and "memory" in r["error"]["message"], r
        assert (stored is None) if before is None else stored.startswith(before + b"\n#pod1 ")


def test_upload_commit_logs_and_config_beside_the_running_firmware():
    import time

    from pod import core
    from pod import serial_link as link
    podfix.enter_scratch()
    rep = Replies()
    real_print = builtins.print
    low = [1 << 30]
    try:
        b, a = podfix.make_app(board=_board)
        a.link = link.Link(a.telemetry, _stream, _poll)
        a.link.app = a
        builtins.print = rep.print
        podfix.run_ticks(b, a, 100)

        def call(req, may_go_unanswered=False):
            b.feed_rx((json.dumps(req) + "\n").encode())
            for _ in range(20):
                b.advance_us(100000)
                a.tick(time.ticks_ms())
                gc.collect()
                if gc.mem_free() < low[0]:
                    low[0] = gc.mem_free()
                if rep.last is not None:
                    return rep.reply()
            if may_go_unanswered:  # not even the heap for an error reply
                return {"ok": False, "error": {"code": "storage", "message": "no reply: memory"}}
            raise AssertionError("no reply to %r" % req)

        # a night: logs and config beside it
        podfix.start_session(b, a)
        podfix.run_ticks(b, a, 650)  # past the first minute: a heart-rate record written
        r = call({"id": 5, "cmd": "logs", "op": "list"})
        assert r["ok"] and r["files"][0]["name"] == "jr00001.bin", r
        r = call({"id": 6, "cmd": "logs", "op": "read", "name": "jr00001.bin", "off": 0, "n": 96})
        assert r["ok"] and binascii.a2b_base64(r["data"])[0] == 0xA5, r
        # a full-size read (pod.link.file_read.READ_MAX, 512 bytes) beside the night: answered,
        # with as much as this heap has room for (at least 96 bytes; the host reads on)
        with open("jr00099.bin", "wb") as f:
            f.write(b"\x5a" * 600)
        r = call({"id": 61, "cmd": "logs", "op": "read", "name": "jr00099.bin", "off": 0, "n": 512})
        os.remove("jr00099.bin")
        assert r["ok"] and 48 <= r["data_n"] <= 512 and r["data_byte"] == 0x5a, r
        print("  a 512-byte read beside the night (64 KB budget, 64-bit port): %d bytes"
              % r["data_n"])
        r = call({"id": 7, "cmd": "config", "op": "set", "config": {"wake_level": 700}}, True)
        names = os.listdir()
        assert "settings.tmp" not in names
        if r["ok"]:
            assert r["config"]["wake_level"] == 700 and a.pod.settings.wake_level == 700
            assert "settings.json" in names
        else:
            assert r["error"]["code"] == "storage" and "memory" in r["error"]["message"], r
            assert "settings.json" not in names and a.pod.settings.wake_level == 800
        outcome = ["done" if r["ok"] else "refused (no memory)"]
        # an upload mid-night: committed for the next night, or (no room for the validator
        # beside the night) refused cleanly; either way the night goes on, the files whole
        second = json.dumps(PROGRAM).encode()
        r = _upload(call, second, 8)
        _check_commit(r, second, None, a)
        outcome.append("committed for the next night" if r["ok"] else "refused (no memory: %s)"
                       % r["error"]["message"][:40])
        if r["ok"]:
            assert a.plan_stale
        podfix.run_ticks(b, a, 50)
        assert a.pod.state == core.WIND_DOWN and a.heart.ok
        builtins.print = real_print
        print("  mid-night: logs list/read done; config set %s; program commit %s; lowest free "
              "heap between requests (after a collection): %d bytes" % (
                  outcome[0], outcome[1], low[0]))
    finally:
        builtins.print = real_print
        podfix.leave_scratch()
