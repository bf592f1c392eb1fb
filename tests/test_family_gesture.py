""""Wake everyone" from a parent's pod by hand: four quick taps from off (the first lights the
pod's lamp, the next three do nothing of the pod's own). The gesture lives in the household's
hook, never in the core, and only where it cannot take anything from a sleeper: on a parent's
pod, from off, never on a wake being answered, an alarm, a night, or a child's pod; a press
that acknowledges an announcement is that acknowledgement and nothing more."""
from __future__ import annotations

from simulator import family
from simulator.night import FaultSpec

MIN = 60000
TAP = 120      # ms a tap holds the button
GAP = 500      # ms between the taps (the core counts presses each within 1.5 s of the last)


def _taps(pod, t_ms, n, gap=GAP):
    for k in range(n):
        pod.press(t_ms + k * gap, TAP)


def _wakes(fr):
    return {n: [(w.reason, w.lit_ms) for w in r.wakes] for n, r in fr.pods.items()}


def _hh(fr, name):
    return [e["msg"] for e in fr.pods[name].events if e.get("ev") == "household"]


def _idle_family(tmp_path, pods=family.DEFAULT_PODS):
    # nobody starts a night or gets up by hand: every pod is off
    return family.Family(family.parse_pods(pods), [], workdir=tmp_path, get_up=False, start=False)


def test_four_quick_taps_on_a_parents_pod_wake_everyone(tmp_path):
    fam = _idle_family(tmp_path)
    t = 2 * MIN
    _taps(fam.pods[0], t, 4)
    fr = fam.run(3 * MIN)
    last = t + 3 * GAP
    for name in ("parent", "kid1", "kid2"):  # the parent's own pod calls too: what it asked
        [w] = fr.pods[name].wakes
        assert w.reason == "command" and w.lit_ms is not None, (name, w)
        assert last <= w.lit_ms <= last + family.RELAY_BOUND_MS, (name, w)
    assert {"wake_everyone": True} in _hh(fr, "parent")


def test_three_taps_are_only_the_lamp_and_slow_taps_are_no_gesture(tmp_path):
    fam = _idle_family(tmp_path)
    _taps(fam.pods[0], 2 * MIN, 3)               # tap, tap, tap: a lamp, as always
    _taps(fam.pods[0], 4 * MIN, 4, gap=1700)     # four taps, each too long after the last
    fr = fam.run(5 * MIN)
    assert all(w == [] for w in _wakes(fr).values()), _wakes(fr)
    assert {"wake_everyone": True} not in _hh(fr, "parent")
    assert any(s.state == "AWAKE" for s in fr.pods["parent"].samples)  # the lamp came on


def test_a_child_tapping_its_own_pod_wakes_nobody_else(tmp_path):
    fam = _idle_family(tmp_path)
    _taps(fam.pods[1], 2 * MIN, 6)
    fr = fam.run(3 * MIN)
    assert fr.pods["parent"].wakes == [] and fr.pods["kid2"].wakes == []
    assert {"wake_everyone": True} not in _hh(fr, "kid1")


def test_no_gesture_in_a_night_nor_on_a_wake_being_answered(tmp_path):
    # the parent's own night (started by its held press at 5 s): taps are its lamp, and the
    # morning's wake hammered with taps is only answered (the second tap onwards: nothing)
    nap = {"version": 1, "name": "nap", "wind_down": {"minutes": 0},
           "wake": {"after_min": 15, "sunrise_min": 15, "sound_lead_min": 10}}
    pods = family.parse_pods("mum:parent,kid:child")
    pods[0].program = nap
    fam = family.Family(pods, [], workdir=tmp_path, get_up=False)
    mum = fam.pods[0]
    _taps(mum, 3 * MIN, 4)                      # in the night
    _taps(mum, 15 * MIN + 30000, 5)             # on the morning's wake, calling
    fr = fam.run(18 * MIN)
    assert {"wake_everyone": True} not in _hh(fr, "mum")
    assert all(w[0] != "command" for w in _wakes(fr)["kid"]), _wakes(fr)
    assert [w[0] for w in _wakes(fr)["mum"]][:1] == ["scheduled"]
    assert all(w[0] != "command" for w in _wakes(fr)["mum"])


def test_taps_that_acknowledge_an_announcement_are_not_the_gesture(tmp_path):
    # kid1 hangs in its night: its watchdog alarm is announced on the parent's pod, switched
    # off from the host; the parent taps four times: the first tap is the acknowledgement (and
    # only that), the rest a lamp
    pods = family.parse_pods("parent:parent,kid1:child,kid2:child")
    pods[1].faults.append(FaultSpec("hang", 2 * MIN, 0))
    fam = family.Family(pods, [], workdir=tmp_path, get_up=False)
    fam.pods[0].send({"id": 1, "cmd": "stop"}, at_ms=MIN)
    _taps(fam.pods[0], 2 * MIN + 30000, 4)
    fr = fam.run(4 * MIN)
    ev = _hh(fr, "parent")
    assert {"acked": ["kid1"], "how": "button"} in ev
    assert {"wake_everyone": True} not in ev
    assert fr.pods["kid2"].wakes == [] and fr.pods["parent"].wakes == []
    assert fr.pods["kid1"].final_state == "ALARM"  # its own alarm goes on: answered only there
