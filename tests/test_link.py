"""The serial link, end to end: the unmodified firmware on the simulated board, a host writing
JSON lines to its serial input (SimPod.send) and reading the replies it prints (pod.replies)."""
import random

import pytest

from host_tools.refusals import firmware_table
from simulator.faults import serial_garbage
from simulator.hw import simstate
from simulator.night import parse_fault
from simulator.sandbox import firmware_module
from simulator.sim import SimPod

REF = {name: n for n, name in firmware_table().items()}  # the firmware's REF_* numbers

S = 1000
M = 60 * S
START = 5 * S        # a long press here starts the night (from 05:30: 30 min of wind-down)
ASLEEP = 40 * M      # well into SLEEP
LOOP_MS = 100
NOT_NL = [b for b in range(256) if b != 10]


def new_pod(**kw):
    pod = SimPod(start_clock="05:30", **kw)
    pod.press(START, 2600)
    return pod


def watch_telemetry(pod):
    """Record when each telemetry line is printed (simulated ms)."""
    times = []
    console = pod.board.on_console

    def on_console(line):
        if line.startswith('{"t":"tel"'):
            times.append(pod.now_ms)
        console(line)

    pod.board.on_console = on_console
    return times


def assert_steady_loop(times, t0, t1):
    """One telemetry line a simulated second, on time, from t0 to t1."""
    ts = [t for t in times if t0 <= t <= t1]
    assert len(ts) >= (t1 - t0) // S - 1
    gaps = {b - a for a, b in zip(ts, ts[1:])}
    assert gaps == {S}, sorted(gaps)


def replies_for(pod, ids):
    return [r for r in pod.replies if r["id"] in ids]


def code(r):
    assert r["ok"] is False, r
    assert set(r) == {"id", "ok", "error", "sim_ms"}
    # a refusal also says why: a pod.reasons REF_* number, put into words by the host
    assert set(r["error"]) == ({"code", "message", "reason"} if r["error"]["code"] == "refused"
                               else {"code", "message"}), r
    return r["error"]["code"]


def test_hello_and_status_answer_within_a_loop_period():
    pod = SimPod(start_clock="05:30")
    pod.send({"id": 1, "cmd": "hello"}, at_ms=3000)
    pod.send({"id": "s", "cmd": "status"}, at_ms=4000)
    pod.send('{"cmd":"hello"}\r\n', at_ms=5000)
    pod.run(6000)
    hello, status, anon = pod.replies
    version = firmware_module("pod").VERSION
    assert {k: v for k, v in hello.items() if k != "sim_ms"} == {
        "id": 1, "ok": True, "pod": "240ac45eb001", "fw": version, "protocol": 1}
    assert 3000 <= hello["sim_ms"] <= 3000 + LOOP_MS
    assert status["id"] == "s" and status["ok"] is True and "t" not in status
    assert status["state"] == "IDLE" and status["reason"] == "none" and status["rc"] == "power_on"
    assert set(status) >= {"up", "rgb", "white", "tone", "vol", "bpm", "contact", "sensor", "mem"}
    assert 2500 <= status["up"] < 4000 and 4000 <= status["sim_ms"] <= 4000 + LOOP_MS
    assert anon["id"] is None and anon["ok"] is True and anon["protocol"] == 1
    assert pod.last_tel["t"] == "tel"  # telemetry goes on as before, and is no reply
    pod.close()


def test_wake_during_sleep_lights_the_pod_within_250_ms():
    pod = new_pod()
    pod.send({"id": 7, "cmd": "wake"}, at_ms=ASLEEP)
    res = pod.run(ASLEEP + 10 * S)
    [w] = res.wakes
    assert w.reason == "command" and w.trigger_ms == ASLEEP
    assert w.lit_ms is not None and w.lit_ms - ASLEEP <= 250
    [r] = pod.replies
    assert r["ok"] is True and r["id"] == 7 and r["state"] == "AWAKE"
    assert r["sim_ms"] - ASLEEP <= LOOP_MS
    assert res.resets == [] and res.final_state == "AWAKE"
    pod.close()


