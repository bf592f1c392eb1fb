"""Where the merged pieces meet the fail-safe: a flash or heap that fails while a night runs
must never stop the loop nor lose the night's wake. The unmodified firmware on the simulated
board; the failure is injected at the board's filesystem or import machinery."""
import errno

from storagekit import Host, program_bytes

from host_tools.refusals import code_of
from simulator import sandbox
from simulator.sim import SimPod

S = 1000
M = 60 * S
# a short night: no wind-down, a 30-minute sleep with a 15-minute sunrise
SHORT = dict(wind_down={"minutes": 0}, wake={"after_min": 30, "sunrise_min": 15,
                                             "sound_lead_min": 1})


WRITE_ERROR: dict[SimPod, BaseException] = {}  # see fail_writes


def night_pod(prog: bytes):
    pod = SimPod(start_clock="22:30")
    real = pod.fs.open

    def open_(p, mode="r", *a, **kw):  # the board's open(), as the firmware is given it
        exc = WRITE_ERROR.get(pod)
        if exc is not None and any(c in mode for c in "wax+"):
            raise exc
        return real(p, mode, *a, **kw)

    pod.fs.open = open_
    pod.advance(2 * S)
    r = Host(pod).upload(prog)
    assert r["ok"], r
    return pod


def start_night(pod):
    pod.press(pod.now_ms + 100, 2600)
    pod.advance(4 * S)
    assert pod.state in ("WIND_DOWN", "SLEEP"), pod.state


def fail_writes(pod, exc):
    """From now on every open of a file for writing raises exc (flash full, heap full)."""
    WRITE_ERROR[pod] = exc


def assert_woke_on_schedule(pod, t_start):
    wakes = [w for w in pod.res.wakes if w.reason == "scheduled"]
    assert wakes, pod.res.wakes
    w = wakes[0]
    assert w.lit_ms is not None and w.sound_ms is not None
    assert t_start + 29 * M <= w.lit_ms <= t_start + 31 * M
    assert pod.res.resets == []  # the loop never stopped: no crash, no watchdog


def test_flash_full_all_night_never_stops_the_loop():
    pod = night_pod(program_bytes("Short", after_min=30, **SHORT))
    fail_writes(pod, OSError(errno.ENOSPC, "no space"))
    t0 = pod.now_ms
    start_night(pod)
    pod.advance(35 * M)
    assert_woke_on_schedule(pod, t0)
    pod.close()


def test_heap_full_at_every_flash_write_never_stops_the_loop():
    # open() allocates a file object and its buffer: on a fragmented heap the journal's
    # append or the session flag raises MemoryError, not OSError
    pod = night_pod(program_bytes("Short", after_min=30, **SHORT))
    fail_writes(pod, MemoryError())
    t0 = pod.now_ms
    start_night(pod)
    pod.advance(35 * M)
    assert_woke_on_schedule(pod, t0)
    pod.close()


def test_no_heap_for_the_smart_wake_module_still_starts_the_night(monkeypatch):
    # pod.smart is imported when a night with a wake window starts: if the heap cannot take
    # it, the night must run (without the early wake), not crash back to a dark idle pod
    prog = program_bytes("Window", after_min=30, **dict(SHORT, wake={
        "after_min": 30, "sunrise_min": 15, "sound_lead_min": 1, "window_min": 10}))
    pod = night_pod(prog)
    real = sandbox.Sandbox._load

    def load(self, name):
        if name == "pod.smart":
            raise MemoryError("memory allocation failed")
        return real(self, name)

    monkeypatch.setattr(sandbox.Sandbox, "_load", load)
    t0 = pod.now_ms
    start_night(pod)
    pod.advance(35 * M)
    assert [w.reason for w in pod.res.wakes] == ["scheduled"]
    assert_woke_on_schedule(pod, t0)
    pod.close()


