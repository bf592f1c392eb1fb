# The steady-state loop allocates nothing: the whole App on the fake board, on MicroPython.
#
# What is asserted, exactly:
# - every loop iteration that does not print the 1 Hz telemetry line runs with the heap locked
#   (micropython.heap_lock), so one allocated byte would raise MemoryError. That includes the
#   iterations that read the sensor's FIFO (every 400 ms) and feed the estimator, the 1 Hz rate
#   update, strip writes, PWM changes and the watchdog feed;
# - the telemetry iteration (one in ten) allocates: it reads the RTC (a tuple) and formats the
#   JSON line. Its bytes are measured with the collector off and held under TEL_MAX_BYTES; the
#   average per iteration, telemetry included, is printed.
# Two stand-ins make the fake board itself allocation-free, or the lock would catch the fakes,
# not the firmware: podfix.QuietSensor replaces the simulator's MAX30102 model (which builds
# bytes and floats per read), and the fake NeoPixel.write copies in place instead of into a
# new bytes object. Both are what the real hardware does: a register read into the caller's
# buffer, and a bitstream out of the strip's own buffer.
#
# The serial link is polled every iteration, locked too: the App's link reads a fake board's
# serial input (simulator/hw/serialsim.py, handed to it as on the pod sys.stdin would be), idle
# while measured; test_link_answers_then_idles_without_allocating sends it a request between
# two locked minutes.
#
# The unix port is 64-bit, so an integer that would need a heap-allocated big int on the
# 32-bit ESP32 (2**30 and beyond) is still a small int here and the lock cannot catch it:
# test_maths_stays_in_esp32_small_ints checks those ranges directly instead.
import gc

import mpyenv
import podfix
import serialsim

TEL_MAX_BYTES = 1024  # per telemetry line, on this 64-bit port
TICKS = 600           # one minute of the 10 Hz loop

# The fake boards and sensors are made before the budget: they are not the firmware's.
_boards = [podfix.new_board(sensor=podfix.QuietSensor(60)) for _ in range(4)]
_serial = []
for _b in _boards:
    _s = serialsim.Stream(_b)
    _p = serialsim.Poll()
    _p.register(_s, serialsim.POLLIN)
    _serial.append((_s, _p))
_held = mpyenv.limit()  # from here on the firmware has the heap of a 64 KB VM

SLEEP_PROG = {"version": 1, "wind_down": {"minutes": 0},
              "sleep": {"night_light": 5}, "wake": {"after_min": 600}}
WIND_DOWN_PROG = {"version": 1,
                  "wind_down": {"minutes": 30, "breaths_per_min": 6, "volume": 20},
                  "wake": {"after_min": 600}}


def _setup(prog):
    podfix.enter_scratch()
    podfix.silence_print(True)
    b, a = podfix.make_app(prog, board=_boards.pop())
    from pod import serial_link
    a.link = serial_link.Link(a.telemetry, *_serial.pop())
    podfix.quiet_outputs(True)
    podfix.start_session(b, a)
    podfix.run_ticks(b, a, 320)  # past the 30 s "stable" marker write and the first rates
    return b, a


def _teardown():
    podfix.silence_print(False)
    podfix.quiet_outputs(False)
    podfix.leave_scratch()
    # the next test boots the firmware afresh, as a pod does: modules loaded after boot (the
    # journal) are not in the heap while the next App reads its files
    import sys
    gc.collect()
    for k in list(sys.modules):
        if k == "pod" or k.startswith("pod."):
            del sys.modules[k]
    # and the board that ran it lets go of that App (its pins' handlers hold it, and through
    # it the old copy of every firmware module): one firmware in the heap at a time, as on a pod
    podfix.simstate.current = None
    gc.collect()


def _check(res, label):
    avg = res.per_tick()
    print("  (firmware held to %d bytes free at start; %d bytes of ballast over the fake board)"
          % (mpyenv.FREE_64K, _held))
    print("  %s: %d locked iterations (%d with a FIFO read): 0 bytes each; %d telemetry "
          "iterations: %d bytes max; %.1f bytes per iteration on average" % (
              label, res.steady, res.reads, res.tel, res.tel_max, avg))
    assert res.steady + res.tel == TICKS
    assert res.steady_bytes == 0
    assert res.tel == TICKS // 10, res.tel
    # a FIFO read every 400 ms; one in five falls on a telemetry iteration
    assert res.reads >= TICKS // 4 - TICKS // 20 - 2, res.reads
    assert res.tel_max <= TEL_MAX_BYTES, res.tel_max


