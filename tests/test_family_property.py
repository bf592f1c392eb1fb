"""A stateful property suite over a household of three whole pods (the unmodified firmware on
three simulated boards, one air): random faults on each pod and on the radio, and a hostile
sender. Each example runs the night twice, with the household and with the same pods alone.

Invariants, in plain words:
1. Every pod's own night is as it is alone: the same wakes (reason and time, to the 100 ms
   loop's phase), the same resets, the same answers, the same states in the same order. One
   exception, by rule 3 of the README: a press on a parent's pod that is announcing a child's
   alarm, while the pod's own state has nothing to answer, acknowledges the announcement and
   does nothing else; from that press on, the person's night on that pod is their own choice
   (alone, the same press would have started a lamp or a night), so it is compared up to it.
2. No received frame ever delays or ends a wake: (1), and nothing a pod does because of the
   household is anything but an announcement of an alarm a child really raised.
3. On a healthy link, every child's alarm is shown on every parent within the relay bound.
4. No forged or replayed frame is ever acted on: a pod accepts no more frames than household
   pods really delivered to it since its last boot.

Quick profile (make test): a few examples; deep (make soak): many more. The broken variants
(a pod that lets a remote message silence its alarm, one that accepts replays, one whose radio
call blocks) each fail this suite's check on a fixed night, while the real firmware passes it.
"""
from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from simulator import FIRMWARE_DIR, family
from simulator.night import FaultSpec
from simulator.sim import firmware_module

MIN = 60000
PROGRAM = {"version": 1, "name": "short", "wind_down": {"minutes": 2},
           "wake": {"after_min": 16, "sunrise_min": 15, "sound_lead_min": 2, "volume": 40,
                    "awake_min": 5}}
END_MS = 27 * MIN
LOOP_MS = firmware_module("pod.board").LOOP_MS
DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
FAULTS = ("hang", "crash", "power-cut", "button", "serial-wake")


def _pods(faults):
    pods = family.parse_pods(family.DEFAULT_PODS)
    for p in pods:
        p.program = PROGRAM
    for i, kind, at in faults:
        pods[i].faults.append(FaultSpec(kind, at))
    return pods


def run(faults, radio, fw_dir=None, tmp=None):
    fam = family.Family(_pods(faults), radio, fw_dir=fw_dir, workdir=tmp)
    return fam.run(END_MS)


_alone: dict = {}


def run_alone(faults, tmp=None):
    key = repr(faults)
    if key not in _alone:
        fam = family.Family(_pods(faults), [], household=False, workdir=tmp)
        _alone[key] = fam.run(END_MS)
    return _alone[key]


def button_acks(fr) -> dict[str, int]:
    """{pod: when a press on it first acknowledged an announcement} (rule 3)."""
    out = {}
    for n, r in fr.pods.items():
        for e in r.events:
            m = e.get("msg")
            if e.get("ev") == "household" and isinstance(m, dict) and m.get("how") == "button":
                out[n] = e["sim_ms"]
                break
    return out


