"""Whole simulated nights: the unmodified firmware on the fake board, as a sleeper lives them."""
import json
import subprocess
import sys

import pytest

from simulator.night import FaultSpec, NightSpec, parse_fault, run_night

H = 3600 * 1000
M = 60 * 1000

# A short night for speed: from 05:30 the default program (wake 07:00, 30 min wind-down and
# 30 min sunrise) has 30 min of each phase.
SHORT = dict(start_clock="05:30")


@pytest.fixture(scope="module")
def default_night():
    res, pod = run_night(NightSpec())
    yield res
    pod.close()


def states_in_order(res):
    out = []
    for s in res.samples:
        if not out or out[-1] != s.state:
            out.append(s.state)
    return out


def test_default_night_walks_every_phase(default_night):
    res = default_night
    assert states_in_order(res) == ["IDLE", "AWAKE", "WIND_DOWN", "SLEEP", "WAKE_RAMP", "AWAKE",
                                    "IDLE"]
    assert res.resets == []
    assert res.final_state == "IDLE"


def test_default_night_wakes_at_seven_with_a_sunrise_from_six_thirty(default_night):
    res = default_night
    [wake] = res.wakes
    assert wake.reason == "scheduled"
    clock = lambda ms: (res.start_clock_s + ms // 1000) % 86400  # noqa: E731
    assert abs(clock(wake.trigger_ms) - (6 * 3600 + 30 * 60)) <= 2  # sunrise starts 06:30
    assert abs(clock(wake.lit_ms) - 7 * 3600) <= 2                   # full light at 07:00
    assert abs(clock(wake.sound_ms) - (6 * 3600 + 50 * 60)) <= 2     # sound 10 min before
    # to the loop tick: between its once-a-second RTC reads the pod counts the clock on with
    # ticks_ms, milliseconds included, so the night's start is timed to the tick, not the second
    ramp = next(e for e in res.events if e.get("state") == "WAKE_RAMP")
    sunrise_ms = (6 * 3600 + 30 * 60 - res.start_clock_s) % 86400 * 1000
    assert sunrise_ms - 100 <= ramp["sim_ms"] <= sunrise_ms + 200


def test_the_room_is_dark_and_quiet_while_asleep(default_night):
    sleep = [s for s in default_night.samples if s.state == "SLEEP"]
    assert len(sleep) > 6 * 3600
    assert all(s.rgb == (0, 0, 0) and s.white == 0 and s.volume == 0 for s in sleep)


def test_heart_rate_is_tracked_through_the_night(default_night):
    pairs = [(s.bpm, s.hr_true) for s in default_night.samples
             if s.state == "SLEEP" and s.bpm is not None]
    sleep = [s for s in default_night.samples if s.state == "SLEEP"]
    assert len(pairs) > 0.95 * len(sleep)  # an estimate nearly every second
    mae = sum(abs(b - t) for b, t in pairs) / len(pairs)
    assert mae < 3.0


def test_sunrise_colour_warms_up_then_whitens(default_night):
    ramp = [s for s in default_night.samples if s.state == "WAKE_RAMP"]
    q = len(ramp) // 4
    early, late = ramp[q].rgb, ramp[-2].rgb
    assert early[0] > early[1] * 3 and early[2] == 0  # red
    assert late[2] > 200                               # near white


def fault_night(kind, at_ms, arg=0, **kw):
    spec = NightSpec(faults=[FaultSpec(kind, at_ms, arg)], get_up=False, duration_ms=at_ms + 20 * M,
                     **{**SHORT, **kw})
    res, pod = run_night(spec)
    pod.close()
    return res


def after(t_ms, since_ms):
    """Latency in ms; a wake that never happened is a failure, not a type error."""
    assert t_ms is not None, "never happened"
    return t_ms - since_ms


def only_wake(res):
    assert len(res.wakes) == 1, res.wakes
    return res.wakes[0]


def test_button_lights_the_pod_within_250_ms():
    w = only_wake(fault_night("button", 40 * M))
    assert w.reason == "button" and w.trigger_ms == 40 * M
    assert after(w.lit_ms, w.trigger_ms) <= 250


def test_serial_wake_lights_the_pod_within_250_ms():
    w = only_wake(fault_night("serial-wake", 40 * M))
    assert w.reason == "command" and w.trigger_ms == 40 * M
    assert after(w.lit_ms, w.trigger_ms) <= 250


def test_hang_is_caught_by_the_watchdog_and_lit_within_timeout_plus_1s():
    res = fault_night("hang", 40 * M)
    w = only_wake(res)
    assert w.reason == "watchdog"
    assert [r["cause"] for r in res.resets] == ["watchdog"]
    assert after(w.lit_ms, w.trigger_ms) <= 5000 + 1000
    assert w.sound_ms is not None and res.final_state == "ALARM"


def test_crash_wakes_within_1s_without_waiting_for_the_watchdog():
    res = fault_night("crash", 40 * M)
    w = only_wake(res)
    assert w.reason == "crash" and after(w.lit_ms, w.trigger_ms) <= 1000
    assert res.final_state == "ALARM"


def test_power_cut_mid_session_wakes_within_1s_of_power_returning():
    res = fault_night("power-cut", 40 * M, 30)
    w = only_wake(res)
    back = res.resets[0]["t_ms"]
    assert res.resets[0]["cause"] == "power_on" and back == 40 * M + 30000
    assert w.reason == "power_cut" and after(w.lit_ms, back) <= 1000


def test_boot_loop_ends_in_safe_mode_that_is_lit_and_sounding():
    res = fault_night("boot-crash", 40 * M, 3)
    w = only_wake(res)
    assert w.reason == "boot_loop" and w.lit_ms is not None and w.sound_ms is not None
    assert len(res.resets) >= 3


def test_dead_sensor_while_asleep_wakes_with_its_own_reason():
    w = only_wake(fault_night("i2c-dead", 40 * M))
    assert w.reason == "no_signal"
    assert 10 * M <= after(w.lit_ms, w.trigger_ms) <= 10 * M + 2000


@pytest.mark.parametrize("kind,reason", [("hr-low", "hr_low"), ("hr-high", "hr_high")])
def test_heart_rate_out_of_band_wakes(kind, reason):
    w = only_wake(fault_night(kind, 40 * M))
    assert w.reason == reason and w.sound_ms is not None
    assert after(w.lit_ms, w.trigger_ms) <= 60000 + 1000  # the hold time plus 1 s
    assert after(w.lit_ms, w.trigger_ms) >= 60000 - 2500  # not more than a beat early


def test_corrupt_program_file_falls_back_and_the_night_goes_on():
    res = fault_night("corrupt-program", 40 * M)
    assert res.wakes == [] and res.final_state == "SLEEP"


def test_fault_spec_parsing_one_clock():
    """@HH:MM is a clock time, @+HH:MM the time since the night started."""
    assert parse_fault("power-cut:60@+02:30") == FaultSpec("power-cut", 150 * M, 60)
    assert parse_fault("power-cut:60@01:00", "22:30") == FaultSpec("power-cut", 150 * M, 60)
    assert parse_fault("hang@+00:00:05").at_ms == 5000
    assert parse_fault("hang@22:30:05", "22:30").at_ms == 5000
    assert parse_fault("hang@06:10", "05:30").at_ms == 40 * M
    for bad in ("hang", "melt@01:00", "hang@1:99", "hr-low:x@01:00", "hang@25:00",
                "hr-low:500@01:00", "hang:3@01:00", "hang@+1:99"):
        with pytest.raises(ValueError):
            parse_fault(bad)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_cli_night_json_contract():
    p = run_cli("night", "--json", "--start", "05:30", "--fault", "hang@06:10")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out) >= {"wakes", "resets", "final_state"}
    [w] = out["wakes"]
    assert set(w) == {"reason", "trigger_ms", "lit_ms", "sound_ms", "wake_at_ms"}
    assert w["wake_at_ms"] == w["trigger_ms"]  # an alarm: no sunrise before it
    assert w["reason"] == "watchdog" and isinstance(w["lit_ms"], int)
    assert out["resets"] == [{"t_ms": out["resets"][0]["t_ms"], "cause": "watchdog"}]
    # the fault echoed both ways: the clock time given, and the time since the start
    assert out["faults"] == [{"kind": "hang", "at_ms": 40 * M, "arg": 0, "clock": "06:10",
                              "after_start": "40 min after start"}]


