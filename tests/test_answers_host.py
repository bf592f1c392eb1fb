"""Every wake is answered (#11), the last rules on the whole simulated pod: the wake-up check
(a sleeper who answers, then sleeps on), the host held back while a wake is unanswered (a
settings change, a program push), and a night "at" a time on an unset clock. The safety
monitor watches each, and a broken firmware without the wake-up check is caught."""
import json

from host_tools import refusals
from simulator import FIRMWARE_DIR
from simulator.failsafe import SafetyMonitor
from simulator.sim import SimPod
from tests.test_failsafe_variants import broken_copy

S = 1000
M = 60 * S
CHECK = {"version": 1, "wind_down": {"minutes": 0},
         "wake": {"after_min": 30, "sunrise_min": 15, "sound_lead_min": 0, "check_min": 5}}


def night(program, fw_dir=FIRMWARE_DIR, clock="05:30"):
    pod = SimPod(fw_dir=fw_dir, start_clock=clock)
    pod.fs.path("program.json").write_text(json.dumps(program))
    mon = SafetyMonitor(pod, program=program, answer_ms=program["wake"].get("answer_min", 20) * M)
    mon.advance(3000)
    mon.long_press()  # into bed
    mon.advance(5000)
    return pod, mon


def states_after(pod, t):
    return [(e["state"], e["reason"]) for e in pod.res.events
            if e["sim_ms"] > t and e.get("ev") == "state"]


def answers_then_sleeps_on(fw_dir):
    """The sleeper taps the morning wake, and stays in the pod, asleep (the simulated
    sleeper's morning rate is in the high 50s)."""
    pod, mon = night(CHECK, fw_dir)
    mon.advance(30 * M)  # the wake calls
    assert pod.state == "AWAKE" and sounds(pod, mon)
    mon.tap()
    t = pod.now_ms
    assert not sounds(pod, mon, 10 * S)
    mon.advance(5 * M)
    return pod, mon, t


def test_a_sleeper_who_answers_then_sleeps_on_is_called_again():
    pod, mon, t = answers_then_sleeps_on(FIRMWARE_DIR)
    assert pod.state == "AWAKE" and sounds(pod, mon) and pod.lit()
    assert ("AWAKE", "scheduled") in states_after(pod, t + 4 * M)
    mon.advance(20 * M + 5 * S)  # nobody answers the second call: the alarm
    assert pod.state == "ALARM" and pod.last_tel["reason"] == "unanswered"
    mon.long_press()
    mon.advance(5 * S)
    pod.close()
    assert mon.violations == []


def test_a_wake_up_check_that_never_calls_again_is_caught(tmp_path):
    fw = broken_copy(tmp_path, [(
        "pod/core.py", "                self.wake(now, R_SCHEDULED)  # a new answer window; the night back on\n",
        "                pass\n")])
    pod, mon, _ = answers_then_sleeps_on(fw)
    pod.close()
    assert any("wake-up check" in v for v in mon.violations), mon.violations


def out_of_the_pod_at_the_check(fw_dir, out_s):
    """The sleeper answers the morning wake and sleeps on, but is out of contact for out_s
    seconds from a second before the check is due (a turn in bed); whether the wake called
    again within the check's minute, and when."""
    pod, mon = night(CHECK, fw_dir)
    mon.advance(30 * M)
    mon.tap()
    t = pod.now_ms
    mon.advance(5 * M - 1000)
    pod.sleeper.contact = False
    mon.advance(out_s * S)
    pod.sleeper.contact = True
    mon.advance(70 * S - out_s * S)
    again = [e["sim_ms"] for e in pod.res.events if e["sim_ms"] > t + 4 * M
             and e.get("ev") == "state" and e["state"] == "AWAKE" and e["reason"] == "scheduled"]
    return pod, mon, t, again


def test_a_sleeper_out_of_contact_a_moment_at_the_check_is_called_again():
    """The check looks for a minute from its due time: the sleeper's readings come back a few
    seconds after the contact does, and the wake calls then."""
    pod, mon, t, again = out_of_the_pod_at_the_check(FIRMWARE_DIR, 20)
    assert again and t + 5 * M + 19 * S <= again[0] <= t + 6 * M, (again, t)
    assert pod.state == "AWAKE" and sounds(pod, mon) and pod.last_tel["reason"] == "scheduled"
    mon.tap()  # answered again: it must be answered, and is
    mon.advance(5 * S)
    pod.close()
    assert mon.violations == []