def test_no_heap_for_the_serial_lines_mid_night_never_stops_the_loop(monkeypatch):
    # a heap too fragmented for a line of text (telemetry, an event, a reply to a request,
    # the JSON of a request) for a while in the night: the lines are lost, the night is not
    heap_out = []
    real_print = sandbox.Sandbox._print

    def print_(self, *a, **kw):
        if heap_out:
            raise MemoryError("memory allocation failed")
        return real_print(self, *a, **kw)

    monkeypatch.setattr(sandbox.Sandbox, "_print", print_)
    pod = night_pod(program_bytes("Short", after_min=30, **SHORT))
    t0 = pod.now_ms
    start_night(pod)
    pod.advance(5 * M)
    heap_out.append(True)
    fail_writes(pod, MemoryError())
    for i in range(20):
        pod.send({"id": i, "cmd": "status"})
        pod.send(b"not json\n")
        pod.send({"id": "a%d" % i, "cmd": "ack"})  # refused (no alarm): a reply after the step
        pod.advance(3 * S)
    heap_out.clear()
    WRITE_ERROR.pop(pod)
    pod.advance(30 * M)
    assert_woke_on_schedule(pod, t0)
    pod.close()


def sounds_within_a_second(pod) -> bool:
    """The wake's melody has rests: whether it sounds within the next second (a check at one
    instant would depend on where the boot put the loop's ticks)."""
    for _ in range(10):
        if pod.sounding():
            return True
        pod.advance(100)
    return pod.sounding()


def test_reset_and_maintenance_wait_until_the_wake_stops_sounding():
    # a scheduled wake is AWAKE, no longer a night in the RTC marker, but its sound is still
    # waking the sleeper: a reset (or a deploy's maintenance boot) then would end it dark
    pod = night_pod(program_bytes("Short", after_min=30, **SHORT))
    host = Host(pod)
    host.n = 5000  # past the ids of the upload's requests
    start_night(pod)
    pod.advance(31 * M)
    assert pod.state == "AWAKE" and sounds_within_a_second(pod) and pod.lit()
    for cmd in ("reset", "maintenance"):
        r = host.call(cmd=cmd)
        assert not r["ok"] and r["error"]["code"] == "refused", r
        assert r["error"]["reason"] == code_of("REF_WAKE_CALLING"), r
    pod.advance(2 * S)
    assert pod.state == "AWAKE" and sounds_within_a_second(pod) and pod.lit() and pod.res.resets == []
    pod.press(pod.now_ms + 100)  # the sleeper taps: silenced, awake, the light stays
    pod.advance(2 * S)
    assert not pod.sounding()
    assert host.call(cmd="reset")["ok"]
    pod.advance(3 * S)
    assert len(pod.res.resets) == 1 and not [w for w in pod.res.wakes if w.reason != "scheduled"]
    pod.close()


def test_a_crash_or_hang_while_the_wake_calls_the_sleeper_boots_into_the_alarm():
    """A scheduled wake that nobody has answered is still a promise: the sleeper may be asleep
    under it. A crash or a hang then must not reboot the pod idle and dark: it comes back in
    ALARM, lit and sounding, until a person acknowledges it."""
    for fault, cause in (("crash", "hard"), ("hang", "watchdog")):
        pod = night_pod(program_bytes("Short", after_min=30, **SHORT))
        start_night(pod)
        pod.advance(31 * M)
        assert pod.state == "AWAKE" and pod.sounding()
        pod.advance(3 * S)  # the marker is kept in step once a second
        pod.inject(fault, pod.now_ms + 100)
        pod.advance(10 * S)
        assert [r["cause"] for r in pod.res.resets] == [cause]
        assert pod.state == "ALARM" and pod.lit() and pod.sounding(), (fault, pod.state)
        pod.close()


def test_a_wake_answered_by_a_tap_is_no_longer_a_night():
    # once the sleeper has tapped, a reset is an ordinary reset: idle, no alarm
    pod = night_pod(program_bytes("Short", after_min=30, **SHORT))
    start_night(pod)
    pod.advance(31 * M)
    pod.press(pod.now_ms + 100)
    pod.advance(3 * S)
    pod.inject("crash", pod.now_ms + 100)
    pod.advance(10 * S)
    assert [r["cause"] for r in pod.res.resets] == ["hard"]
    assert pod.state == "IDLE" and not pod.sounding()
    pod.close()