def test_cli_rejects_bad_input_clearly(tmp_path):
    p = run_cli("night", "--fault", "melt@01:00")
    assert p.returncode == 2 and "unknown kind 'melt'" in p.stderr
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"version": 1, "wake": {"at": "07:00", "sunrise_min": 90}}))
    p = run_cli("night", "--program", str(bad))
    assert p.returncode != 0 and "wake.sunrise_min: 90 is above the maximum 60" in p.stderr


def test_boot_starts_the_watchdog_first_with_the_board_timeout(fw):
    """boot.py arms the watchdog before reading anything from flash, with the board file's timeout.
    Before it, only the maintenance check, which reads RTC memory and nothing else: its two
    markers are written out there, and must be the ones pod.marker lays out."""
    import ast
    import re

    from simulator import FIRMWARE_DIR
    from simulator.sandbox import firmware_module
    src = (FIRMWARE_DIR / "boot.py").read_text()
    code = [ln for ln in src.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert code[0] == "import machine"
    wdt = next(i for i, ln in enumerate(code) if "machine.WDT(" in ln)
    assert [re.sub(r'b"[^"]*"', "B", ln) for ln in code[1:wdt]] == [
        "if machine.RTC().memory() == B:",
        "    machine.RTC().memory(B)  # main.py: stay at the REPL, this boot only",
        "else:"], code[:wdt]
    # the two markers written out there are the ones pod.marker lays out
    asked, boot = [ast.literal_eval(b) for b in re.findall(r'b"[^"]*"', "\n".join(code[1:wdt]))]
    marker = firmware_module("pod.marker")

    def saved(deliberate):  # what Marker.save() writes with only `deliberate` set
        m = marker.Marker()
        m.active = m.reason = m.failed_boots = 0
        m.deliberate = deliberate
        m.save()
        return bytes(m.rtc.memory())

    assert asked == saved(marker.MAINT_ASKED) == b"PD\x00\x00\x00\x02\x96"
    assert boot == saved(marker.MAINT_BOOT) == b"PD\x00\x00\x00\x03\x97"
    m = re.search(r"machine\.WDT\(timeout=(\d+)\)", code[wdt])
    assert m and int(m.group(1)) == firmware_module("pod.board").WDT_TIMEOUT_MS


def test_an_unset_clock_falls_back_to_a_wake_after_8_hours():
    """After power-on an ESP32's clock reads 2000-01-01: a wake "at 07:00" must not trust it."""
    from simulator.sim import SimPod
    pod = SimPod(start_clock="22:30")
    pod.board.rtc_set(4 * 3600)  # 2000-01-01 04:00, as if never set
    pod.press(5000, 2600)
    res = pod.run(9 * H)
    wake, unanswered = res.wakes  # nobody answers it: 20 minutes later, the alarm
    assert wake.reason == "scheduled" and unanswered.reason == "unanswered"
    assert abs(after(wake.lit_ms, 7600 + 8 * H)) <= 2000  # 8 h after the night started


def test_firmware_that_cannot_even_import_still_reaches_safe_mode(tmp_path):
    """A bad upload (pod/app.py fails to import) crash-loops, and the boot-loop safe mode,
    which lives outside the application, takes over: lit and sounding within seconds."""
    import shutil

    from simulator import FIRMWARE_DIR
    from simulator.sim import SimPod
    fw = tmp_path / "firmware"
    shutil.copytree(FIRMWARE_DIR, fw)
    (fw / "pod" / "app.py").write_text('raise ImportError("a half-written upload")\n')
    pod = SimPod(fw_dir=fw)
    pod.keep_console = True
    pod.advance_to(12000)  # boots that each crash on the import, then safe mode
    assert any('"ev":"safe_mode"' in line for line in pod.console)
    assert pod.lit() and any(on for _, on in pod._sound_log)
    assert [r["cause"] for r in pod.res.resets][:3] == ["hard", "hard", "hard"]
    pod.close()


def test_a_crash_in_boot_py_does_not_lose_the_power_cut_verdict():
    """Found by the soak: power comes back mid-night and boot.py itself fails before its
    verdict. main.py gives the verdict instead, so the sleeper is still woken."""
    spec = NightSpec(faults=[FaultSpec("power-cut", 40 * M, 5), FaultSpec("crash", 40 * M + 100)],
                     get_up=False, duration_ms=45 * M, start_clock="05:30")
    res, pod = run_night(spec)
    pod.close()
    assert res.final_state == "ALARM"
    back = 40 * M + 5000
    assert any(w.reason in ("power_cut", "crash") and w.lit_ms is not None
               and w.lit_ms - back <= 2500 for w in res.wakes), res.wakes


def test_the_tools_say_when_the_cap_moves_a_wake(tmp_path):
    prog = tmp_path / "late.json"
    prog.write_text(json.dumps({"version": 1, "name": "late", "wake": {"at": "12:00"}}))
    p = run_cli("night", "--json", "--program", str(prog), "--start", "22:00", "--duration", "00:10")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["wake_moved_by_cap"] == (
        "the 12 h session cap moves the wake: asked for 12:00 (14 h after start), the pod wakes "
        "at 09:59:07 (11 h 59 min 7 s after start)")
    p = run_cli("night", "--json", "--start", "22:00", "--duration", "00:10")
    assert json.loads(p.stdout)["wake_moved_by_cap"] is None  # 07:00: inside the cap
