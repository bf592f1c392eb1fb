# pod.serial_link (the dispatcher) on MicroPython: the serial line protocol, fed through an injected stream and poller
# (simulator/hw/serialsim.py over a fake board's rx bytes), replies caught from print().
# The fake board's modules (machine, for unique_id) load first; then the firmware gets the heap
# of a 64 KB VM (mpyenv.limit), as in the other whole-firmware modules.
import builtins
import gc
import json

import machine  # a fake board module: loaded before the budget
import micropython
import mpyenv
import serialsim
import simstate

_held = mpyenv.limit()

from pod import core  # noqa: E402
from pod import serial_link as link  # noqa: E402
from pod.reasons import REF_ALARM, REF_NIGHT, REF_NO_ALARM  # noqa: E402

_real_print = builtins.print
READ_PER_TICK = 256  # pod.serial_link._MAX_BYTES (a const: not visible from here on MicroPython)


class Out:
    """Stands in for print(): keeps the last replies, parsed, and counts them."""

    def __init__(self, keep=40):
        self.keep = keep
        self.replies = []
        self.count = 0

    def print(self, s, *args, **kw):
        self.count += 1
        if len(self.replies) >= self.keep:
            self.replies.pop(0)
        self.replies.append(json.loads(s))

    def take(self):
        r = self.replies
        self.replies = []
        return r


class Rig:
    def __init__(self, rx_max=0):
        self.board = simstate.Board()
        self.board.rx_max = rx_max
        simstate.current = self.board
        self.out = Out()
        poller = serialsim.Poll()
        stream = serialsim.Stream(self.board)
        poller.register(stream, serialsim.POLLIN)
        self.link = link.Link(self.status, stream, poller)
        self.inp = core.In()
        self.state = core.IDLE
        self.cmds = []

    def status(self, now, head):
        print('{%s,"up":%d,"state":"%s"}' % (head, now, core.STATE_NAMES[self.state]))

    def send(self, data):
        if isinstance(data, dict):
            data = json.dumps(data) + "\n"
        if isinstance(data, str):
            data = data.encode()
        return self.board.feed_rx(data)

    def tick(self, now=0, refusal=0, state=None):
        """One loop iteration's worth: poll, a stand-in for the core's step, done."""
        inp = self.inp
        builtins.print = self.out.print
        try:
            self.link.poll(now, inp)
            if inp.cmd != core.CMD_NONE:
                self.cmds.append(inp.cmd)
                if state is not None:
                    self.state = state
            self.link.done(refusal, self.state)
        finally:
            builtins.print = _real_print
        inp.cmd = core.CMD_NONE
        return self.out.take()

    def ticks(self, n):
        got = []
        for _ in range(n):
            got.extend(self.tick())
        return got


def _code(r):
    assert r["ok"] is False, r
    return r["error"]["code"]


def test_hello_and_status():
    r = Rig()
    r.send({"id": 1, "cmd": "hello"})
    r.send({"id": "two", "cmd": "status"})
    r.send('{"cmd":"hello","pad":"%s"}\r\n' % ("x" * 200))
    [a, b] = r.tick(1234)  # 256 bytes a tick: the third line is not all there yet
    [c] = r.tick()
    assert a == {"id": 1, "ok": True, "pod": "240ac45eb001", "fw": "0.1.0", "protocol": 1}, a
    assert b == {"id": "two", "ok": True, "up": 1234, "state": "IDLE"}, b
    assert c["id"] is None and c["ok"] is True and c["protocol"] == link.PROTOCOL, c
    assert r.tick() == []


def test_errors():
    r = Rig()
    r.send('{"id":7,"cmd":"dance"}\n{"id":8,"cmd"\n[1,2]\n{"id":9}\n')
    r.send(b'{"id":1.5,"cmd":"hello"}\n{"id":true,"cmd":"hello"}\n\xff\x00\x80\n\n\r\n')
    got = r.ticks(3)
    assert [(x["id"], _code(x)) for x in got] == [
        (7, "unknown_cmd"), (None, "bad_json"), (None, "bad_request"), (9, "bad_request"),
        (None, "bad_request"), (None, "bad_request"), (None, "bad_json")], got


def test_over_long_line_is_discarded_with_one_error_and_the_next_line_works():
    r = Rig()
    r.send(b"z" * 1000 + b"\n" + b'{"id":2,"cmd":"hello"}\n')
    got = r.ticks(20)
    assert [x["id"] for x in got] == [None, 2], got
    assert _code(got[0]) == "too_long" and got[1]["ok"] is True
    r.send(b"q" * link.MAX_LINE + b"\n")  # exactly the limit: a line, just not JSON
    assert [_code(x) for x in r.ticks(6)] == ["bad_json"]


