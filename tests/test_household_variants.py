"""Each household invariant is shown able to fail: a deliberately broken copy of the household
code runs the scenario that guards the invariant and the check catches it, while the real code
passes the very same scenario (as tests/test_failsafe_variants.py does for the fail-safe)."""

from __future__ import annotations

import shutil

import householdkit as K
import pytest

from simulator import FIRMWARE_DIR
from simulator.hw import air as airmod

FAMILY = [("parent", "parent"), ("kid1", "child"), ("kid2", "child")]
HOUSEHOLD = "pod/household/"


def broken_copy(tmp_path, patches):
    dst = tmp_path / "firmware"
    shutil.copytree(FIRMWARE_DIR, dst)
    for rel, old, new in patches:
        p = dst / HOUSEHOLD / rel
        src = p.read_text()
        assert src.count(old) == 1, "the variant no longer applies to %s: %r" % (rel, old)
        p.write_text(src.replace(old, new))
    return dst


def replay_scenario(hh) -> list[str]:
    """A night's frames are captured, then replayed to every pod: none may be accepted."""
    fam = K.Family(hh, FAMILY)
    fam.air.capturing = True
    fam.nodes[1].raise_alarm(8, fam.t_ms)
    fam.nodes[0].wake_everyone(fam.t_ms)
    fam.run(5000)
    before = [n.rx.counts[0] for n in fam.nodes]
    bad = airmod.Hostile(fam.air)
    for i in range(len(fam.air.capture)):
        bad.replay(i)
        fam.step()
    # only the pods' own heartbeats in the meantime may be accepted (2 peers, every 2 s)
    window_ms = len(fam.air.capture) * 10
    allowed = 2 * (window_ms // 2000 + 2)
    return ["pod %d accepted %d replayed frames" % (k, n.rx.counts[0] - before[k] - allowed)
            for k, n in enumerate(fam.nodes) if n.rx.counts[0] - before[k] > allowed]


def reboot_replay_scenario(hh) -> list[str]:
    """A night's frames are captured (an alarm, wake everyone, heartbeats); every pod restarts
    while a jammer keeps the pods from hearing each other, and the captured frames are replayed
    to every pod: none may be acted on, nor accepted. Then the air clears and the restarted
    pods' own alarm still reaches the parent."""
    fam = K.Family(hh, FAMILY)
    fam.air.capturing = True
    fam.nodes[1].raise_alarm(8, fam.t_ms)
    fam.nodes[0].wake_everyone(fam.t_ms)
    fam.run(5000)
    fam.air.capturing = False
    for k in range(len(fam.nodes)):
        fam.actions(k)
        fam.power_off(k)
    fam.air.partition(*[[K.mac(k)] for k in range(len(fam.nodes))])
    fam.run(1000)
    for k in range(len(fam.nodes)):
        fam.power_on(k)
    fam.run(1000)
    bad = airmod.Hostile(fam.air)
    for i in range(len(fam.air.capture)):
        bad.replay(i)
        fam.step()
    out = []
    for k, n in enumerate(fam.nodes):
        acts = fam.actions(k)
        if acts:
            out.append("pod %d acted on replayed frames: %r" % (k, acts))
        if n.rx.counts[0]:
            out.append("pod %d accepted %d replayed frames" % (k, n.rx.counts[0]))
    fam.air.heal()
    fam.nodes[1].raise_alarm(8, fam.t_ms)
    fam.run(3000)
    if [a for a, _, _ in fam.actions(0)] != [hh.policy.A_ANNOUNCE]:
        out.append("after the restarts the child's alarm was not announced on the parent")
    return out


def silence_scenario(hh) -> list[str]:
    """Every input to the policy: none may give an action that is not an addition."""
    P = hh.policy
    adds = {P.A_NONE, P.A_WAKE, P.A_ANNOUNCE, P.A_WIND_DOWN}
    out = []
    for me in (0, 1):
        for sender in (0, 1):
            for t in range(256):
                for waking in (False, True):
                    a = P.decide(me, sender, t, waking)
                    if a not in adds:
                        out.append("type %d from %s gave action %r" % (t, sender, a))
    return out


def blocking_scenario(hh) -> list[str]:
    """A household tick must not wait: the pods' virtual clocks must not move inside it."""
    fam = K.Family(hh, FAMILY)
    out = []
    for _ in range(50):
        fam.t_ms += 10
        for k, (b, n) in enumerate(zip(fam.boards, fam.nodes, strict=True)):
            b.us = fam.t_ms * 1000
            K.simstate.current = b
            n.tick(fam.t_ms)
            if b.us != fam.t_ms * 1000:
                out.append("pod %d: a tick took %d ms" % (k, b.us // 1000 - fam.t_ms))
    return out


VARIANTS = {
    "accepts_replays": (replay_scenario, [
        ("receiver.py", "if f.epoch == e and f.seq <= self.seq[i]:", "if False:")]),
    "accepts_replays_after_reboot": (reboot_replay_scenario, [
        ("receiver.py", "if f.to_boot != self.my_boot:", "if False:")]),
    "remote_silences": (silence_scenario, [
        ("policy.py", "A_NONE = const(0)\n", "A_NONE = const(0)\nA_SILENCE = const(9)\n"),
        ("policy.py", "    if ftype == frame.T_WAKE_ALL:",
         "    if ftype == frame.T_ACK:\n        return A_SILENCE\n    if ftype == frame.T_WAKE_ALL:")]),
    "radio_blocks": (blocking_scenario, [
        ("radio.py", "r = e.irecv(0)", "r = e.irecv(200)")]),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_real_household_passes(name):
    scenario, _ = VARIANTS[name]
    assert scenario(K.load()) == []


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_broken_variant_is_caught(name, tmp_path):
    scenario, patches = VARIANTS[name]
    hh = K.load(broken_copy(tmp_path, patches))
    assert scenario(hh) != [], "the %s variant was not caught" % name