def test_ack_ends_an_alarm_and_start_cannot_skip_it():
    pod = new_pod()
    pod.inject("hang", ASLEEP)  # the watchdog resets the pod, which boots into ALARM
    t = ASLEEP + 10 * S
    pod.send({"id": 1, "cmd": "start"}, at_ms=t)
    pod.send({"id": 2, "cmd": "stop"}, at_ms=t + 1000)
    pod.send({"id": 3, "cmd": "wake"}, at_ms=t + 2000)
    pod.send({"id": 4, "cmd": "ack"}, at_ms=t + 3000)
    pod.send({"id": 5, "cmd": "ack"}, at_ms=t + 4000)
    res = pod.run(t + 6000)
    assert [r["cause"] for r in res.resets] == ["watchdog"]
    start, stop, wake, ack, again = pod.replies
    assert code(start) == "refused" and code(stop) == "refused"
    assert start["error"]["reason"] == stop["error"]["reason"] == REF["REF_ALARM"]
    assert wake["ok"] is True and wake["state"] == "ALARM"  # a wake does not end an alarm
    assert ack["ok"] is True and ack["state"] == "AWAKE"
    assert code(again) == "refused" and again["id"] == 5  # nothing left to acknowledge
    assert again["error"]["reason"] == REF["REF_NO_ALARM"]
    answer, evt = [e for e in res.events if e["sim_ms"] > t]  # the answer (#11), the state
    assert answer["ev"] == "answer" and answer["msg"] == "ack"
    assert evt["state"] == "AWAKE" and t + 3000 <= evt["sim_ms"] <= t + 3000 + LOOP_MS
    assert res.final_state == "AWAKE"
    pod.close()


def test_start_and_stop_by_command_and_ack_without_an_alarm_is_refused():
    pod = SimPod(start_clock="05:30")
    pod.send({"id": 1, "cmd": "ack"}, at_ms=3000)
    pod.send({"id": 2, "cmd": "start"}, at_ms=4000)
    pod.send({"id": 3, "cmd": "stop"}, at_ms=9000)
    res = pod.run(10000)
    ack, start, stop = pod.replies
    assert code(ack) == "refused" and ack["id"] == 1 and ack["error"]["reason"] == REF["REF_NO_ALARM"]
    assert start["ok"] and start["state"] == "WIND_DOWN" and stop["ok"] and stop["state"] == "IDLE"
    assert [e["state"] for e in res.events if e["ev"] == "state"] == ["WIND_DOWN", "IDLE"]
    pod.close()


def test_one_core_command_per_tick_the_next_waits():
    pod = SimPod(start_clock="05:30")
    pod.send(b'{"id":1,"cmd":"start"}\n{"id":2,"cmd":"stop"}\n{"id":3,"cmd":"hello"}\n',
             at_ms=3000)
    pod.run(4000)
    start, stop, hello = pod.replies
    assert start["state"] == "WIND_DOWN" and stop["state"] == "IDLE" and hello["ok"]
    assert stop["sim_ms"] - start["sim_ms"] == LOOP_MS  # the stop waited for the next tick
    assert hello["sim_ms"] - stop["sim_ms"] == LOOP_MS
    pod.close()


def test_bad_requests_get_error_replies():
    pod = SimPod(start_clock="05:30")
    pod.send({"id": 1, "cmd": "dance"}, at_ms=3000)
    pod.send(b'{"id":2,"cmd"\n', at_ms=3200)
    pod.send(b"[1,2]\n", at_ms=3400)
    pod.send(b'{"id":4}\n', at_ms=3600)
    pod.send(b'{"id":[5],"cmd":"hello"}\n', at_ms=3800)
    pod.send(b'{"id":true,"cmd":"hello"}\n', at_ms=4000)
    pod.send(b'{"id":7,"cmd":"hello"}\xff\n', at_ms=4200)
    pod.send(b"\n\r\n   \n", at_ms=4400)  # blank lines are ignored; spaces are not JSON
    pod.send({"id": "x", "cmd": 5}, at_ms=4600)
    pod.run(5000)
    got = [(r["id"], code(r)) for r in pod.replies]
    assert got == [(1, "unknown_cmd"), (None, "bad_json"), (None, "bad_request"),
                   (4, "bad_request"), (None, "bad_request"), (None, "bad_request"),
                   (None, "bad_json"), (None, "bad_json"), ("x", "bad_request")]
    pod.close()