def _own(fr, cuts):
    """Each pod's own night, up to cuts[pod] (ms) where given."""
    out = {}
    for n, r in fr.pods.items():
        cut = cuts.get(n, END_MS + 1)
        states = []
        for s in r.samples:
            if s.t_ms < 5000 or s.state == "BOOT":  # a household's pod boots ~0.2 s longer (its
                continue                               # code imported): a 1 s sample may see it
            if s.t_ms >= cut - 1000:  # (a 1 s sample may fall either side of the press)
                break
            if not states or states[-1] != s.state:
                states.append(s.state)
        out[n] = {
            "wakes": [(w.reason, None if w.lit_ms is None else w.lit_ms // LOOP_MS,
                       w.trigger_ms // LOOP_MS) for w in r.wakes if w.trigger_ms < cut],
            "resets": [x["cause"] for x in r.resets if x["t_ms"] < cut],
            "answers": [(e.get("msg"), e["sim_ms"] // 1000) for e in r.events
                        if e.get("ev") == "answer" and e["sim_ms"] < cut - 1000],
            "states": states, "final": r.final_state if n not in cuts else "(cut)"}
    return out


def _close(a, b):
    """Two pods' own nights equal, times to one loop period (answers to a second)."""
    if a.keys() != b.keys() or a["resets"] != b["resets"] or a["final"] != b["final"]:
        return False
    if [w[0] for w in a["wakes"]] != [w[0] for w in b["wakes"]]:
        return False
    for x, y in zip(a["wakes"], b["wakes"]):
        for u, v in zip(x[1:], y[1:]):
            if (u is None) != (v is None) or (u is not None and abs(u - v) > 1):
                return False
    if [h for h, _ in a["answers"]] != [h for h, _ in b["answers"]]:
        return False
    if any(abs(s - t) > 1 for (_, s), (_, t) in zip(a["answers"], b["answers"])):
        return False
    return a["states"] == b["states"]


def violations(fr, alone, faults, radio) -> list[str]:
    out = []
    cuts = button_acks(fr)
    own, own_alone = _own(fr, cuts), _own(alone, cuts)
    for n in own:  # 1 and 2: each pod's own night as alone
        if not _close(own[n], own_alone[n]):
            out.append("%s's own night differs from alone: %r vs %r" % (n, own[n], own_alone[n]))
    for n, acts in fr.acted.items():  # 2: only announcements of alarms really raised
        for a in acts:
            if "announce" not in a:
                out.append("%s acted on %r" % (n, a))
            elif not any(r["from"] == a["announce"] and r["sent_ms"] <= a["t_ms"]
                         for r in fr.relays):
                out.append("%s announced an alarm nobody raised: %r" % (n, a))
    bound = family.RELAY_BOUND_MS
    for r in fr.relays:  # 3: on a healthy link, within the bound
        t0, t1 = r["sent_ms"] - 2 * MIN, r["sent_ms"] + bound
        sick = any(x.from_ms < t1 and x.to_ms > t0 for x in radio)
        parent_i = [p.name for p in _pods([])].index(r["to"])
        busy = any(i == parent_i and t0 <= at <= t1 for i, _, at in faults)
        if sick or busy or r["sent_ms"] > END_MS - bound:
            continue
        if r["shown_ms"] is None or r["shown_ms"] - r["sent_ms"] > bound:
            out.append("relay %r not shown within %d ms on a healthy link" % (r, bound))
    for n, s in fr.status.items():  # 4: nothing accepted that was not really sent to it
        if s and s.get("accepted", 0) > fr.real.get(n, 0):
            out.append("%s accepted %d frames, only %d really reached it since its boot"
                       % (n, s["accepted"], fr.real.get(n, 0)))
    return out


faults_st = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(FAULTS),
                               st.integers(1 * MIN, 24 * MIN).map(lambda t: t // 1000 * 1000)),
                     max_size=3)
window_st = st.tuples(st.integers(0, 20), st.integers(1, 10)).map(
    lambda w: (w[0] * MIN, (w[0] + w[1]) * MIN))
radio_st = st.lists(st.one_of(
    window_st.map(lambda w: family.RadioSpec("down", *w)),
    st.tuples(window_st, st.integers(10, 90)).map(lambda x: family.RadioSpec("loss", *x[0], x[1])),
    window_st.map(lambda w: family.RadioSpec("hostile", *w))), max_size=2)


@settings(max_examples=12 if DEEP else 2, deadline=None, derandomize=not DEEP,
          phases=[Phase.explicit, Phase.generate],  # (shrinking whole nights takes for ever)
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(faults=faults_st, radio=radio_st)
# found by a deep soak (2026-12-05): kid1's alarm announced on the parent all morning, and the
# parent's press at bedtime acknowledged it instead of starting a night (rule 3)
@example(faults=[(1, "power-cut", 190000), (0, "button", 1117000), (1, "hang", 230000)],
         radio=[family.RadioSpec("loss", 60000, 240000, 25)])
def test_a_household_night_keeps_every_invariant(faults, radio, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fam")
    fr = run(faults, radio, tmp=tmp / "hh")
    alone = run_alone(faults, tmp=tmp / "alone")
    assert violations(fr, alone, faults, radio) == []


# -- the broken variants, each caught on one fixed night, the real firmware passing it ---------
FIXED_FAULTS = [(1, "hang", 6 * MIN)]
FIXED_RADIO = [family.RadioSpec("hostile", 1 * MIN, 26 * MIN)]

VARIANTS = {
    "remote message silences the alarm": [(
        "household/hook.py", "        n.tick(now)\n",
        "        n.tick(now)\n        if pod.state == ALARM and n.rx.counts[0]:\n"
        "            self.want = CMD_ACK\n")],
    "accepts replays": [(
        "household/receiver.py", "        if f.epoch == e and f.seq <= self.seq[i]:\n",
        "        if False:\n")],
    "radio call blocks": [(
        "household/radio.py", "            r = e.irecv(0)", "            r = e.irecv(-1)")],
}


def broken_copy(tmp_path, patches):
    dst = tmp_path / "firmware"
    shutil.copytree(FIRMWARE_DIR, dst)
    for rel, old, new in patches:
        p = dst / "pod" / rel
        src = p.read_text()
        assert src.count(old) == 1, "the variant no longer applies to %s: %r" % (rel, old)
        p.write_text(src.replace(old, new))
    return dst


@pytest.mark.parametrize("name", [None, *VARIANTS])
def test_broken_variants_are_caught_and_the_real_firmware_passes(name, tmp_path):
    fw = None if name is None else broken_copy(tmp_path, VARIANTS[name])
    fr = run(FIXED_FAULTS, FIXED_RADIO, fw_dir=fw, tmp=tmp_path / "hh")
    alone = run_alone(FIXED_FAULTS, tmp=tmp_path / "alone")
    v = violations(fr, alone, FIXED_FAULTS, FIXED_RADIO)
    if name is None:
        assert v == []
        assert fr.relays and all(r["shown_ms"] is not None for r in fr.relays)
        assert fr.radio["rejected"] > 0
    else:
        assert v, "the variant %r was not caught" % name
