"""What a parent does, scripted in `pod-sim family`: `--ask NAME:wake_all@TIME`,
`--ask NAME:bedtime[:MIN]@TIME` and `--ask NAME:ack@TIME` written to that pod's own (fake)
serial port as podctl would, and `--press NAME:N@TIME`, N quick taps on its (fake) button. Each
shows in the pod's timeline and in `--json` ("asks": what was asked and the pod's reply;
"presses": what the household made of the taps). Short nights: a few simulated minutes each."""
from __future__ import annotations

import copy
import json
import re

import pytest

from simulator import FIRMWARE_DIR, family
from simulator.cli import main as podsim
from simulator.night import FaultSpec, parse_when
from simulator.sim import firmware_module

MIN = 60000
BOUND = family.RELAY_BOUND_MS
CALLING = ("WAKE_RAMP", "AWAKE", "ALARM")
# the built-in night, with a short answer window: a wake nobody answers is an alarm in 3 min
PROGRAM = copy.deepcopy(firmware_module("pod.program").DEFAULT)
PROGRAM["wake"]["answer_min"] = 3


def _hh(fr, name):
    return [e["msg"] for e in fr.pods[name].events if e.get("ev") == "household"]


def _family(tmp_path, pods=family.DEFAULT_PODS, start_clock="22:30", idle=False, faults=None,
            **asks):
    """A household; asks: {pod name: [--ask or --press text without the NAME: part]}, a
    press written as "press N@TIME"; faults: {pod name: [FaultSpec]}."""
    specs = family.parse_pods(pods)
    for p in specs:
        p.program = PROGRAM
        p.faults.extend((faults or {}).get(p.name, []))
        for text in asks.get(p.name, []):
            if text.startswith("press "):
                p.presses.append(family.parse_press(text[6:], start_clock))
            else:
                p.asks.append(family.parse_ask(text, start_clock))
    return family.Family(specs, [], start_clock=start_clock, workdir=tmp_path, get_up=False,
                         start=not idle)


def _states(r, t0, t1):
    return {s.state for s in r.samples if t0 <= s.t_ms < t1}


def test_a_parents_wake_all_at_2am_calls_every_pod_until_its_own_person_answers(tmp_path):
    # every pod in its night (started at 01:50); at 02:00 the parent's host asks wake_all;
    # kid1's sleeper taps its own pod at 02:01, the parent's at 02:02; nobody answers kid2
    fam = _family(tmp_path, start_clock="01:50", parent=["wake_all@02:00", "press 1@02:02"],
                  kid1=["press 1@02:01"])
    t = parse_when("02:00", "01:50")
    fr = fam.run(t + 4 * MIN)
    [ask] = fr.asks
    assert ask == {"pod": "parent", "what": "wake_all", "at_ms": t, "reply": "ok"}
    for name in ("parent", "kid1", "kid2"):
        w = fr.pods[name].wakes[0]
        assert w.reason == "command" and w.lit_ms is not None, (name, w)
        assert t <= w.lit_ms <= t + BOUND, (name, w)
    assert [len(r.wakes) for r in fr.pods.values()] == [1, 1, 2]  # kid2's: then its alarm
    # a wake ends only when a person answers it, each at its own pod
    answered = {n: [e["sim_ms"] for e in fr.pods[n].events if e.get("ev") == "answer"]
                for n in fr.pods}
    for name, tap in (("kid1", t + 1 * MIN), ("parent", t + 2 * MIN)):
        assert len(answered[name]) == 1 and tap <= answered[name][0] <= tap + 1000, answered
        assert _states(fr.pods[name], t + BOUND, tap) <= {"AWAKE"}, name
        assert fr.pods[name].final_state != "ALARM", name  # answered: no alarm follows
    assert answered["kid2"] == []
    r = fr.pods["kid2"]
    assert _states(r, t + BOUND, t + 4 * MIN) <= {"AWAKE", "ALARM"}  # calling, never ended
    assert r.final_state == "ALARM"  # unanswered past its window: the fail-safe's alarm
    assert r.wakes[1].reason == "unanswered" and r.wakes[1].event_ms >= t + 3 * MIN
    assert [x["reason"] for x in fr.relays] == ["unanswered"]  # ...told to the parent


def test_a_childs_wake_all_is_refused_with_the_reason(tmp_path):
    fam = _family(tmp_path, pods="mum:parent,kid:child", kid=["wake_all@+00:02"])
    fr = fam.run(3 * MIN)
    [ask] = fr.asks
    assert ask["pod"] == "kid" and ask["what"] == "wake_all"
    assert ask["reply"].startswith("refused: only a parent's pod can do that")
    assert fr.pods["mum"].wakes == [] and fr.pods["kid"].wakes == []
    assert fr.acted == {"mum": [], "kid": []}


def test_bedtime_starts_the_idle_childrens_wind_downs_together(tmp_path):
    fam = _family(tmp_path, idle=True, parent=["bedtime:30@+00:02"])
    t = 2 * MIN
    fr = fam.run(3 * MIN)
    assert fr.asks == [{"pod": "parent", "what": "bedtime:30", "at_ms": t, "reply": "ok"}]
    starts = {n: next(s.t_ms for s in fr.pods[n].samples if s.state == "WIND_DOWN")
              for n in ("kid1", "kid2")}
    assert all(t <= x <= t + BOUND for x in starts.values()), starts
    assert abs(starts["kid1"] - starts["kid2"]) <= 1000, starts
    assert "WIND_DOWN" not in _states(fr.pods["parent"], 0, 3 * MIN)  # its own: unchanged


def _woken(fr, t):
    """{pod: [(reason, lit ms after t)]} of every wake (-1: never lit)."""
    return {n: [(w.reason, -1 if w.lit_ms is None else w.lit_ms - t) for w in r.wakes]
            for n, r in fr.pods.items()}