def test_core_commands_go_through_the_core_one_per_tick():
    r = Rig()
    r.send({"id": 1, "cmd": "wake"})
    r.send({"id": 2, "cmd": "ack"})
    r.send({"id": 3, "cmd": "hello"})
    [a] = r.tick(state=core.AWAKE)
    assert a == {"id": 1, "ok": True, "state": "AWAKE"}, a
    assert r.cmds == [core.CMD_WAKE]
    [b] = r.tick(refusal=REF_NO_ALARM)  # the ack waited a tick, then the core refused it
    assert b["id"] == 2 and _code(b) == "refused" and b["error"]["reason"] == REF_NO_ALARM, b
    [c] = r.tick()  # reading stopped at the ack: the hello comes a tick later
    assert c["id"] == 3 and c["ok"]
    assert r.cmds == [core.CMD_WAKE, core.CMD_ACK]
    r.state = core.ALARM
    r.send({"id": 4, "cmd": "start"})
    [d] = r.tick(refusal=REF_ALARM)
    assert _code(d) == "refused" and d["error"]["reason"] == REF_ALARM, d
    r.send({"id": 5, "cmd": "stop"})
    r.inp.cmd = core.CMD_ACK  # the tick already carries a command: the link waits
    builtins.print = r.out.print
    try:
        r.link.poll(0, r.inp)
    finally:
        builtins.print = _real_print
    assert r.inp.cmd == core.CMD_ACK and r.board.rx
    r.inp.cmd = core.CMD_NONE
    [e] = r.tick(state=core.IDLE)
    assert e == {"id": 5, "ok": True, "state": "IDLE"} and r.cmds[-1] == core.CMD_STOP


def test_a_flood_is_read_a_bounded_slice_per_tick():
    r = Rig()
    line = b'{"id":1,"cmd":"hello"}\n'
    for _ in range(200):
        r.send(line)
    r.send(b"\x07\xfe" * 2000)  # and binary garbage with no newline at all
    total = len(r.board.rx)
    answered = 0
    n = 0
    while r.board.rx and n < 1000:
        before = len(r.board.rx)
        got = r.tick()
        assert before - len(r.board.rx) <= READ_PER_TICK
        assert len(got) <= 4
        answered += len(got)
        n += 1
    assert answered == 201, answered  # every hello, then one too_long for the garbage
    assert n >= total // READ_PER_TICK
    r.send(b'\n{"id":3,"cmd":"hello"}\n')
    [h] = r.ticks(2)
    assert h["id"] == 3 and h["ok"]


def test_the_esp32_receive_buffer_drops_what_does_not_fit():
    r = Rig(rx_max=simstate.RX_MAX)
    kept = r.send(b"a" * 1000)
    assert kept == simstate.RX_MAX and r.board.rx_dropped == 1000 - simstate.RX_MAX
    got = r.ticks(10)
    assert [_code(x) for x in got] == ["too_long"]
    r.send(b'\n{"id":1,"cmd":"hello"}\n')  # a leading newline ends the discarded line
    [h] = r.ticks(2)
    assert h["id"] == 1 and h["ok"]


def test_an_idle_link_allocates_nothing():
    r = Rig()
    r.send({"id": 1, "cmd": "hello"})
    r.tick()  # the poller's callee-owned tuple and the like exist now
    inp = r.inp
    lk = r.link
    gc.collect()
    micropython.heap_lock()
    try:
        i = 0
        while i < 1000:
            lk.poll(i, inp)
            lk.done(0, 0)
            i += 1
    finally:
        micropython.heap_unlock()
    assert inp.cmd == core.CMD_NONE


def test_time_set_and_get_on_the_rtc_and_the_module_is_dropped_after():
    import sys
    r = Rig()
    r.send({"id": 1, "cmd": "time", "op": "set", "datetime": [2026, 12, 24, 21, 30, 5]})
    [a] = r.ticks(2)
    assert a == {"id": 1, "ok": True, "datetime": [2026, 12, 24, 21, 30, 5], "set": True}, a
    assert machine.RTC().datetime()[:7] == (2026, 12, 24, 3, 21, 30, 5)  # a Thursday
    assert "pod.link.control" not in sys.modules  # its code went back to the heap
    r.send({"id": 2, "cmd": "time", "op": "set", "datetime": [2026, 12, 24, 21, 60, 0]})
    r.send({"id": 3, "cmd": "time"})
    [b, c] = r.ticks(4)
    assert _code(b) == "bad_request" and "datetime[4]" in b["error"]["message"], b
    assert _code(c) == "bad_request", c


def test_reset_is_refused_during_a_night_and_marked_deliberate_otherwise():
    from pod.marker import Marker
    r = Rig()
    m = Marker()
    m.active = 1
    m.save()
    r.send({"id": 1, "cmd": "reset"})
    r.send({"id": 2, "cmd": "maintenance"})
    [a, b] = r.ticks(2)
    assert _code(a) == "refused" and _code(b) == "refused", (a, b)
    assert a["error"]["reason"] == b["error"]["reason"] == REF_NIGHT, (a, b)  # no app: a night
    m.active = 0
    m.failed_boots = 2
    m.save()
    r.send({"id": 3, "cmd": "maintenance"})
    reset = None
    try:
        r.tick()
    except simstate.Reset as e:
        reset = e
    assert reset is not None and reset.cause == machine.HARD_RESET
    assert r.out.replies[-1] == {"id": 3, "ok": True}, r.out.replies
    assert r.board.rtc_mem == b"PD\x00\x00\x00\x02\x96"  # what boot.py takes as the request
