# The firmware's resident heap, measured the same way on any MicroPython port: `make bench`
# runs it on the 64-bit unix port and on the 32-bit WebAssembly port (simulator/bench_mpy32.py,
# bench/heap32.mjs) to give the figures at the ESP32's word size.
#
#   micropython -X heapsize=1M bench/heap32.py ROOT FW HOUSEHOLD TICKS
#
# or, where gc.collect() cannot collect inside a running program (the WebAssembly port only
# marks a collection as pending and runs it when control returns to JavaScript, where no
# pointer can hide in the WebAssembly stack): heap32.start(ROOT, FW, HOUSEHOLD, TICKS) once,
# then heap32.step() as separate top-level calls until it returns True. Every figure is read at
# the start of a step, after the collection that the previous step asked for, and every step
# is the same call, so whatever the call itself holds cancels out of the differences.
#
# ROOT is a folder holding hw/ (simulator/hw), mpy/ (tests/mpy) and this file; FW holds the
# `pod` package (firmware/ or its mpy-cross build); HOUSEHOLD is 1 for a household's pod (a
# child's, its parent a fake station on the same simulated air), 0 for a pod alone. Prints one
# JSON object as its last line:
#   harness_bytes    gc.mem_alloc() after a collection once the fake board, its sensor model,
#                    serial port and radio, and this harness are loaded: what a real pod has
#                    built in or physical (both scenarios load exactly the same harness)
#   firmware_bytes   gc.mem_alloc() after a collection once the App is booted as
#                    tests/mpy/test_household_app_mpy.py boots it (the stored program read, the
#                    App built, with HOUSEHOLD pod.household.hook started, the serial link made,
#                    a night started), minus harness_bytes
#   resident_max_bytes  the most the firmware held after a collection before any of TICKS
#                    measured loop ticks (a night in SLEEP, after 320 unmeasured ones)
#   tick_peak_bytes  the most heap any of those ticks needed: resident before the tick (after a
#                    collection) plus everything the tick allocated (the collector off during
#                    the tick, so nothing it made is freed before it is counted). This is exact
#                    for "how much heap a tick needs if the collector ran just before it"; a
#                    sample after each tick without collecting would instead count whatever
#                    garbage earlier ticks left, which depends on the heap's size
#   tick_alloc_max_bytes, tick_alloc_total_bytes  what the ticks allocated, the most and in all
#   resident_end_bytes  the firmware after the ticks and a collection
import gc
import sys

KEY_HEX = "5eed" * 16
PARENT_MAC = b"\x24\x0a\xc4\x5e\xb1\x00"
CHILD_MAC = b"\x24\x0a\xc4\x5e\xb1\x01"
SLEEP_PROG = {"version": 1, "wind_down": {"minutes": 0},
              "sleep": {"night_light": 5}, "wake": {"after_min": 600}}
HOUSEHOLD_JSON = ('{"role": "child", "id": 1, "name": "kid1", "channel": 6, "key": "%s", '
                  '"peers": [{"id": 0, "name": "parent", "role": "parent", '
                  '"mac": "24:0a:c4:5e:b1:00"}]}' % KEY_HEX)


def _drop_pod():
    for k in list(sys.modules):
        if k == "pod" or k.startswith("pod."):
            del sys.modules[k]


class _S:
    pass


S = _S()  # the run's state, between steps (module globals: reachable at the top level)


def start(root, fw, household, ticks):
    S.root, S.fw, S.household, S.ticks = root, fw, household, ticks
    S.phase = 0
    S.i = 0
    S.rec = rec = {"household": household, "ticks": ticks}
    for k in ("harness_bytes", "firmware_bytes", "resident_max_bytes", "tick_peak_bytes",
              "tick_alloc_max_bytes", "tick_alloc_total_bytes", "resident_end_bytes"):
        rec[k] = 0  # every key made now: the dict does not grow between two readings


