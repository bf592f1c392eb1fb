"""The link's rarely used commands on the whole simulated pod: time set/get, a deliberate reset,
the one-shot maintenance boot, and Ctrl-C bytes on the serial line (data for the running
firmware, not an interrupt)."""
import shutil

import pytest

from host_tools.refusals import code_of
from simulator import FIRMWARE_DIR
from simulator.hw import simstate
from simulator.sim import SimPod

S = 1000
M = 60 * S
START = 5 * S
ASLEEP = 40 * M
MAINT_REQUEST = b"PD\x00\x00\x00\x02\x96"


def new_pod(**kw):
    pod = SimPod(start_clock="05:30", **kw)
    pod.press(START, 2600)
    return pod


def code(r):
    assert r["ok"] is False, r
    return r["error"]["code"]


def test_time_set_and_get_drive_the_rtc():
    pod = SimPod(start_clock="05:30")
    pod.board.rtc_set(3600)  # 2000-01-01 01:00: never set since power-on
    pod.send({"id": 1, "cmd": "time", "op": "get"}, at_ms=3000)
    pod.send({"id": 2, "cmd": "time", "op": "set", "datetime": [2026, 12, 24, 21, 0, 0]}, at_ms=4000)
    pod.send({"id": 3, "cmd": "time", "op": "get"}, at_ms=14000)
    pod.send({"id": 4, "cmd": "time", "op": "set", "datetime": [2026, 2, 30, 25, 0, 0]}, at_ms=15000)
    pod.send({"id": 5, "cmd": "time", "op": "set", "datetime": "now"}, at_ms=15500)
    pod.send({"id": 6, "cmd": "time", "op": "fly"}, at_ms=16000)
    pod.run(17000)
    get0, st, get1, bad, bad2, bad3 = pod.replies
    assert get0["set"] is False and get0["datetime"][:4] == [2000, 1, 1, 1]
    assert st["ok"] and st["datetime"] == [2026, 12, 24, 21, 0, 0] and st["set"] is True
    assert get1["datetime"][:5] == [2026, 12, 24, 21, 0] and 9 <= get1["datetime"][5] <= 10  # runs on
    assert code(bad) == "bad_request" and "datetime[3]" in bad["error"]["message"]
    assert code(bad2) == "bad_request" and code(bad3) == "bad_request"
    assert simstate.civil_from_days(pod.board.rtc_seconds() // 86400 + simstate.EPOCH_2000_DAYS) == (2026, 12, 24)
    pod.close()


def test_a_deliberate_reset_restarts_without_an_alarm_and_is_refused_during_a_night():
    pod = SimPod(start_clock="05:30")
    pod.send({"id": 1, "cmd": "reset"}, at_ms=3000)
    pod.send({"id": 2, "cmd": "status"}, at_ms=6000)
    pod.send({"id": 3, "cmd": "start"}, at_ms=7000)
    pod.send({"id": 4, "cmd": "reset"}, at_ms=9000)
    pod.send({"id": 5, "cmd": "maintenance"}, at_ms=9500)
    res = pod.run(12000)
    ok, status, start, refused, refused2 = pod.replies
    assert ok == {"id": 1, "ok": True, "sim_ms": ok["sim_ms"]}
    assert [r["cause"] for r in res.resets] == ["hard"]
    assert status["rc"] == "hard" and status["state"] == "IDLE" and status["reason"] == "none"
    assert start["state"] == "WIND_DOWN"
    assert code(refused) == "refused" and code(refused2) == "refused"
    assert refused["error"]["reason"] == refused2["error"]["reason"] == code_of("REF_NIGHT")
    assert res.wakes == [] and res.final_state == "WIND_DOWN"  # the night goes on
    pod.close()


def test_under_a_lamp_in_the_night_a_reset_is_refused_for_the_night_not_for_a_wake():
    """A tap in the night lights a lamp (AWAKE, quiet): the night is what holds a reset back,
    and the reply says so; a host's wake then calls, and the reply says that instead."""
    pod = new_pod()
    pod.press(ASLEEP, 120)  # a tap: a lamp, the night goes on underneath
    pod.send({"id": 1, "cmd": "reset"}, at_ms=ASLEEP + 2 * S)
    pod.send({"id": 2, "cmd": "wake"}, at_ms=ASLEEP + 3 * S)
    pod.send({"id": 3, "cmd": "maintenance"}, at_ms=ASLEEP + 4 * S)
    res = pod.run(ASLEEP + 6 * S)
    lamp, wake, calling = pod.replies
    assert code(lamp) == "refused" and lamp["error"]["reason"] == code_of("REF_NIGHT")
    assert wake["ok"] and wake["state"] == "AWAKE"
    assert code(calling) == "refused" and calling["error"]["reason"] == code_of("REF_WAKE_CALLING")
    assert res.resets == [] and pod.lit()
    pod.close()


def test_reset_and_maintenance_are_refused_in_an_alarm():
    pod = new_pod()
    pod.inject("hang", ASLEEP)  # the watchdog resets the pod into ALARM
    t = ASLEEP + 10 * S
    pod.send({"id": 1, "cmd": "maintenance"}, at_ms=t)
    pod.send({"id": 2, "cmd": "reset"}, at_ms=t + 500)
    res = pod.run(t + 3000)
    assert [code(r) for r in pod.replies] == ["refused", "refused"]
    assert [r["error"]["reason"] for r in pod.replies] == [code_of("REF_ALARM")] * 2
    assert [r["cause"] for r in res.resets] == ["watchdog"] and res.final_state == "ALARM"
    assert pod.lit() and pod.sounding()
    pod.close()


def test_maintenance_boots_once_without_the_watchdog_then_the_pod_is_back():
    pod = SimPod(start_clock="05:30")
    pod.keep_console = True
    pod.send({"id": 1, "cmd": "maintenance"}, at_ms=3000)
    pod.send({"id": 2, "cmd": "hello"}, at_ms=8000)  # a plain REPL: the pod firmware is not there
    pod.advance_to(60 * S)
    assert pod.replies[0]["ok"] is True and len(pod.replies) == 1
    assert [r["cause"] for r in pod.res.resets] == ["hard"]
    b = pod.board
    assert b.wdt_timeout_ms == 0 and b.wdt_deadline == -1  # no watchdog: a minute at the REPL, no reset
    [at] = [i for i, ln in enumerate(pod.console) if '"ev":"maintenance"' in ln]
    assert not any(ln.startswith('{"t":"tel"') for ln in pod.console[at:])  # nothing runs
    # a reset (mpremote reset, the EN button) boots normally: the flag was used up
    b.schedule(b.us + 1000, _hard_reset)
    pod.send({"id": 3, "cmd": "status"}, at_ms=65 * S)
    pod.advance_to(66 * S)
    status = pod.replies[-1]
    assert status["id"] == 3 and status["state"] == "IDLE" and status["reason"] == "none"
    assert b.wdt_timeout_ms == 5000
    pod.close()


def _hard_reset():
    raise simstate.Reset(simstate.HARD_RESET)


def test_a_forgotten_maintenance_boot_returns_to_normal_after_10_minutes():
    pod = SimPod(start_clock="05:30")
    pod.send({"id": 1, "cmd": "maintenance"}, at_ms=3000)
    pod.send({"id": 2, "cmd": "status"}, at_ms=9 * M)   # still at the REPL: no answer
    pod.send({"id": 3, "cmd": "status"}, at_ms=12 * M)
    res = pod.run(12 * M + 2 * S)
    assert [r["id"] for r in pod.replies] == [1, 3]
    assert [r["cause"] for r in res.resets] == ["hard", "hard"]
    assert 10 * M <= res.resets[1]["t_ms"] <= 10 * M + 5 * S
    st = pod.replies[-1]
    assert st["state"] == "IDLE" and st["reason"] == "none" and st["rc"] == "hard"
    assert pod.board.wdt_timeout_ms == 5000


def test_a_maintenance_request_found_during_a_night_is_ignored():
    """The flag is only honoured in exactly the idle state it is written in: a marker saying a
    night is under way never boots into maintenance, whatever else it holds."""
    pod = new_pod()
    pod.advance_to(ASLEEP)
    m = bytearray(pod.board.rtc_mem)
    assert m[2] == 1  # a night is under way
    m[5] = 2
    m[6] = sum(m[:6]) & 0xFF
    pod.board.rtc_mem = bytes(m)
    pod.board.schedule(pod.board.us + 1000, _hard_reset)
    res = pod.run(ASLEEP + 5 * S)
    assert res.final_state == "ALARM" and pod.lit()  # a reset mid-night wakes, as any other
    assert pod.board.wdt_timeout_ms == 5000


def test_ctrl_c_bytes_do_not_interrupt_the_night():
    pod = new_pod()
    pod.send(b"\x03" * 20 + b"\n" + b"\x03\r\n", at_ms=ASLEEP)
    pod.send({"id": 1, "cmd": "status"}, at_ms=ASLEEP + 5 * S)
    res = pod.run(ASLEEP + 10 * S)
    assert res.resets == [] and res.wakes == [] and res.final_state == "SLEEP"
    assert pod.replies[-1]["id"] == 1 and pod.replies[-1]["state"] == "SLEEP"


def test_without_kbd_intr_off_a_ctrl_c_byte_would_wake_the_sleeper(tmp_path):
    """Why boot.py and the application turn Ctrl-C off: otherwise one 0x03 byte of line noise
    raises KeyboardInterrupt, which escapes main.py; only the watchdog ends that, mid-night: an
    alarm."""
    fw = tmp_path / "firmware"
    shutil.copytree(FIRMWARE_DIR, fw)
    for f in (fw / "boot.py", fw / "pod" / "app.py"):
        src = f.read_text()
        assert "    micropython.kbd_intr(-1)\n" in src, f
        f.write_text(src.replace("    micropython.kbd_intr(-1)\n", "    pass\n"))
    pod = SimPod(fw_dir=fw, start_clock="05:30")
    pod.press(START, 2600)
    pod.send(b"\x03", at_ms=ASLEEP)
    res = pod.run(ASLEEP + 10 * S)
    assert [r["cause"] for r in res.resets] == ["watchdog"]
    assert res.final_state == "ALARM" and [w.reason for w in res.wakes] == ["watchdog"]


@pytest.mark.parametrize("cmd", ["reset", "maintenance"])
def test_reset_and_maintenance_leave_the_exact_marker_boot_py_reads(cmd):
    """Between the command and the next boot, RTC memory holds the marker: idle, no failed
    boots, deliberate 1 (reset) or 2 (the maintenance request boot.py compares byte for byte)."""
    pod = SimPod(start_clock="05:30")
    pod.send({"id": 1, "cmd": cmd}, at_ms=3000)
    pod.advance_to(3300)  # the reset has happened; the board is still booting
    assert [r["cause"] for r in pod.res.resets] == ["hard"]
    assert pod.board.rtc_mem == (MAINT_REQUEST if cmd == "maintenance" else b"PD\x00\x00\x00\x01\x95")
    pod.close()