def test_sleep_loop_allocates_nothing_between_telemetry_lines():
    from pod import core
    try:
        b, a = _setup(SLEEP_PROG)
        assert a.pod.state == core.SLEEP, core.STATE_NAMES[a.pod.state]
        assert a.heart.ok and a.heart.bpm10 > 0
        samples = a.heart.dev.overflows, b.i2c[0x57].samples
        feeds = b.wdt_feeds
        res = podfix.measure_ticks(b, a, TICKS)
        assert a.pod.state == core.SLEEP
        assert 550 <= a.heart.bpm10 <= 650, a.heart.bpm10  # the QuietSensor's 60 bpm
        assert b.i2c[0x57].samples - samples[1] >= TICKS * 4 // 10 - 10  # 25 Hz, all read
        assert a.heart.dev.overflows == samples[0]
        assert b.wdt_feeds - feeds == TICKS
    finally:
        _teardown()
    _check(res, "SLEEP")


def test_wind_down_loop_allocates_nothing_between_telemetry_lines():
    from pod import board, core
    try:
        b, a = _setup(WIND_DOWN_PROG)
        assert a.pod.state == core.WIND_DOWN, core.STATE_NAMES[a.pod.state]
        strip = bytes(b.strips[board.STRIP_PIN])
        duty = b.pwm[board.BUZZER_PIN][1]
        duties = 0
        res = podfix.Alloc()
        for _ in range(TICKS // 10):  # measure in 1 s slices to see the outputs move
            res.add(podfix.measure_ticks(b, a, 10))
            d = b.pwm[board.BUZZER_PIN][1]
            if d != duty:
                duties += 1
                duty = d
        assert a.pod.state == core.WIND_DOWN
        assert bytes(b.strips[board.STRIP_PIN]) != strip  # the strip was rewritten, locked
        assert duties >= TICKS // 20  # the soothing tone swelled and faded, locked
    finally:
        _teardown()
    _check(res, "WIND_DOWN")


def test_link_answers_then_idles_without_allocating():
    from pod import core
    try:
        b, a = _setup(SLEEP_PROG)
        res = podfix.measure_ticks(b, a, TICKS // 2)
        printed = podfix.printed[0]
        b.feed_rx(b'{"id":1,"cmd":"hello"}\n{"id":2,"cmd":"status"}\n')
        podfix.run_ticks(b, a, 2)  # unlocked: a request allocates (parsing, the reply)
        assert not b.rx
        assert podfix.printed[0] - printed >= 2
        res.add(podfix.measure_ticks(b, a, TICKS // 2))
        assert a.pod.state == core.SLEEP
    finally:
        _teardown()
    _check(res, "SLEEP, link used")


CHECK_PROG = {"version": 1, "wind_down": {"minutes": 0},
              "wake": {"after_min": 10, "sunrise_min": 15, "sound_lead_min": 0, "check_min": 2}}


def test_wake_up_check_looks_its_minute_without_allocating():
    """The morning's wake answered (`ack`), the person up (a waking 90 bpm): from check_min on,
    the check looks at every iteration for a minute; pod.wakecheck is loaded at its first look
    and let go after the minute, and the iterations in between are locked."""
    import sys

    from pod import core
    try:
        b, a = _setup(CHECK_PROG)
        sensor = b.i2c[0x57]
        while a.pod.state != core.AWAKE:
            podfix.run_ticks(b, a, 10)
        a.inp.cmd = core.CMD_ACK
        podfix.run_ticks(b, a, 1)
        assert a.pod.silenced and not a.pod.night and a.pod.unanswered()
        sensor.bpm = 90  # up and about
        podfix.run_ticks(b, a, 1100)
        gc.collect()
        before = gc.mem_free()
        podfix.run_ticks(b, a, 110)  # to the check's due time and 10 s into its minute
        assert "pod.wakecheck" in sys.modules and a.pod.unanswered()
        gc.collect()
        during = gc.mem_free()
        assert 850 <= a.heart.bpm10 <= 950, a.heart.bpm10
        res = podfix.measure_ticks(b, a, 300)  # 30 s of its looks
        assert a.pod.silenced and a.pod.unanswered()
        podfix.run_ticks(b, a, 300)  # past the minute: the person is up, the check ends
        assert "pod.wakecheck" not in sys.modules and not a.pod.unanswered()
        assert a.pod.state == core.AWAKE and a.pod.silenced
    finally:
        _teardown()
    print("  wake-up check looking: %d locked iterations: 0 bytes each; %d telemetry "
          "iterations: %d bytes max; free heap %d before it is due, %d while it looks"
          % (res.steady, res.tel, res.tel_max, before, during))
    assert res.steady_bytes == 0 and res.steady + res.tel == 300


def test_estimator_feed_allocates_nothing():
    from array import array

    import micropython

    from pod import hr
    est = hr.Estimator(25)
    q = podfix.QuietSensor(72)
    buf = array("i", [0] * 32)
    for i in range(32):
        buf[i] = q._ir(i * 40)
    est.add(buf[0], q._red(0))
    gc.collect()
    micropython.heap_lock()
    try:
        t = 0
        for _ in range(100):
            for _i in range(32):
                est.add(q._ir(t), q._red(t))
                t += 40
            est.bpm10()
    finally:
        micropython.heap_unlock()
    assert 700 <= est.bpm10() <= 740, est.bpm10()


MAX_SMALL = (1 << 30) - 1  # small ints on a 32-bit MicroPython: -2**30 .. 2**30 - 1
MIN_SMALL = -(1 << 30)
SPAN = 12 * 3600 * 1000    # the longest session (the cap): 12 h in ms


def _small(*vals):
    for v in vals:
        assert MIN_SMALL <= v <= MAX_SMALL, v


def test_maths_stays_in_esp32_small_ints():
    """Intermediate values of the loop's integer maths, for spans up to the 12 h cap.

    The expressions below restate the ones in pod.light, pod.sound and pod.core (each result
    is compared with the function's, so a change of formula shows up here); the check is that
    no intermediate needs 31 bits or more, i.e. no big int (an allocation) on the ESP32."""
    from pod import core, light, sound
    M = 0x3FFFFFFF
    # core.ticks_diff(a, b) = (a - b + 2**29) & mask - 2**29. The core always passes the later
    # tick first (now, then a start time), wrapped or not: a - b + 2**29 stays small for any
    # elapsed time below 2**29 ms (6 days). (Called the other way round across the wrap it
    # would reach 1.5 * 2**30: correct, but a big int on the ESP32.)
    for t0 in (0, 12345, (1 << 30) - 5000, (1 << 30) - SPAN // 2, (1 << 29) + 7, M):
        for el in (0, 1, 999, 3600 * 1000, SPAN - 1, SPAN):
            now = (t0 + el) & M
            _small(now - t0, now - t0 + 0x20000000)
            assert core.ticks_diff(now, t0) == el
    # light.progress, lerp, breathe and sound.soothe_volume over a whole session
    for total in (1, 60000, 30 * 60000, 4 * 3600 * 1000, SPAN):
        for el in (0, 1, total // 3, total - 1, total, SPAN):
            a = el // 100
            _small(a * 1000, total // 100 + 1)
            p = light.progress(el, total)
            assert 0 <= p <= 1000
            for lo, hi in ((2700, 1800), (400, 50), (600, 6500), (0, 65535)):
                _small((hi - lo) * p, lo + (hi - lo) * p // 1000)
                assert light.lerp(lo, hi, p) == lo + (hi - lo) * p // 1000
            for period in (5000, 10000, 60000):  # breaths_per_min 12 .. 1
                ph = el % period
                _small(ph * 1000, (period - ph) * 1000, 1000 * 300 // 1000 * 500)
                v = light.breathe(1000, el, period, 300)
                assert 700 <= v <= 1300, v
            ph = el % 10000
            _small(ph * 800, 1000 * (200 + 5000 * 800 // 5000))
            assert 0 <= sound.soothe_volume(el, 1000) <= 1000
            _small(el // 300, el // 150)
            sound.wake_tone(el)
            sound.alarm_tone(el)
            _small(p * p, (6500 - 600) * (p * p // 1000))
            light.sunrise_kelvin(p)
            _small(1000 * (p - 500), 1000 * p)  # wake level x progress, volume x progress
    for lvl in (0, 1, 500, 999, 1000):
        i = lvl // 25
        _small((65535 - 61388) * (lvl - i * 25), 255 * 65535 + 32767)
        light.level_to_u16(lvl)
    # a scheduled wake: (wake_at_s - clock_s) % 86400 * 1000 is at most a day in ms
    _small(86399 * 1000)


def test_validator_is_freed_after_boot():
    # pod.stored_load.load (through pod.lazy) imports the store and the validator (about 9 KB here) and drops them:
    # what stays is the plan and the settings (a Plan holds no reference into pod.program,
    # so none of the module survives)
    import sys

    import pod
    from pod import app, plan  # noqa: F401 - the small modules that stay, loaded first
    podfix.enter_scratch()
    try:
        gc.collect()
        before = gc.mem_alloc()
        loaded = pod.lazy("pod.stored_load", "load")
        p = loaded[1]
        src = loaded[2][1]
        loaded = None
        gc.collect()
        kept = gc.mem_alloc() - before
    finally:
        podfix.leave_scratch()
    assert src == 2 and p.wake_at_s == 7 * 3600
    for gone in ("pod.program", "pod.flash_store", "pod.stored_load", "pod.file_spec"):
        assert gone not in sys.modules, gone
    assert kept < 1024, kept