def _harness():
    # as tests/mpy/runner.py orders them: the fake board first (its machine.py, time.py and
    # neopixel.py stand in for the board's built-in modules), then the firmware, then tests/mpy
    for p in (S.root + "/mpy", S.fw, S.root + "/hw"):
        sys.path.insert(0, p)
    import uos
    if not hasattr(uos, "urandom"):  # (the WebAssembly port; an ESP32 has it)
        sys.path.insert(0, S.root + "/shim")
    import json  # noqa: F401 - the output's (and what make_app stores program.json with)
    import time  # noqa: F401

    import air
    import espnow  # noqa: F401 - every fake module the firmware may import, loaded now
    import machine  # noqa: F401
    import network  # noqa: F401
    import podfix
    import serialsim
    from sleeper import WAVE  # noqa: F401 - (the quiet sensor's pulse shape)

    b = podfix.new_board(sensor=podfix.QuietSensor(60))
    _drop_pod()  # podfix imported pod.board: the firmware is loaded afresh by the boot
    podfix.pins = None
    hub = air.Air(delay_ms=5)
    parent = hub.station(PARENT_MAC, None)
    parent.wlan_active = parent.espnow_active = True
    hub.station(CHILD_MAC, b)  # the pod's radio
    stream = serialsim.Stream(b)
    poll = serialsim.Poll()
    poll.register(stream, serialsim.POLLIN)
    podfix.enter_scratch()
    if S.household:
        with open("household.json", "w") as f:
            f.write(HOUSEHOLD_JSON)
    podfix.silence_print(True)
    S.podfix, S.board, S.parent, S.serial = podfix, b, parent, (stream, poll)
    S.app = None
    S.base = S.res_max = S.peak = S.one_max = S.total = 0


def _boot():
    # as tests/mpy/test_household_app_mpy.py boots it
    podfix = S.podfix
    b, a = podfix.make_app(SLEEP_PROG, board=S.board)
    if S.household:
        from pod.household import hook
        hook.start(a)
        if hook.live is None or not hasattr(hook.live, "node"):
            raise RuntimeError("the household did not start: " + hook.why)
    from pod import serial_link
    a.link = serial_link.Link(a.telemetry, S.serial[0], S.serial[1])
    podfix.quiet_outputs(True)
    podfix.start_session(b, a)
    S.app = a


def _finish():
    import json
    a, rec = S.app, S.rec
    rec["state"] = a.pod.state
    if S.household:
        from pod import app
        live = app.household.live
        rec["frames_sent"] = live.node.radio.tx_ok
        rec["household_errors"] = live.errors
    S.podfix.silence_print(False)
    S.podfix.quiet_outputs(False)
    v = sys.implementation.version
    rec["micropython"] = "%d.%d.%d" % (v[0], v[1], v[2])
    rec["machine"] = getattr(sys.implementation, "_machine", "")
    rec["mpy_version"] = getattr(sys.implementation, "_mpy", 0) & 0xFF
    rec["word_bytes"] = 8 if sys.maxsize > 2 ** 32 else 4
    print(json.dumps(rec))


def step():
    """One step of the run; True when it is over (the figures printed)."""
    m0 = gc.mem_alloc()  # what the previous step left, collected
    ph = S.phase
    if ph == 0:
        _harness()
    elif ph == 1:
        S.base = m0
        S.rec["harness_bytes"] = m0
    elif ph == 2:
        _boot()
    elif ph == 3:
        S.rec["firmware_bytes"] = m0 - S.base
        S.podfix.run_ticks(S.board, S.app, 320)  # (unmeasured: the night settles)
    elif ph == 4:  # one measured tick a step
        import time  # (the fake board's: not before _harness has set sys.path)
        b = S.board
        b.advance_us(100000)
        now = time.ticks_ms()
        gc.disable()
        m0 = gc.mem_alloc()
        S.app.tick(now)
        m1 = gc.mem_alloc()
        gc.enable()
        if m0 > S.res_max:
            S.res_max = m0
        if m1 > S.peak:
            S.peak = m1
        if m1 - m0 > S.one_max:
            S.one_max = m1 - m0
        S.total += m1 - m0
        S.parent.n = 0  # the parent station reads nothing: its frames are not kept
        S.i += 1
        if S.i < S.ticks:
            ph = 3
    else:
        rec = S.rec
        rec["resident_max_bytes"] = S.res_max - S.base
        rec["tick_peak_bytes"] = S.peak - S.base
        rec["tick_alloc_max_bytes"] = S.one_max
        rec["tick_alloc_total_bytes"] = S.total
        rec["resident_end_bytes"] = m0 - S.base
        _finish()
        return True
    S.phase = ph + 1
    gc.collect()  # (on the WebAssembly port: done when this step has returned)
    return False


def main(root, fw, household, ticks):
    start(root, fw, household, ticks)
    while not step():
        gc.collect()


if __name__ == "__main__" and len(sys.argv) == 5:
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
