"""Each safety invariant is shown able to fail: a deliberately broken copy of the firmware is
run through the scenario that the invariant guards, and the safety monitor must catch it,
while the real firmware passes the very same scenario."""
import json
import shutil

import pytest

from simulator import FIRMWARE_DIR
from simulator.failsafe import SafetyMonitor
from simulator.sim import SimPod

M = 60 * 1000
H = 60 * M


def broken_copy(tmp_path, patches):
    """A copy of firmware/ with each (file, old, new) text replacement applied exactly once."""
    dst = tmp_path / "firmware"
    shutil.copytree(FIRMWARE_DIR, dst)
    for rel, old, new in patches:
        p = dst / rel
        src = p.read_text()
        assert src.count(old) == 1, "the variant no longer applies to %s: %r" % (rel, old)
        p.write_text(src.replace(old, new))
    return dst


def night(fw_dir, clock="05:50", settings=None, program=None):
    pod = SimPod(fw_dir=fw_dir, start_clock=clock)
    if settings is not None:
        pod.fs.path("settings.json").write_text(json.dumps(settings))
    if program is not None:
        pod.fs.path("program.json").write_text(json.dumps(program))
    mon = SafetyMonitor(pod, program=program)
    if program is not None:
        mon.answer_ms = program["wake"].get("answer_min", 20) * M
    mon.advance(3000)
    mon.long_press()  # start the night
    mon.advance(10 * M)
    return pod, mon


def hang_scenario(fw_dir):
    pod, mon = night(fw_dir)
    mon.fault("hang")
    mon.advance(30000)
    pod.close()
    return mon.violations


def tap_during_alarm_scenario(fw_dir):
    pod, mon = night(fw_dir)
    mon.fault("hang")
    mon.advance(30000)
    mon.tap()
    mon.advance(5000)
    pod.close()
    return mon.violations


def crash_scenario(fw_dir):
    pod, mon = night(fw_dir)
    mon.fault("crash")
    mon.advance(30000)
    pod.close()
    return mon.violations


def stacked_crashes_scenario(fw_dir):
    # a boot loop, then two crashes while the board reboots: the third error strikes inside
    # main.py's crash handler (tests/test_failsafe_boot_faults.py)
    pod, mon = night(fw_dir)
    mon.fault("boot-crash", 3)
    mon.advance(1500)
    mon.fault("crash")
    mon.advance(300)
    mon.fault("crash")
    mon.advance(20000)
    pod.close()
    return mon.violations


def endless_program_scenario(fw_dir):
    # Wake at 05:45 set at 05:50 is nearly a day away: only the cap can end this session.
    pod, mon = night(fw_dir, clock="05:50", settings={"cap_min": 100000},
                     program={"version": 1, "wake": {"at": "05:45"}})
    for _ in range(13):
        mon.advance(H)
    pod.close()
    return mon.violations


# A short night for the answer variants (#11): wind-down 5 min, the wake 30 min after the start,
# an answer window of 5 min, one snooze of 3 min.
SHORT = {"version": 1, "wind_down": {"minutes": 5},
         "wake": {"after_min": 30, "sunrise_min": 15, "answer_min": 5, "snooze_min": 3,
                  "max_snoozes": 1}}


def nobody_answers_scenario(fw_dir):
    pod, mon = night(fw_dir, program=SHORT)
    mon.advance(35 * M)  # the wake at 30 min, its window until 35 min
    mon.advance(10 * M)
    pod.close()
    return mon.violations


def tap_at_night_scenario(fw_dir):
    # a tap at night, then back in bed: nobody switches the lamp off (its timeout is 30 min)
    pod, mon = night(fw_dir, program={"version": 1, "wind_down": {"minutes": 5},
                                      "wake": {"after_min": 120}})
    mon.tap()
    mon.advance(3 * H)
    pod.close()
    return mon.violations


def snoozer_scenario(fw_dir):
    # a sleeper who taps every time the wake comes back and never gets up (50 ms off the
    # whole second: a tap on the very millisecond of a loop tick that silences a lit wake
    # reads to the monitor as a press that lit nothing)
    pod, mon = night(fw_dir, program=SHORT)
    mon.advance(20 * M + 5050)
    for _ in range(4):
        mon.tap()
        mon.advance(3 * M + 5000)
    mon.advance(5 * M)
    pod.close()
    return mon.violations


def signal_lost_out_of_band_scenario(fw_dir):
    pod, mon = night(fw_dir)
    mon.fault("hr-high")
    mon.advance(30000)
    mon.fault("i2c-dead")
    mon.advance(5 * M)
    pod.close()
    return mon.violations


