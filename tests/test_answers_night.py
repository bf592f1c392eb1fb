"""Every wake is answered (#11): the three cases of the issue on the whole simulated pod (the
unmodified firmware on the fake board), and through `pod-sim night --json`."""
import json
import subprocess
import sys

from simulator.night import FaultSpec, NightSpec, parse_offset, result_json, run_night

M = 60 * 1000
H = 60 * M
T = parse_offset  # "HH:MM[:SS]" since the night started (22:30 by default), in ms


def night(*faults, duration):
    res, pod = run_night(NightSpec(faults=[FaultSpec(k, T(at), a) for k, at, a in faults],
                                   get_up=False, duration_ms=T(duration)))
    pod.close()
    return res


def test_a_tap_in_the_night_keeps_the_morning():
    """A tap at 00:42 lights the pod; nobody switches it off, and half an hour later the pod
    goes back to the night. The 06:30 sunrise and the 07:00 wake still come; nobody answers, so
    at 07:20 the fail-safe alarm calls, and keeps calling."""
    res = night(("button", "02:12:10", 0), duration="09:30")
    reasons = [w.reason for w in res.wakes]
    assert reasons == ["button", "scheduled", "unanswered"], reasons
    button, scheduled, unanswered = res.wakes
    assert button.lit_ms is not None and scheduled.lit_ms is not None
    assert button.lit_ms - button.trigger_ms <= 250
    lamp_off = next(e["sim_ms"] for e in res.events
                    if e["sim_ms"] > button.trigger_ms and e.get("state") == "SLEEP")
    assert abs(lamp_off - (T("02:12:10") + 30 * M)) <= 2000  # the lamp's timeout: the night again
    assert abs(scheduled.trigger_ms - T("08:00")) <= 2000      # the sunrise at 06:30
    assert abs(scheduled.lit_ms - T("08:30")) <= 2000          # full light at 07:00
    assert abs(unanswered.trigger_ms - T("08:50")) <= 2000     # the answer window: 20 min
    assert res.final_state == "ALARM"


def test_an_unanswered_wake_never_gives_up():
    """`pod-sim night --stay-in-bed --duration 10:00`: the wake calls, gets louder, and at the
    end of its answer window the fail-safe alarm takes over until a person acknowledges it."""
    res = night(duration="10:00")
    assert [w.reason for w in res.wakes] == ["scheduled", "unanswered"]
    after = [s for s in res.samples if s.t_ms >= T("08:30") + 1000]
    assert all(s.white > 0 for s in after)  # lit from the wake to the end
    minutes = {}
    for s in after:  # sounding in every minute from the wake to the end
        minutes.setdefault(s.t_ms // M, []).append(s.volume)
    assert all(max(v) > 0 for v in minutes.values())
    calling = [s.volume for s in after if s.state == "AWAKE"]
    assert max(calling[-120:]) > max(calling[:120])  # louder before the alarm
    assert res.final_state == "ALARM"


def test_a_signal_lost_while_out_of_band_still_alarms_at_the_hold():
    """The heart rate leaves the band, then the sensor dies 32 s later: the alarm comes at the
    end of the 60 s hold from the first beat out of band (+1 s), not after a no-signal grace."""
    res = night(("hr-high", "03:28:16", 0), ("i2c-dead", "03:28:48", 0), duration="04:00")
    alarm = next(w for w in res.wakes)
    assert alarm.reason == "hr_high" and alarm.lit_ms is not None
    assert alarm.lit_ms <= T("03:28:16") + 61 * 1000, alarm
    assert res.final_state == "ALARM"


def test_an_answered_wake_is_in_the_json_and_ends_the_night():
    """`pod-sim night --json` gains `answers`; the other keys keep their meaning."""
    out = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "night", "--start", "05:30", "--stay-in-bed",
         "--fault", "button@+01:35", "--duration", "01:50", "--json"],
        capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert [a["how"] for a in data["answers"]] == ["tap"]
    assert data["answers"][0]["t_ms"] >= T("01:35")
    assert [w["reason"] for w in data["wakes"]] == ["scheduled"]
    assert data["final_state"] == "AWAKE"  # answered: light, no sound, no alarm
    assert set(data) >= {"wakes", "resets", "final_state", "states", "events", "faults"}


def test_the_timeline_shows_the_lamp_going_back_to_the_night_and_the_answer():
    from simulator.timeline import format_timeline
    res, pod = run_night(NightSpec(start_clock="05:30", get_up=False, duration_ms=T("01:50"),
                                   faults=[FaultSpec("button", T("00:45")),
                                           FaultSpec("button", T("01:35"))]))
    pod.close()
    text = format_timeline(res)
    assert "back to the night" in text and "answered (tap)" in text, text
    from simulator import plot  # the night picture marks them too
    labels = [label for _, label, _ in plot._markers(res)]
    assert "back to the night" in labels and "answered: tap" in labels, labels


def test_result_json_answers_key_is_empty_without_answers():
    res, pod = run_night(NightSpec(start_clock="05:30", get_up=False, duration_ms=T("00:10")))
    pod.close()
    assert result_json(res)["answers"] == []


def test_a_night_of_a_sleeper_who_stays_in_bed_runs_until_the_wake_escalates():
    """`pod-sim night --stay-in-bed` with no --duration (the issue's first case as typed) ends
    after the answer window, so it shows the alarm, not a wake still calling at the end."""
    from simulator.night import night_end_ms, wake_offset_ms
    from simulator.sandbox import firmware_module
    spec = NightSpec(get_up=False)
    wake = wake_offset_ms(firmware_module("pod.program").DEFAULT, spec.start_clock)
    assert night_end_ms(spec) > wake + 20 * M  # the default answer window
    short = NightSpec(get_up=False, program={"version": 1, "wake": {"after_min": 60,
                                                                     "answer_min": 2}})
    assert night_end_ms(short) > 60 * M + 10 * M  # never shorter than a sleeper who gets up
    assert night_end_ms(NightSpec()) < wake + 20 * M  # one who gets up: as before
