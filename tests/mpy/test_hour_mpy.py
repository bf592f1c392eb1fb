# A simulated hour of the whole firmware on MicroPython: boot.py, then main.py, on the fake
# board, with the simulated sleeper on the MAX30102 model, the firmware held to the heap of a
# 64 KB VM (see mpyenv.py). A long press at 5 s starts a session with the built-in program
# (30 min wind-down, wake at 07:00; the clock says 22:30); the hour ends in SLEEP.
#
# The firmware's files (session.mark...) go to a scratch folder made in the current directory
# (tests/test_micropython.py runs the VM in a temporary one) and removed afterwards.
import gc
import json
import os
import time  # noqa: F401 - loaded before the budget, as json is: built into the ESP32's image

import machine  # noqa: F401 - the fake board's modules are loaded before the budget
import mpyenv
import neopixel  # noqa: F401
import simstate
from max30102sim import MAX30102Sim
from sleeper import Sleeper

HOUR_US = 3600 * 1000000
BUTTON = 27  # pod.board.BUTTON_PIN (not imported: the firmware is loaded inside the budget)
WORKDIR = "pod-hour.tmp"
NOV_23_2026 = 9823  # days from 2000-01-01


class Console:
    """Stands in for print() while the firmware runs: keeps the events, counts telemetry."""

    def __init__(self, real_print):
        self.real = real_print
        self.events = []       # (state, reason, ev, up ms)
        self.tel = 0
        self.min_mem = 1 << 30
        self.other = 0
        self.tel_head = False  # a telemetry line's first piece came (end="")
        self.tel_state = ""     # the last telemetry line's first piece
        self.tel_rest = ""      # ...and its rest

    def print(self, *args, **kw):
        s = args[0] if args else ""
        if not isinstance(s, str):
            s = str(s)
        if s.startswith('{"t":"tel"'):  # a telemetry line's first piece (end="": pod.app)
            self.tel_head = True
            self.tel_state = s
            return
        if self.tel_head:  # ...and its rest
            self.tel_head = False
            self.tel += 1
            self.tel_rest = s  # (joined only after the run: no block in the budget for it)
            i = s.rfind('"mem":')
            if i > 0:
                m = int(s[i + 6:-1])
                if m < self.min_mem:
                    self.min_mem = m
            return
        if s.startswith('{"t":"evt"'):
            e = json.loads(s)
            self.events.append((e["state"], e["reason"], e["ev"], e.get("up", -1)))
        else:
            self.other += 1
            self.real(*args, **kw)


def _end():
    raise simstate.SimEnd()


# (podfix has the same helper, but importing podfix would load pod.board before the heap
# budget is set, and this test wants every firmware module loaded inside it)
def _clean(d):
    try:
        for name in os.listdir(d):
            os.remove(d + "/" + name)
        os.rmdir(d)
    except OSError:
        pass


def _read(name):
    with open(mpyenv.FIRMWARE_SRC + "/" + name) as f:
        return f.read()


def test_an_hour_of_the_whole_firmware_without_memory_error():
    import builtins

    board = simstate.Board()
    simstate.current = board
    board.rtc_set(NOV_23_2026 * 86400 + 22 * 3600 + 30 * 60)
    sleeper = Sleeper(1)
    sensor = MAX30102Sim(sleeper)
    board.i2c[0x57] = sensor
    board.schedule(5 * 1000000, lambda: board.set_input(BUTTON, 0))
    board.schedule(7600000, lambda: board.set_input(BUTTON, 1))
    board.schedule(HOUR_US, _end)
    boot_src = _read("boot.py")
    main_src = _read("main.py")
    con = Console(builtins.print)
    _clean(WORKDIR)
    os.mkdir(WORKDIR)
    os.chdir(WORKDIR)
    ended = False
    crash = None
    held = free_end = -1
    try:
        builtins.print = con.print
        held = mpyenv.limit()
        try:
            exec(boot_src, {"__name__": "__main__"})
            exec(main_src, {"__name__": "__main__"})
        except simstate.SimEnd:
            ended = True
        except BaseException as e:  # noqa: BLE001 - a reset, a crash: report it below
            crash = e
        gc.collect()
        free_end = gc.mem_free()
    finally:
        builtins.print = con.real
        mpyenv.release()
        os.chdir("..")
        _clean(WORKDIR)
    print("  %d bytes of ballast held for the fake board: the firmware had %d bytes free at "
          "start" % (held, mpyenv.FREE_64K))
    print("  after the hour: gc.mem_free() %d bytes (after a collection); lowest free heap in "
          "telemetry %d bytes; %d telemetry lines; %d watchdog feeds" % (
              free_end, con.min_mem, con.tel, board.wdt_feeds))
    print("  last telemetry: " + con.tel_state + con.tel_rest)
    if crash is not None:
        raise AssertionError("the firmware did not run the hour: %r (events %r)" % (
            crash, con.events))
    assert ended
    assert board.us == HOUR_US
    states = [e[0] for e in con.events]
    assert states == ["IDLE", "AWAKE", "WIND_DOWN", "SLEEP"], con.events
    assert con.events[0][2] == "boot"
    up_sleep = con.events[3][3]
    assert 30 * 60000 <= up_sleep - con.events[2][3] <= 30 * 60000 + 200, con.events
    assert con.other == 0  # nothing but JSON lines on the console (no traceback)
    assert con.tel >= 3590, con.tel
    last = json.loads(con.tel_state + con.tel_rest)
    assert last["state"] == "SLEEP" and last["reason"] == "none"
    assert last["sensor"] == "ok" and last["contact"]
    assert last["bpm"] is not None
    assert abs(last["bpm"] - sleeper.true_hr(board.us // 1000)) <= 5, (
        last["bpm"], sleeper.true_hr(board.us // 1000))
    assert board.wdt_feeds >= 35900  # fed on every 100 ms iteration
    assert free_end > 0