def test_four_taps_on_the_parents_pod_do_what_wake_all_does(tmp_path):
    t = 2 * MIN
    asked = _family(tmp_path / "a", idle=True, parent=["wake_all@+00:02"]).run(3 * MIN)
    tapped_fam = _family(tmp_path / "b", idle=True, parent=["press 4@+00:02"])
    tapped = tapped_fam.run(3 * MIN)
    last_tap = t + 3 * family.TAP_GAP_MS
    a, b = _woken(asked, t), _woken(tapped, last_tap)
    assert a.keys() == b.keys() == {"parent", "kid1", "kid2"}
    for name in a:  # the same wake on every pod, within the bound of what asked for it
        assert [r for r, _ in a[name]] == [r for r, _ in b[name]] == ["command"], (a, b)
        assert 0 <= a[name][0][1] <= BOUND and 0 <= b[name][0][1] <= BOUND, (a, b)
    [p] = tapped.presses
    assert p["pod"] == "parent" and p["taps"] == 4 and p["at_ms"] == t
    assert {"wake_everyone": True} in p["household"]
    assert {"wake_everyone": True} in _hh(asked, "parent")


def test_three_taps_are_no_gesture(tmp_path):
    fr = _family(tmp_path, idle=True, parent=["press 3@+00:02"]).run(3 * MIN)
    assert fr.presses[0]["household"] == []
    assert all(r.wakes == [] for r in fr.pods.values())


def test_ack_on_the_parent_silences_only_its_announcement(tmp_path):
    # kid1 hangs in its night: its watchdog's alarm, announced on the parent's pod
    fam = _family(tmp_path, parent=["ack@+00:03"], faults={"kid1": [FaultSpec("hang", 2 * MIN)]})
    fr = fam.run(4 * MIN)
    [relay] = fr.relays
    assert relay["from"] == "kid1" and relay["shown_ms"] is not None
    assert fr.asks == [{"pod": "parent", "what": "ack", "at_ms": 3 * MIN, "reply": "ok"}]
    assert {"acked": ["kid1"], "how": "serial"} in _hh(fr, "parent")
    # the parent's announcement (1760 Hz beeps) stops at the ack; its own night goes on
    par = fr.pods["parent"]
    beeps = [s.t_ms for s in par.samples if s.tone == 1760]
    assert beeps and min(beeps) >= relay["shown_ms"] - 1000 and max(beeps) < 3 * MIN + 1000
    assert par.wakes == [] and par.final_state in ("WIND_DOWN", "SLEEP")
    # kid1's own alarm goes on: only a person at kid1 (or kid1's own serial link) ends it
    assert fr.pods["kid1"].final_state == "ALARM"
    assert fam.pods[1].lit() and fam.pods[1].sounding()


def test_pod_sim_family_shows_asks_and_presses_in_the_timeline_and_json(capsys):
    base = ["family", "--pods", "mum:parent,kid:child", "--start", "01:58", "--duration",
            "00:04", "--ask", "mum:wake_all@02:00", "--ask", "kid:bedtime:20@+00:01",
            "--press", "kid:2@02:01:30"]
    assert podsim(base + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"pods", "relays", "radio", "asks", "presses"}
    assert out["asks"][0] == {"pod": "kid", "what": "bedtime:20", "at_ms": MIN,
                              "reply": out["asks"][0]["reply"]}
    assert out["asks"][0]["reply"].startswith("refused: only a parent's pod")
    assert out["asks"][1] == {"pod": "mum", "what": "wake_all", "at_ms": 2 * MIN, "reply": "ok"}
    assert out["presses"] == [{"pod": "kid", "taps": 2, "at_ms": 3 * MIN + 30000,
                               "household": []}]
    assert [w["reason"] for w in out["pods"]["kid"]["wakes"]] == ["command"]
    assert family.KEY_HEX not in json.dumps(out)
    assert podsim(base) == 0
    text = capsys.readouterr().out
    assert "  asked @02:00:00: wake_all -> ok" in text
    assert "  asked @01:59:00: bedtime:20 -> refused: only a parent's pod" in text
    assert "  pressed @02:01:30: 2 quick taps" in text
    assert '  household @02:00:00: {"wake_everyone": true}' in text


@pytest.mark.parametrize("args,msg", [
    (["--ask", "nobody:ack@+00:01"], "NAME one of"),
    (["--ask", "parent:dance@+00:01"], "unknown 'dance'"),
    (["--ask", "parent:wake_all:3@+00:01"], "takes no argument"),
    (["--ask", "parent:bedtime:999@+00:01"], "0..240"),
    (["--ask", "parent:ack"], "expected wake_all@TIME"),
    (["--ask", "parent:ack@25:00"], "not a clock time"),
    (["--press", "parent:0@+00:01"], "quick taps"),
    (["--press", "parent:four@+00:01"], "quick taps"),
    (["--press", "kid9:4@+00:01"], "NAME one of"),
])
def test_pod_sim_family_refuses_bad_asks_and_presses(args, msg, capsys):
    assert podsim(["family"] + args) != 0
    assert msg in capsys.readouterr().err


def _const(path, name):
    m = re.search(name + r" = const\((\d+)\)", (FIRMWARE_DIR / path).read_text())
    assert m is not None, (path, name)
    return int(m.group(1))


def test_the_limits_copied_from_the_firmware_agree_with_it():
    assert _const("pod/link/household.py", "_BEDTIME_MAX") == family.BEDTIME_MAX_MIN
    double_ms = _const("pod/core.py", "_DOUBLE_MS")
    assert family.TAP_HOLD_MS < family.TAP_GAP_MS < double_ms  # each tap inside the count
