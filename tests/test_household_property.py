"""A stateful property test over a household of three pods (a parent and two children) on the
simulated air, at the household layer (whole pods: tests/test_family_property.py).

Random operations: children raise alarms, the parent wakes everyone or calls bedtime; the air
loses frames, is partitioned and healed, jammed; pods are powered off and boot again (a new
boot epoch); a hostile sender replays captured frames, forges and floods. Invariants, in plain
words:
- every action the household asks of a pod is an addition (wake, announce, wind-down from
  idle): nothing received delays, silences or ends anything;
- a parent's pod announces a child's alarm at most once per alarm the child really raised (per
  boot of the parent's pod), and never for an alarm nobody raised: no forged or replayed frame
  is acted on;
- a child's pod adds a wake at most once per "wake everyone" a parent really asked for (per
  boot of the child's pod);
- a pod accepts no more frames than household pods really delivered to it since its last boot:
  no replayed frame, recorded in this boot or an earlier one, is ever taken for a fresh one;
- on a healthy link (no loss, no partition, all powered), every child's alarm reaches the
  parent's pod, and is acknowledged, within RELAY_BOUND_MS.
`HYPOTHESIS_PROFILE=deep` (as `make soak` sets) runs many more examples.
"""

from __future__ import annotations

import os

import householdkit as K
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.hw import air as airmod

settings.register_profile(
    "quick", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "deep", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

HH = K.load()
P = HH.policy
FAMILY = [("parent", "parent"), ("kid1", "child"), ("kid2", "child")]
RELAY_BOUND_MS = 300   # healthy link: raised on one tick, announced within this
ADDS = {P.A_WAKE, P.A_ANNOUNCE, P.A_WIND_DOWN}

ops = st.one_of(
    st.tuples(st.just("alarm"), st.sampled_from([1, 2])),
    st.tuples(st.just("wake_all"), st.just(0)),
    st.tuples(st.just("bedtime"), st.just(0)),
    st.tuples(st.just("loss"), st.sampled_from([0, 30, 70, 100])),
    st.tuples(st.just("partition"), st.sampled_from([0, 1, 2])),
    st.tuples(st.just("heal"), st.just(0)),
    st.tuples(st.just("jam"), st.booleans()),
    st.tuples(st.just("power_off"), st.sampled_from([0, 1, 2])),
    st.tuples(st.just("power_on"), st.sampled_from([0, 1, 2])),
    st.tuples(st.just("replay"), st.integers(0, 10**6)),
    st.tuples(st.just("forge"), st.integers(0, HH.frame.FRAME_LEN - 1)),
    st.tuples(st.just("flood"), st.integers(1, 40)),
    st.tuples(st.just("advance"), st.sampled_from([50, 300, 1000, 3000, 10000])),
)


class Ledger:
    """What really happened, to judge the actions against."""

    def __init__(self):
        self.alarms = {1: 0, 2: 0}     # alarms each child raised
        self.announced = {1: 0, 2: 0}  # announcements of each child on the parent
        self.wakes_asked = 0
        self.wakes = {1: 0, 2: 0}


def reboot(led, k):
    """A pod that boots again has lost what it showed: a parent may announce a child's alarm
    again, a child may add the wake it was asked for again (once per boot)."""
    if k == 0:
        led.announced = {1: 0, 2: 0}
    else:
        led.wakes[k] = 0


def drain(fam, led):
    for k in range(3):
        n = fam.nodes[k]
        real = fam.air.real.get(K.mac(k), 0)
        assert n.rx.counts[0] <= real, (
            "pod %d accepted %d frames, only %d really reached it since its boot" % (
                k, n.rx.counts[0], real))
        for a, _reason, slot in fam.actions(k):
            assert a in ADDS, "action %r is not an addition" % a
            if a == P.A_ANNOUNCE:
                assert k == 0, "an announcement on a child's pod"
                kid = n.rx.ids[slot]
                led.announced[kid] += 1
                assert led.announced[kid] <= led.alarms[kid], (
                    "kid%d announced %d times for %d alarms" % (kid, led.announced[kid],
                                                                 led.alarms[kid]))
            if a == P.A_WAKE:
                assert k != 0
                led.wakes[k] += 1
                assert led.wakes[k] <= led.wakes_asked, "a wake nobody asked for"


def run(fam, led, ms):
    for _ in range(ms // 10):
        fam.step(10)
        drain(fam, led)


@given(st.lists(ops, max_size=25))
def test_household_invariants(seq):
    fam = K.Family(HH, FAMILY)
    fam.air.capturing = True
    fam.air.capture_max = 400
    bad = airmod.Hostile(fam.air)
    led = Ledger()
    on = [True, True, True]
    for op, arg in seq:
        if op == "alarm" and on[arg]:
            fam.nodes[arg].raise_alarm(8, fam.t_ms)
            led.alarms[arg] += 1
        elif op == "wake_all" and on[0]:
            fam.nodes[0].wake_everyone(fam.t_ms)
            led.wakes_asked += 1
        elif op == "bedtime" and on[0]:
            fam.nodes[0].bedtime(20, fam.t_ms)
        elif op == "loss":
            fam.air.loss_pct = arg
        elif op == "partition":
            fam.air.partition([K.mac(arg)], [K.mac(i) for i in range(3) if i != arg])
        elif op == "heal":
            fam.air.heal()
        elif op == "jam":
            fam.air.down = arg
        elif op == "power_off" and on[arg]:
            fam.power_off(arg)
            on[arg] = False
        elif op == "power_on" and not on[arg]:
            fam.power_on(arg)
            on[arg] = True
            reboot(led, arg)
        elif op == "replay" and fam.air.heard:  # a frame a pod really had (a replay, not a
            src, dst, data = fam.air.heard[arg % len(fam.air.heard)]  # relay of one it never got)
            bad.forge(src, dst, data)
        elif op == "forge" and fam.air.capture:
            src, dst, data = fam.air.capture[-1]
            forged = bytearray(data)
            forged[arg] ^= 0x5A
            bad.forge(src, dst, bytes(forged))
        elif op == "flood":
            bad.flood(K.mac(1), K.mac(0), bytes(HH.frame.FRAME_LEN), arg)
        elif op == "advance":
            run(fam, led, arg)
        run(fam, led, 10)
    # the link becomes healthy: every pod on, no loss, no partition, no jam
    fam.air.loss_pct = 0
    fam.air.heal()
    fam.air.down = False
    for i in range(3):
        if not on[i]:
            fam.power_on(i)
            reboot(led, i)
    run(fam, led, 2100)  # what was pending is resent (gap at most 2 s) and acknowledged
    for k in (1, 2):
        assert fam.nodes[k].unacked() == 0, "kid%d's messages still unacknowledged" % k
    before = dict(led.announced)
    for k in (1, 2):
        fam.nodes[k].raise_alarm(8, fam.t_ms)
        led.alarms[k] += 1
    run(fam, led, RELAY_BOUND_MS)
    for k in (1, 2):
        assert led.announced[k] == before[k] + 1, "kid%d's alarm not shown within %d ms" % (
            k, RELAY_BOUND_MS)
        assert fam.nodes[k].unacked() == 0
