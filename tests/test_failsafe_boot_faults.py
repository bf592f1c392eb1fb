"""The fail-safe soak's findings, each pinned down as a fixed scenario on the whole simulated pod
(the real firmware on the fake board) under the safety monitor. Where the firmware was wrong,
the test shows the sleeper is now woken in time; where the monitor's estimate was wrong, it
shows what the pod does (as real hardware would) and that the monitor now agrees."""
import json

from simulator.failsafe import SafetyMonitor
from simulator.recorder import first_on
from simulator.sim import BOOT_DELAY_MS, SimPod

M = 60 * 1000
WDT_MS = 5000
# A night that is asleep 5 s after the long press (no wind-down), with a quick no-signal grace.
PROGRAM = {"version": 1, "wind_down": {"minutes": 0, "breaths_per_min": 0},
           "sleep": {"hr_hold_s": 10, "no_signal_min": 1, "night_light": 0},
           "wake": {"sunrise_min": 15, "sound_lead_min": 0, "at": "00:00"}}


def asleep():
    """A pod whose night is under way (asleep) at 8000 ms, watched by the safety monitor."""
    pod = SimPod(start_clock="22:30", seed=1)
    pod.fs.path("program.json").write_text(json.dumps(PROGRAM))
    mon = SafetyMonitor(pod, hold_ms=10000, grace_ms=M)
    mon.advance(3000)
    mon.long_press()
    mon.advance(5000)
    assert pod.state == "SLEEP"
    return pod, mon


def run(steps, then_ms=20000):
    pod, mon = asleep()
    for kind, arg, after in steps:
        mon.fault(kind, arg)
        mon.advance(after)
    mon.advance(then_ms)
    pod.close()
    return pod, mon


def resets(pod, cause=None):
    return [r["t_ms"] for r in pod.res.resets if cause is None or r["cause"] == cause]


def struck(pod, kind, injected):
    [s] = [s for k, t, s in pod.struck if (k, t) == (kind, injected)]
    return s


def test_crashes_piled_up_in_a_boot_loop_light_the_pod_within_a_second():
    """Finding 1 (the firmware): three boot crashes, then two crashes 300 ms apart while the
    board reboots. Both crashes strike in the first moments of the next boot, and the boot
    crash strikes inside main.py's crash handler, as it imports pod.failsafe. The handler used to
    let that escape: the board sat at the REPL, dark, until the watchdog reset it 5 s later.
    Now a failing handler resets at once and the next boot's verdict lights the pod."""
    pod, mon = run([("boot-crash", 3, 1500), ("crash", 0, 300), ("crash", 0, 3000)])
    first = struck(pod, "crash", 9500)
    assert first is not None and first >= 9500
    assert resets(pod, "watchdog") == []  # nothing waited for the watchdog
    lit = first_on(pod._lit_log, first)
    assert lit is not None and lit - first <= 1000, (first, pod._lit_log)
    assert any(e.get("ev") == "safe_mode" for e in pod.res.events)  # the boot loop is seen
    assert mon.violations == []


def test_a_hang_while_the_board_reboots_after_a_power_cut_strikes_once_the_code_runs():
    """Finding 2 (the monitor): a hang injected 300 ms into a 5 s power cut can only strike
    once power is back and the board has booted (0.6 s); the watchdog resets 5 s after that,
    and the pod is lit within 1 s of the reset. The monitor dated the hang from power-back,
    without the boot, and so expected light 0.6 s too early."""
    pod, mon = run([("power-cut", 5, 300), ("hang", 0, 20000)])
    back = 8000 + 5000
    s = struck(pod, "hang", 8300)
    assert s is not None and s >= back + BOOT_DELAY_MS
    [wd] = resets(pod, "watchdog")
    assert s < wd <= s + WDT_MS
    lit = first_on(pod._lit_log, s)
    assert lit is not None and lit <= wd + 1000
    assert pod.state == "ALARM"
    assert mon.violations == []


def test_a_power_cut_ends_a_hang():
    """Finding 3 (the monitor): a hang, then a 60 s power cut 300 ms later. Losing power ends
    the hang; there is nothing left for the watchdog to reset, and the pod wakes within 1 s of
    power returning (power_cut). The monitor only counted resets as ending a hang."""
    pod, mon = run([("hang", 0, 300), ("power-cut", 60, 70000)], then_ms=0)
    assert struck(pod, "hang", 8000) == 8000
    assert resets(pod, "watchdog") == []
    assert resets(pod) == [8300 + 60000]
    lit = first_on(pod._lit_log, 8300 + 60000)
    assert lit is not None and lit <= 8300 + 60000 + 1000
    assert pod.state == "ALARM"
    assert mon.violations == []


