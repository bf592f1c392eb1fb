"""Whole pods in one household night (simulator/family.py, `pod-sim family`): the three runs of
issue #13's "Done when", on a short program so each takes seconds, and the pairing rules seen
from outside. Every pod runs the unmodified firmware on its own board."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator import family
from simulator.cli import main as podsim
from simulator.night import FaultSpec
from simulator.sim import BOOT_DELAY_MS, firmware_module

NAP = json.loads((Path(__file__).parent.parent / "programs" / "nap.json").read_text())
WDT_MS = firmware_module("pod.board").WDT_TIMEOUT_MS
LIT_BOUND_MS = WDT_MS + BOOT_DELAY_MS + 1000   # a hung pod lit again: watchdog, boot, first tick
MIN = 60000


def _pods(hang_at=None):
    pods = family.parse_pods(family.DEFAULT_PODS)
    for p in pods:
        p.program = NAP
    if hang_at is not None:
        pods[1].faults.append(FaultSpec("hang", hang_at))
    return pods


def _run(pods, radio=(), household=True, end=None, tmp=None):
    fam = family.Family(pods, list(radio), household=household, workdir=tmp)
    return fam, fam.run(end)


LOOP_MS = firmware_module("pod.board").LOOP_MS


def _wakes(fr):
    """Each pod's wakes, their times to the loop's period: a household's code, imported at boot,
    starts the pod's loop ~0.1 s later, so its ticks (and every time it acts) fall at another
    phase of the 100 ms period; the wakes themselves are the same."""
    def q(t):
        return None if t is None else round(t / LOOP_MS)
    return {n: [(w.reason, q(w.trigger_ms), q(w.lit_ms), q(w.sound_ms)) for w in r.wakes]
            for n, r in fr.pods.items()}


def _same(a, b):
    assert a.keys() == b.keys()
    for n in a:
        assert [w[0] for w in a[n]] == [w[0] for w in b[n]], n
        for x, y in zip(a[n], b[n]):
            for u, v in zip(x[1:], y[1:]):
                assert (u is None) == (v is None) and (u is None or abs(u - v) <= 1), (n, x, y)


def test_hang_on_a_child_lights_it_and_the_parent_is_told_within_the_bound(tmp_path):
    fam, fr = _run(_pods(hang_at=12 * MIN), end=14 * MIN, tmp=tmp_path)
    kid = fr.pods["kid1"]
    w = kid.wakes[0]
    assert w.reason == "watchdog" and w.lit_ms is not None
    assert w.lit_ms - w.trigger_ms <= LIT_BOUND_MS
    [relay] = fr.relays
    assert relay["from"] == "kid1" and relay["to"] == "parent" and relay["reason"] == "watchdog"
    assert relay["shown_ms"] - relay["sent_ms"] <= family.RELAY_BOUND_MS
    # the announcement names the child and why, and changes nothing of the parent's own night
    assert fr.acted["parent"] == [{"announce": "kid1", "why": "watchdog",
                                   "t_ms": relay["shown_ms"]}]
    assert fr.pods["parent"].wakes == [] and fr.pods["kid2"].wakes == []
    assert kid.final_state == "ALARM"


def test_the_parent_acknowledges_the_announcement_only_there(tmp_path):
    pods = _pods(hang_at=12 * MIN)
    fam = family.Family(pods, [], workdir=tmp_path)
    parent, kid1 = fam.pods[0], fam.pods[1]
    parent.send({"id": 7, "cmd": "ack"}, at_ms=12 * MIN + 20000)
    fr = fam.run(13 * MIN)
    ev = [e["msg"] for e in fr.pods["parent"].events if e.get("ev") == "household"]
    assert {"acked": ["kid1"], "how": "serial"} in ev
    assert [m for m in parent.replies if m.get("id") == 7][0]["ok"] is True
    # kid1's alarm goes on: only a person at kid1 (or kid1's own serial link) ends it
    assert fr.pods["kid1"].final_state == "ALARM" and kid1.lit() and kid1.sounding()


def test_radio_down_every_pod_wakes_exactly_as_alone(tmp_path):
    end = 50 * MIN
    down = [family.RadioSpec("down", 2 * MIN, end)]
    _, together = _run(_pods(hang_at=20 * MIN), down, end=end, tmp=tmp_path / "a")
    _, alone = _run(_pods(hang_at=20 * MIN), household=False, end=end, tmp=tmp_path / "b")
    _same(_wakes(together), _wakes(alone))
    assert {n: [x["cause"] for x in r.resets] for n, r in together.pods.items()} == \
        {n: [x["cause"] for x in r.resets] for n, r in alone.pods.items()}
    assert all(len(w) >= 1 for w in _wakes(together).values())  # (the nap's wake came)
    assert [r["shown_ms"] for r in together.relays] == [None]  # nobody could hear kid1


def test_hostile_frames_are_never_acted_on_and_are_counted(tmp_path):
    end = 45 * MIN
    hostile = [family.RadioSpec("hostile", 1 * MIN, end)]
    fam, fr = _run(_pods(), hostile, end=end, tmp=tmp_path / "a")
    _, alone = _run(_pods(), household=False, end=end, tmp=tmp_path / "b")
    assert fam.hostile.sent > 100
    assert fr.radio["rejected"] >= fam.hostile.sent // 2
    assert fr.acted == {"parent": [], "kid1": [], "kid2": []}
    assert family.result_json(fr)["hostile"] == {"sent": fam.hostile.sent, "accepted": 0}
    assert "Hostile sender: %d frames sent" % fam.hostile.sent in family.format_family(fr)
    _same(_wakes(fr), _wakes(alone))


def test_pod_sim_family_json_contract(capsys):
    rc = podsim(["family", "--pods", "mum:parent,kid:child", "--fault", "kid:hang@+00:03",
                 "--duration", "00:04", "--radio", "loss:10@+00:01-+00:02", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"pods", "relays", "radio"}
    assert set(out["pods"]) == {"mum", "kid"}
    for p in out["pods"].values():
        assert set(p) >= {"role", "wakes", "resets", "states", "final_state"}
    assert out["pods"]["kid"]["wakes"][0]["reason"] == "watchdog"
    [r] = out["relays"]
    assert set(r) == {"from", "to", "reason", "sent_ms", "shown_ms"} and r["shown_ms"] is not None
    assert set(out["radio"]) == {"sent", "delivered", "lost", "rejected"}
    assert out["hostile"] == {"sent": 0, "accepted": 0}
    assert family.KEY_HEX not in json.dumps(out)


@pytest.mark.parametrize("args,msg", [
    (["--pods", "a:parent,a:child"], "named twice"),
    (["--pods", "a:child,b:child"], "needs a parent"),
    (["--pods", "a:boss,b:child"], "NAME:ROLE"),
    (["--fault", "nobody:hang@+01:00"], "NAME one of"),
    (["--radio", "loss:300@+01:00-+02:00"], "percentage"),
    (["--radio", "down@+02:00-+01:00"], "after FROM"),
    (["--radio", "jam@+01:00-+02:00"], "unknown kind"),
    (["--radio", "down@-01:00-+02:00"], "each a clock time HH:MM or a time since the start"),
    (["--duration", "xx"], "--duration time 'xx' is not HH:MM"),
])
def test_pod_sim_family_refuses_bad_arguments(args, msg, capsys):
    assert podsim(["family"] + args) != 0
    assert msg in capsys.readouterr().err


def test_plot_draws_one_lane_per_pod(tmp_path, capsys):
    png = tmp_path / "family.png"
    assert podsim(["family", "--pods", "mum:parent,kid:child", "--fault", "kid:hang@+00:02",
                   "--duration", "00:03", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "== mum (parent) ==" in out and "kid -> mum (watchdog): shown after" in out
    assert png.stat().st_size > 5000


def test_a_duration_of_nothing_simulates_nothing(capsys):
    assert podsim(["family", "--duration", "00:00", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["radio"]["sent"] == 0
    assert all(p["states"] == [] and p["wakes"] == [] for p in out["pods"].values())
