"""What a household adds on whole pods, seen from outside: a silent child shown quietly on the
parent's pod (never waking the child), "wake everyone" from a parent, the children's
wind-downs started together, and a pod with a broken household file running alone."""
from __future__ import annotations

import json

from simulator import family
from simulator.night import FaultSpec

MIN = 60000


def _hh_events(fr, name):
    return [e["msg"] for e in fr.pods[name].events if e.get("ev") == "household"]


def test_a_silent_child_is_shown_quietly_on_the_parent_and_never_woken(tmp_path):
    pods = family.parse_pods("mum:parent,kid:child")
    pods[1].faults.append(FaultSpec("power-cut", 3 * MIN, 120))  # two minutes without power
    fam = family.Family(pods, [], workdir=tmp_path)
    mum = fam.pods[0]
    seen = []
    fam.pods[0].at(3 * MIN + 30000, lambda: seen.append(mum.outputs()))
    fr = fam.run(6 * MIN)
    ev = _hh_events(fr, "mum")
    assert {"silent": ["kid"]} in ev and ev.index({"silent": ["kid"]}) < ev.index({"silent": []})
    strip, white, freq, duty = seen[0]
    assert (strip[3], strip[4], strip[5]) == (12, 40, 0)  # pixel 1 (GRB): the dim amber glow
    assert white == 0 and freq != 1760  # quiet: no light to wake by, no announcement beeps
    assert fr.pods["mum"].wakes == []
    # the child's own power-cut alarm is its own; nothing the parent did added to it
    assert [w.reason for w in fr.pods["kid"].wakes] == ["power_cut"]
    assert fr.acted["kid"] == []


def test_wake_everyone_from_a_parent_adds_a_wake_on_every_pod(tmp_path):
    fam = family.Family(family.parse_pods(family.DEFAULT_PODS), [], workdir=tmp_path)
    fam.pods[0].send({"id": 9, "cmd": "household", "op": "wake_all"}, at_ms=4 * MIN)
    fr = fam.run(5 * MIN)
    for name in ("parent", "kid1", "kid2"):
        [w] = fr.pods[name].wakes
        assert w.reason == "command" and w.lit_ms is not None, (name, w)
        assert 4 * MIN <= w.lit_ms <= 4 * MIN + 2000, (name, w)
    assert [m for m in fam.pods[0].replies if m.get("id") == 9][0]["ok"] is True


def test_a_child_cannot_wake_everyone(tmp_path):
    fam = family.Family(family.parse_pods("mum:parent,kid:child"), [], workdir=tmp_path)
    fam.pods[1].send({"id": 3, "cmd": "household", "op": "wake_all"}, at_ms=2 * MIN)
    fr = fam.run(3 * MIN)
    r = [m for m in fam.pods[1].replies if m.get("id") == 3][0]
    assert r["ok"] is False and "parent" in r["error"]["message"]
    assert fr.pods["mum"].wakes == [] and fr.pods["kid"].wakes == []


def test_bedtime_starts_idle_childrens_wind_downs_together(tmp_path):
    fam = family.Family(family.parse_pods(family.DEFAULT_PODS), [], workdir=tmp_path,
                        get_up=False, start=False)  # nobody starts a night by hand: idle
    fam.pods[0].send({"id": 5, "cmd": "household", "op": "bedtime", "minutes": 30},
                     at_ms=2 * MIN)
    fr = fam.run(3 * MIN)
    starts = {}
    for name in ("kid1", "kid2"):
        r = fr.pods[name]
        t = next(s.t_ms for s in r.samples if s.state == "WIND_DOWN")
        starts[name] = t
    assert all(2 * MIN <= t <= 2 * MIN + 2000 for t in starts.values()), starts
    assert abs(starts["kid1"] - starts["kid2"]) <= 1000
    assert all(s.state != "WIND_DOWN" for s in fr.pods["parent"].samples)  # its own: unchanged


def test_a_damaged_household_file_is_a_fault_and_the_pod_runs_alone(tmp_path):
    pods = family.parse_pods("mum:parent,kid:child")
    fam = family.Family(pods, [], workdir=tmp_path)
    p = fam.pods[1].fs.path("household.json")
    d = json.loads(p.read_text())
    d["peers"][0]["mac"] = "nonsense"
    p.write_text(json.dumps(d))
    fam.pods[1].send({"id": 1, "cmd": "household", "op": "status"}, at_ms=30000)
    fr = fam.run(60000)
    ev = _hh_events(fr, "kid")
    assert ev and "household.peers[0].mac: must be six hex bytes" in ev[0]["fault"]
    assert family.KEY_HEX not in json.dumps(ev)
    r = [m for m in fam.pods[1].replies if m.get("id") == 1][0]
    assert r["household"] is None and r["paired"] is True and "peers[0].mac" in r["fault"]
    assert fr.pods["kid"].resets == []