def test_a_sleeper_out_of_the_pod_for_the_whole_minute_is_not_called_again():
    pod, mon, t, again = out_of_the_pod_at_the_check(FIRMWARE_DIR, 62)
    assert again == [] and not sounds(pod, mon)
    mon.advance(20 * M)  # back in the pod, asleep, after the check's minute: it is over
    assert not sounds(pod, mon) and pod.state in ("AWAKE", "IDLE")
    pod.close()
    assert mon.violations == []


def test_a_wake_up_check_that_looks_only_once_is_caught(tmp_path):
    """The weakness fixed: a check that decides from its one reading at the due time, so a
    moment out of contact then loses the sleeper's second call."""
    fw = broken_copy(tmp_path, [("pod/wakecheck.py", "LOOK_MS = const(60000)", "LOOK_MS = const(0)")])
    pod, _, _, again = out_of_the_pod_at_the_check(fw, 20)
    pod.close()
    assert again == []


def test_a_reset_while_the_check_looks_boots_into_a_wake():
    """The check still looking (no sleeper seen yet) is a wake waiting for its person: a crash
    then boots into the fail-safe alarm, not into the dark."""
    pod, mon = night(CHECK)
    mon.advance(30 * M)
    mon.tap()
    pod.sleeper.contact = False
    mon.advance(5 * M + 20 * S)
    assert pod.state == "AWAKE" and not sounds(pod, mon)
    mon.fault("crash")
    mon.advance(5 * S)
    assert pod.state == "ALARM" and sounds(pod, mon)
    mon.long_press()
    mon.advance(5 * S)
    pod.close()
    assert mon.violations == []


def test_a_sleeper_who_gets_up_is_not_called_again():
    pod, mon = night(CHECK)
    mon.advance(30 * M)
    mon.tap()
    pod.sleeper.contact = False  # out of the pod
    mon.advance(10 * M)
    assert pod.state == "AWAKE" and not sounds(pod, mon)
    pod.close()
    assert mon.violations == []