def host_stop_during_wake_scenario(fw_dir):
    pod, mon = night(fw_dir, program=SHORT)
    mon.advance(20 * M + 30000)  # the wake calling
    mon.serial("stop")
    mon.advance(10 * M)
    pod.close()
    return mon.violations


VARIANTS = {
    "feed the watchdog from a timer": (
        [("pod/app.py", "        if self._healthy(now):\n            self.wdt.feed()\n", ""),
         ("pod/app.py", "        self.wdt = machine.WDT(timeout=board.WDT_TIMEOUT_MS)\n",
          "        self.wdt = machine.WDT(timeout=board.WDT_TIMEOUT_MS)\n"
          "        self._feeder = machine.Timer(0, mode=machine.Timer.PERIODIC, period=1000,\n"
          "                                     callback=lambda t: self.wdt.feed())\n")],
        hang_scenario, "not reset by the watchdog"),
    "skip the boot-time verdict": (
        [("boot.py", "failsafe.verdict()\n", ""),
         ("pod/failsafe.py", "    if not _done:\n        verdict()\n", "    return\n")],
        hang_scenario, "not lit"),
    "let a program or setting disable the cap": (
        [("pod/core.py", "        self.cap_ms = max(3600000, min(CAP_MAX_MS, cap_ms))",
          "        self.cap_ms = cap_ms"),
         ("pod/core.py", "        target = min(target, self.settings.cap_ms - 60000)", ""),
         ("pod/flash_store.py", '("cap_min", "i", 60, 720, 720)', '("cap_min", "i", 60, 10**6, 720)')],
        endless_program_scenario, "12-hour cap"),
    "a tap ends the fail-safe alarm": (
        [("pod/core.py", "            elif st != ALARM:\n",
          "            elif st == ALARM:\n                self._to(AWAKE, now, R_NONE)\n"
          "            else:\n")],
        tap_during_alarm_scenario, "no acknowledgement"),
    "the crash handler leaves the wake to the watchdog": (
        [("main.py", "        failsafe.crash(e)\n",
          "        import time\n\n"
          "        while True:  # wait for the watchdog\n            time.sleep_ms(100)\n")],
        crash_scenario, "not lit"),
    "a crash handler that fails leaves the board at the REPL": (
        [("main.py", "    except Exception:  # noqa: BLE001\n        machine.reset()\n",
          "    finally:\n        pass\n")],
        stacked_crashes_scenario, "not lit"),
    # -- every wake is answered (#11) --
    "a wake that times out to idle": (
        [("pod/core.py", "                    self.alarm(now, R_UNANSWERED)",
          "                    self.stop(now)")],
        nobody_answers_scenario, "ended unanswered"),
    "a tap that ends the night": (
        [("pod/core.py", "                self.wake(now, R_BUTTON if self.night else R_NONE)\n",
          "                self.wake(now, R_BUTTON if self.night else R_NONE)\n"
          "                self.night = False\n")],
        tap_at_night_scenario, "before its morning wake"),
    "a snooze with no limit": (
        [("pod/core.py", "self.snoozes < p.max_snoozes", "True"),
         ("pod/core.py", "                and ticks_diff(now, self.t_call) + p.snooze_ms + 60000"
          " <= p.answer_ms)", "                )")],
        snoozer_scenario, "neither answered nor escalated"),
    "an out-of-band timer that a lost signal resets": (
        [("pod/core.py", "        elif self.oob and p.hr_low * 10 <= inp.bpm10 <= p.hr_high * 10"
          " and inp.contact:", "        else:")],
        signal_lost_out_of_band_scenario, "not lit"),
    "a host stop accepted during an unanswered wake": (
        [("pod/core.py", "        if self.unanswered():\n            return _REF_WAKE_CALLING\n", "")],
        host_stop_during_wake_scenario, "ended unanswered"),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_broken_variant_is_caught(tmp_path, name):
    patches, scenario, expected = VARIANTS[name]
    violations = scenario(broken_copy(tmp_path, patches))
    assert any(expected in v for v in violations), (name, violations)


SCENARIOS = {f.__name__: f for f in (hang_scenario, tap_during_alarm_scenario, crash_scenario,
                                      stacked_crashes_scenario, endless_program_scenario,
                                      nobody_answers_scenario, tap_at_night_scenario,
                                      snoozer_scenario, signal_lost_out_of_band_scenario,
                                      host_stop_during_wake_scenario)}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_real_firmware_passes_the_same_scenario(name):
    assert SCENARIOS[name](FIRMWARE_DIR) == []