def test_a_crash_on_a_hung_board_never_strikes_and_the_watchdog_wakes():
    """Found while settling these: a crash injected into a hung board cannot raise (no code
    runs), so its 1 s bound cannot apply; the hang's bound (watchdog + 1 s) does. The
    monitor used to demand light 1 s after the crash."""
    pod, mon = run([("hang", 0, 300), ("crash", 0, 20000)])
    assert struck(pod, "crash", 8300) is None
    [wd] = resets(pod, "watchdog")
    assert wd <= 8000 + WDT_MS
    lit = first_on(pod._lit_log, 8000)
    assert lit is not None and lit <= 8000 + WDT_MS + 1000
    assert mon.violations == []


def test_a_hang_pending_while_the_board_boots_strikes_before_a_later_boot_loop():
    """Found while settling these: a hang injected while the board reboots after a crash is
    still pending when boot crashes are injected (a reset). It strikes on the next boot,
    before the boot crashes can, so the watchdog reset comes first; the pod is lit 1 s after
    it and the boot crashes then end in safe mode. The monitor expected the safe mode as if
    the hang were not there."""
    pod, mon = run([("crash", 0, 600), ("hang", 0, 300), ("boot-crash", 3, 20000)])
    s = struck(pod, "hang", 8600)
    assert s is not None and s >= 8900 + BOOT_DELAY_MS  # after the boot crashes' reset
    [wd] = resets(pod, "watchdog")
    assert s < wd <= s + WDT_MS
    lit = first_on(pod._lit_log, s)
    assert lit is not None and lit <= wd + 1000
    assert any(e.get("ev") == "safe_mode" for e in pod.res.events)
    assert mon.violations == []


def test_a_crash_before_the_verdict_after_a_power_cut_still_lights_the_pod():
    """Found by the soak after these: power returns mid-night, and errors strike before the
    boot's verdict has run (one in boot.py, a boot crash in main.py's own call of the
    verdict). RTC memory is lost with the power, so the crash handler did not know a night
    was under way: it reset the board dark, and the pod lit only on the boot after. The
    handler now reads the session file in flash when RTC memory holds no marker."""
    pod, mon = run([("boot-crash", 3, 1500), ("power-cut", 1, 600), ("crash", 0, 600)])
    s = struck(pod, "crash", 10100)
    assert s is not None and s >= 9500 + 1000 + BOOT_DELAY_MS  # once power is back and booted
    lit = first_on(pod._lit_log, s)
    assert lit is not None and lit - s <= 1000, (s, pod._lit_log)
    assert pod.state == "ALARM"
    assert mon.violations == []


def test_a_boot_that_fails_before_its_verdict_counts_toward_the_boot_loop():
    """Found by the deep soak after these: power returns (no night under way), and the first
    boot fails before its verdict is saved, then boot crashes follow. RTC memory held no
    marker on the next boot, so that boot was taken for a fresh power-on and the count of
    failed boots began again: three boots crashed and no safe mode came. A reset (not a
    power-on) that finds no marker now counts the boot before it as failed."""
    pod = SimPod(start_clock="22:30", seed=1)
    mon = SafetyMonitor(pod)
    mon.advance(3000)
    mon.fault("power-cut", 5)
    mon.advance(300)
    mon.fault("crash")     # strikes as the first boot after power runs
    mon.advance(700)
    mon.fault("boot-crash", 3)  # the next boots crash too
    mon.advance(20000)
    pod.close()
    assert struck(pod, "crash", 3300) is not None
    assert [r["cause"] for r in pod.res.resets] == ["power_on", "hard", "hard", "hard"]
    [safe] = [e["sim_ms"] for e in pod.res.events if e.get("ev") == "safe_mode"]
    assert first_on(pod._lit_log, safe - 1000) is not None
    assert first_on(pod._sound_log, safe - 1000) is not None
    assert mon.violations == []


def test_after_a_corrupt_program_the_default_programs_grace_applies():
    """Found by the deep soak (the monitor): the program file is corrupted, the board reboots
    and falls back to the default program, and a later night runs on it. Its no-signal grace
    (10 min) is the one the pod keeps; the monitor still expected the broken program's 1 min."""
    pod, mon = asleep()
    for kind, after in (("corrupt-program", 300), ("boot-crash", 20000)):
        mon.fault(kind, 1)
        mon.advance(after)
    for _ in range(3):  # acknowledge the crash alarm, switch off, start a new night
        mon.long_press()
        mon.advance(5000)
    assert pod.state == "WIND_DOWN"  # the default program's 30 min
    mon.advance(31 * M)
    assert pod.state == "SLEEP"
    t = pod.now_ms
    mon.fault("i2c-stuck")
    mon.advance(12 * M)
    pod.close()
    lit = first_on(pod._lit_log, t)
    assert lit is not None and 10 * M <= lit - t <= 10 * M + 1000
    assert mon.violations == []