def sounds(pod, mon, ms=3000):
    """Sounding at some point in the next ms (a wake's melody has rests)."""
    heard = False
    for _ in range(ms // 100):
        mon.advance(100)
        heard = heard or pod.sounding()
    return heard


def reply(pod, rid):
    return next(r for r in pod.replies if r["id"] == rid)


def test_host_settings_change_is_refused_while_a_wake_calls():
    prog = dict(CHECK, wake={"after_min": 30, "sunrise_min": 15, "sound_lead_min": 0})
    pod, mon = night(prog)
    mon.advance(30 * M + 5 * S)
    before = pod.fs.path("settings.json").read_text() if pod.fs.path("settings.json").exists() \
        else None
    pod.send({"id": 77, "cmd": "config", "op": "set", "config": {"wake_level": 300}})
    mon.advance(2 * S)
    r = reply(pod, 77)
    assert r["ok"] is False and r["error"]["reason"] == refusals.code_of("REF_WAKE_CALLING")
    assert "only a person's answer ends it" in refusals.words(r["error"]["reason"], "config set")
    after = pod.fs.path("settings.json").read_text() if pod.fs.path("settings.json").exists() \
        else None
    assert after == before and sounds(pod, mon)
    mon.tap()  # answered: settings may change again
    mon.advance(2 * S)
    pod.send({"id": 78, "cmd": "config", "op": "set", "config": {"wake_level": 300}})
    mon.advance(2 * S)
    assert reply(pod, 78)["ok"] is True
    pod.close()
    assert mon.violations == []


def test_a_program_pushed_while_a_wake_calls_waits_for_the_answer():
    """Stored at once, loaded only once the wake is answered: a quiet program pushed while
    the wake calls does not quieten it, nor move its escalation."""
    prog = dict(CHECK, wake={"after_min": 30, "sunrise_min": 15, "sound_lead_min": 0,
                             "answer_min": 5})
    pod, mon = night(prog)
    mon.advance(30 * M + 5 * S)
    quiet = {"version": 1, "name": "Quiet", "wake": {"after_min": 300, "volume": 0,
                                                     "answer_min": 60}}
    mon.push_program(quiet)
    mon.advance(2 * S)
    assert [r for r in pod.replies if r.get("name") == "Quiet" and r["ok"]]  # stored
    assert sounds(pod, mon) and pod.last_tel["vol"] > 0
    mon.advance(5 * M)  # the old program's 5-minute window: the alarm, not 60 minutes later
    assert pod.state == "ALARM"
    mon.long_press()
    mon.advance(5 * S)
    pod.close()
    assert mon.violations == []


def test_host_start_on_an_unset_clock_is_refused_in_words():
    pod = SimPod(start_clock="22:30")
    pod.board.rtc_set(4 * 3600)  # 2000-01-01: never set since power-on
    pod.send({"id": 1, "cmd": "start"}, at_ms=3000)
    pod.run(5000)
    r = reply(pod, 1)
    assert r["ok"] is False and pod.state == "IDLE"
    words = refusals.words(r["error"]["reason"], "start")
    assert "clock is not set" in words and "podctl time sync" in words
    pod.close()


def test_button_start_on_an_unset_clock_shows_violet_then_wakes_8_hours_on():
    pod = SimPod(start_clock="22:30")
    pod.board.rtc_set(4 * 3600)
    pod.press(3000, 2600)
    pod.advance_to(5400)  # the start's glow, 0.4 s in
    strip, _, _, _ = pod.outputs()
    assert strip[0:3] != bytes(3) and pod.state == "WIND_DOWN"
    pod.close()
    ok = SimPod(start_clock="22:30")
    ok.press(3000, 2600)
    ok.advance_to(5400)
    assert ok.outputs()[0][0:3] != strip[0:3]  # not the blue of a night at its time
    ok.close()


def test_pod_sim_night_answer_then_sleep_shows_the_check():
    """`pod-sim night --answer-then-sleep`: the tap answers the wake, the sleeper sleeps on,
    the check calls again 5 minutes later, and nobody answers that: the alarm 20 minutes on."""
    from simulator.night import NightSpec, result_json, run_night
    prog = {"version": 1, "wind_down": {"minutes": 0},
            "wake": {"after_min": 60, "sunrise_min": 15, "sound_lead_min": 0, "check_min": 5}}
    res, pod = run_night(NightSpec(program=prog, answer_then_sleep=True,
                                   duration_ms=100 * M))
    pod.close()
    data = result_json(res)
    [answer] = data["answers"]
    assert answer["how"] == "tap"
    again = [e for e in data["events"] if e["t_ms"] > answer["t_ms"] + 1000
             and e["state"] == "AWAKE" and e["reason"] == "scheduled"]
    assert again and abs(again[0]["t_ms"] - (answer["t_ms"] + 5 * M)) <= 200
    assert data["final_state"] == "ALARM"
    assert data["wakes"][-1]["reason"] == "unanswered"
    assert abs(data["wakes"][-1]["trigger_ms"] - (again[0]["t_ms"] + 20 * M)) <= 2000


def test_pod_sim_night_shows_the_check_looking_on_through_a_moment_out_of_contact():
    """`pod-sim night --answer-then-sleep --fault sensor-off:20@...` a second before the check
    is due: the sleeper is out of contact for 20 s, and the wake calls again once the readings
    are a sleeper's again, inside the check's minute; the timeline says so."""
    from simulator.night import FaultSpec, NightSpec, parse_fault, result_json, run_night
    from simulator.timeline import format_timeline
    prog = {"version": 1, "wind_down": {"minutes": 0},
            "wake": {"after_min": 60, "sunrise_min": 15, "sound_lead_min": 0, "check_min": 5}}
    first, pod = run_night(NightSpec(program=prog, answer_then_sleep=True, duration_ms=70 * M))
    pod.close()
    [answer] = result_json(first)["answers"]
    due = answer["t_ms"] + 5 * M
    assert parse_fault("sensor-off:20@+01:00") == FaultSpec("sensor-off", 60 * M, 20)
    res, pod = run_night(NightSpec(program=prog, answer_then_sleep=True, duration_ms=70 * M,
                                   faults=[FaultSpec("sensor-off", due - 1000, 20)]))
    pod.close()
    data = result_json(res)
    again = [e["t_ms"] for e in data["events"] if e["t_ms"] > answer["t_ms"] + 1000
             and e["state"] == "AWAKE" and e["reason"] == "scheduled"]
    assert again and due + 19 * S <= again[0] <= due + 60 * S, (again, due)
    assert "calls again: the wake-up check found the sleeper asleep" in format_timeline(res)