def test_an_over_long_line_gets_one_error_and_a_newline_resynchronises():
    pod = SimPod(start_clock="05:30")
    pod.send(b"y" * 1000 + b"\n", at_ms=3000)  # the board's 259-byte buffer keeps the start
    pod.send({"id": 1, "cmd": "hello"}, at_ms=5000)  # ends the discarded line: lost with it
    pod.send(b'\n{"id":2,"cmd":"hello"}\n', at_ms=6000)
    pod.run(7000)
    assert pod.board.rx_dropped == 1001 - simstate.RX_MAX
    [too_long, hello] = pod.replies
    assert code(too_long) == "too_long" and too_long["id"] is None
    assert hello["id"] == 2 and hello["ok"]
    pod.close()


@pytest.mark.parametrize("rx_max", [simstate.RX_MAX, 0], ids=["esp32-buffer", "unbounded"])
def test_a_flood_and_garbage_do_not_break_the_loop(rx_max):
    pod = new_pod()
    pod.board.rx_max = rx_max
    tel = watch_telemetry(pod)
    rng = random.Random(5)
    lines = []
    for i in range(200):
        k = i % 4
        if k == 0:
            lines.append(b'{"id":%d,"cmd":"hello"}\n' % i)
        elif k == 1:
            lines.append(b'{"id":%d,"cmd":"nope"}\n' % i)
        elif k == 2:
            junk = bytes(rng.choice(NOT_NL) for _ in range(20))
            lines.append(b'{"id":%d,' % i + junk + b"\n")
        else:
            lines.append(b"z" * 300 + b"\n")
    flood = b"".join(lines)
    pod.send(flood, at_ms=ASLEEP)
    t_garbage = ASLEEP + 35 * S  # well after the flood (at most 4 replies an iteration)
    pod.send(serial_garbage(4, seed=1), at_ms=t_garbage)
    rx_left = []
    for k in range(450):  # bytes waiting, sampled between loop iterations
        pod.at(ASLEEP + 50 + k * LOOP_MS, lambda: rx_left.append(len(pod.board.rx)))
    t_hello = ASLEEP + 50 * S
    pod.send(b'\n{"id":"last","cmd":"hello"}\n', at_ms=t_hello)
    res = pod.run(t_hello + 2 * S)

    assert res.resets == [] and res.wakes == [] and res.final_state == "SLEEP"
    assert_steady_loop(tel, ASLEEP - 10 * S, t_hello + S)
    read = [a - b for a, b in zip(rx_left, rx_left[1:]) if a > b]
    assert read and max(read) <= firmware_module("pod.serial_link")._MAX_BYTES  # read per iteration
    flood_replies = [r for r in pod.replies if r["sim_ms"] < t_hello]
    per_tick = {}
    for r in flood_replies:
        per_tick[r["sim_ms"]] = per_tick.get(r["sim_ms"], 0) + 1
    assert max(per_tick.values()) <= 4
    for r in flood_replies:  # every reply is well formed; ids only for what was understood
        if r["ok"]:
            assert r["id"] % 4 == 0 and r["protocol"] == 1
        else:
            assert code(r) in ("bad_json", "too_long", "unknown_cmd")
            assert r["id"] is None or r["id"] % 4 == 1
    if rx_max == 0:  # nothing lost: the 200 lines answered in order, one reply each
        assert [r["id"] for r in flood_replies[:150]] == [
            i if i % 4 < 2 else None for i in range(150)]
        assert len([r for r in flood_replies if r["sim_ms"] < t_garbage]) == 200
    else:
        assert pod.board.rx_dropped > len(flood)
    assert pod.replies[-1]["id"] == "last" and pod.replies[-1]["ok"]
    assert pod.replies[-1]["sim_ms"] <= t_hello + LOOP_MS
    pod.close()


def test_serial_garbage_fault_leaves_the_night_alone():
    assert parse_fault("serial-garbage:8@+00:40").kind == "serial-garbage"
    pod = new_pod()
    tel = watch_telemetry(pod)
    pod.inject("serial-garbage", ASLEEP, 8)
    pod.send(b'\n{"id":1,"cmd":"status"}\n', at_ms=ASLEEP + 30 * S)
    res = pod.run(ASLEEP + 35 * S)
    assert res.resets == [] and res.wakes == [] and res.final_state == "SLEEP"
    assert_steady_loop(tel, ASLEEP - 10 * S, ASLEEP + 30 * S)
    assert pod.board.rx_dropped > 0
    assert all(code(r) in ("bad_json", "too_long", "bad_request", "unknown_cmd")
               for r in pod.replies[:-1])
    last = pod.replies[-1]
    assert last["id"] == 1 and last["ok"] and last["state"] == "SLEEP"
    pod.close()
