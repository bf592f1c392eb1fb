"""A pod that restarts forgets, in RAM, what it heard. Its household frames still cannot be
replayed to it: each frame names the receiver's boot (its "to epoch", firmware
pod/household/frame.py), and a pod acts only on frames that name its current boot. These tests
show what a person would notice: no announcement or wake from a frame recorded before a pod
restarted, and the alarm relay still inside its bound right after a restart."""
from __future__ import annotations

import householdkit as K

from simulator import family
from simulator.hw import air as airmod
from simulator.night import FaultSpec

HH = K.load()
R = HH.receiver
FAMILY = [("parent", "parent"), ("kid1", "child"), ("kid2", "child")]
MIN = 60000


def _count(rx, name):
    return rx.counts[HH.link.COUNT_NAMES.index(name)]


def test_a_frame_naming_no_boot_or_another_is_remembered_but_not_acted_on():
    mac = HH.hmac256.Hmac(K.KEY)
    enc = HH.frame.Encoder(mac, 1)
    rx = R.Receiver(mac, 0, 7)  # this pod is in its 7th boot
    rx.add_peer(1, K.mac(1), HH.policy.ROLE_CHILD)
    T = HH.frame.T_ALARM
    hello = bytes(enc.encode(T, 0, 4, 1, ref=1, to_epoch=0))   # the sender has not heard us
    assert not rx.accept(K.mac(1), hello, 0)
    assert (_count(rx, "hello"), rx.ask, rx.news) == (1, 0, 0)  # answer it; its boot is new
    assert rx.rejected() == 0 and rx.peer_epoch(0) == 4
    rx.ask = rx.news = -1
    assert not rx.accept(K.mac(1), hello, 0)                    # and it cannot come twice
    assert _count(rx, "replayed") == 1 and rx.ask == -1
    old = bytes(enc.encode(T, 0, 4, 2, ref=1, to_epoch=6))     # names our previous boot
    assert not rx.accept(K.mac(1), old, 0)
    assert _count(rx, "stale") == 1 and rx.ask == 0 and rx.news == -1
    fresh = bytes(enc.encode(T, 0, 4, 3, ref=1, to_epoch=7))
    assert rx.accept(K.mac(1), fresh, 5)
    assert rx.heard_ms[0] == 5 and _count(rx, "accepted") == 1


def test_frames_recorded_before_a_restart_are_dropped_after_it():
    fam = K.Family(HH, FAMILY)
    fam.air.capturing = True
    fam.nodes[1].raise_alarm(8, fam.t_ms)
    fam.run(3000)
    assert [a for a, _, _ in fam.actions(0)] == [HH.policy.A_ANNOUNCE]
    fam.air.capturing = False
    recorded = [c for c in fam.air.capture if c[1] == K.mac(0)]
    assert any(d[1] == HH.frame.T_ALARM for _, _, d in recorded)
    fam.power_off(0)
    fam.air.partition([K.mac(0)], [K.mac(1), K.mac(2)])  # a jammer: the kids go unheard
    fam.run(500)
    fam.power_on(0)
    fam.run(500)
    bad = airmod.Hostile(fam.air)
    for i, c in enumerate(fam.air.capture):
        if c[1] == K.mac(0):
            bad.replay(i)
            fam.step()
    rx = fam.nodes[0].rx
    assert fam.actions(0) == [] and _count(rx, "accepted") == 0
    assert _count(rx, "stale") >= len(recorded) - R.MAX_PEERS  # (a few wait in the full buffer)


def test_the_alarm_relay_keeps_its_bound_right_after_a_restart():
    """After the parent restarts, and after the child restarts, a child's alarm raised at once
    is announced on the parent within the bound of a healthy link (one round trip more)."""
    for who in (0, 1):
        fam = K.Family(HH, FAMILY)
        fam.run(3000)
        fam.power_off(who)
        fam.run(200)
        fam.power_on(who)
        fam.nodes[1].raise_alarm(8, fam.t_ms)
        t0 = fam.t_ms
        while not fam.actions(0):
            fam.step()
            assert fam.t_ms - t0 <= 300, "not announced 300 ms after a restart of pod %d" % who
        assert fam.nodes[1].unacked() <= 1


def test_pod_sim_family_hostile_replays_across_a_restart_act_on_nothing(tmp_path):
    """kid1 hangs and is relayed; the parent's pod then loses power and boots again while the
    household's radio is jammed and a hostile sender replays frames recorded all night (kid1's
    alarm among them): the parent announces kid1 once, before its restart, and never again."""
    pods = family.parse_pods(family.DEFAULT_PODS)
    pods[1].faults.append(FaultSpec("hang", 2 * MIN))
    pods[0].faults.append(FaultSpec("power-cut", 4 * MIN, 5))
    radio = [family.RadioSpec("hostile", 1 * MIN, 9 * MIN),
             family.RadioSpec("down", 4 * MIN, 6 * MIN)]
    fam = family.Family(pods, radio, workdir=tmp_path)
    fr = fam.run(9 * MIN)
    assert len(fr.pods["parent"].resets) == 1 and fam.hostile.sent > 500
    shown = [a for a in fr.acted["parent"] if a.get("announce")]
    assert [(a["announce"], a["why"]) for a in shown] == [("kid1", "watchdog")]
    assert shown[0]["t_ms"] < 4 * MIN
    assert fr.acted["kid1"] == [] and fr.acted["kid2"] == []
    for name, s in fr.status.items():
        assert s["accepted"] <= fr.real[name], name
    assert family.hostile_report(fr)["accepted"] == 0
