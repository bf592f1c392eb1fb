"""The household foundations (firmware/pod/household/) on CPython, over the simulated air.

What a family would notice: an alarm raised on a child's pod shows on every parent's pod once,
and keeps being sent until the parent's pod itself says it has it; nothing a stranger sends
(replayed, forged, malformed, flooded) is ever acted on, and each is counted; nothing received
can ask a pod for anything but an extra wake, an announcement or a wind-down from idle; the key
is never shown; a radio that breaks is a counted fault, never an exception in the loop.
"""

from __future__ import annotations

import hashlib
import hmac as std_hmac
import os
from typing import Any

import householdkit as K
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.hw import air as airmod
from simulator.hw import simstate

settings.register_profile(
    "quick", max_examples=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile(
    "deep", max_examples=2000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

HH = K.load()
FAMILY = [("parent", "parent"), ("kid1", "child"), ("kid2", "child")]
R_CRASH = 8


# -- HMAC-SHA256 against RFC 4231 ------------------------------------------------------------
# (key, data, HMAC-SHA-256, bytes compared): test cases 1-7 of RFC 4231 section 4
RFC4231 = [
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32),
    (b"\xaa" * 20, b"\xdd" * 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 32),
    (bytes(range(1, 26)), b"\xcd" * 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 32),
    (b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b", 16),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 32),
    (b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than "
     b"block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 32),
]


@pytest.mark.parametrize("case", range(len(RFC4231)), ids=lambda i: f"rfc4231-{i + 1}")
def test_hmac_matches_rfc4231(case):
    key, data, want, n = RFC4231[case]
    assert HH.hmac256.Hmac(key).digest(data)[:n].hex() == want


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_hmac_matches_python_hmac(key, data):
    assert HH.hmac256.Hmac(key).digest(data) == std_hmac.new(key, data, hashlib.sha256).digest()


def test_constant_time_compare_looks_at_every_byte():
    eq = HH.hmac256.equal
    a = bytes(range(16))
    assert eq(a, 0, bytearray(a), 0, 16)
    for i in range(16):
        b = bytearray(a)
        b[i] ^= 1
        assert not eq(a, 0, b, 0, 16)
    assert "key" not in repr(HH.hmac256.Hmac(K.KEY)) and K.KEY_HEX not in repr(HH.hmac256.Hmac(K.KEY))


# -- frames and the receiver -----------------------------------------------------------------
RX_BOOT = 3  # the receiving pod's boot id in these tests
TX_BOOT = 11  # the sending pod's


class _ToRx:
    """An encoder whose frames name the receiver's boot (RX_BOOT) unless told otherwise."""

    def __init__(self, enc):
        self.enc = enc

    def encode(self, *args, **kw):
        kw.setdefault("to_boot", RX_BOOT)
        return self.enc.encode(*args, **kw)


def _pair(my_id=0, sender=1, role=1):
    """(encoder of `sender`, receiver of `my_id` that knows it)."""
    mac = HH.hmac256.Hmac(K.KEY)
    enc = _ToRx(HH.frame.Encoder(mac, sender, TX_BOOT))
    rx = HH.receiver.Receiver(mac, my_id, RX_BOOT)
    rx.add_peer(sender, K.mac(sender), role)
    return enc, rx


def test_frame_round_trip():
    enc, rx = _pair()
    buf = bytes(enc.encode(HH.frame.T_ALARM, 0, 7, 3, reason=R_CRASH, subject=1, arg=513,
                           ref=99, name=b"kid1"))
    assert len(buf) == HH.frame.FRAME_LEN == 56
    assert rx.accept(K.mac(1), buf, 0)
    f = rx.frame
    assert (f.ftype, f.sender, f.dest, f.epoch, f.seq, f.reason, f.subject, f.arg, f.ref,
            f.boot, f.to_boot) == (HH.frame.T_ALARM, 1, 0, 7, 3, R_CRASH, 1, 513, 99, TX_BOOT,
                                   RX_BOOT)
    assert bytes(f.name) == b"kid1".ljust(12, b"\0")  # zero-padded
    assert rx.counts == [1, 0, 0, 0, 0, 0, 0]


def test_each_kind_of_bad_frame_is_dropped_and_counted():
    enc, rx = _pair()
    T = HH.frame.T_HEARTBEAT
    good = bytes(enc.encode(T, 0, 5, 10))
    assert rx.accept(K.mac(1), good, 0)
    names = HH.link.COUNT_NAMES

    def count(name):
        return rx.counts[names.index(name)]

    assert not rx.accept(K.mac(1), good, 0)                          # the same frame again
    assert count("replayed") == 1
    assert not rx.accept(K.mac(1), bytes(enc.encode(T, 0, 5, 9)), 0)  # an older seq
    assert count("replayed") == 2
    assert not rx.accept(K.mac(1), bytes(enc.encode(T, 0, 4, 99)), 0)  # an older boot epoch
    assert count("stale") == 1
    assert not rx.accept(K.mac(9), bytes(enc.encode(T, 0, 5, 11)), 0)  # from another MAC
    assert count("unknown") == 1
    other = HH.frame.Encoder(HH.hmac256.Hmac(b"\x01" * 32), 1, TX_BOOT)       # the wrong key
    assert not rx.accept(K.mac(1), bytes(other.encode(T, 0, 5, 12)), 0)
    assert count("forged") == 1
    for bad in (b"", good[:55], good + b"\0", b"\x02" + good[1:],   # (version 2: 52 bytes)
                bytes(enc.encode(T, 3, 5, 13))):                     # meant for pod 3
        assert not rx.accept(K.mac(1), bad, 0)
    assert not rx.accept(K.mac(1), None, 0)
    assert count("malformed") == 6
    assert rx.accept(K.mac(1), bytes(enc.encode(T, 0, 5, 11)), 0)   # a fresh frame still works
    assert rx.accept(K.mac(1), bytes(enc.encode(T, 0, 6, 1)), 0)    # and a new boot epoch
    assert rx.rejected() == 11


def test_forged_frame_changes_no_state():
    enc, rx = _pair()
    assert rx.accept(K.mac(1), bytes(enc.encode(1, 0, 5, 10)), 0)
    forged = bytearray(enc.encode(1, 0, 9, 1000))
    forged[-1] ^= 0xFF
    assert not rx.accept(K.mac(1), bytes(forged), 0)
    assert rx.accept(K.mac(1), bytes(enc.encode(1, 0, 5, 11)), 0), "a forgery moved the epoch"


@given(st.lists(st.tuples(st.integers(0, 55), st.integers(1, 255)), min_size=1, max_size=4),
       st.integers(0, 2**30 - 1), st.integers(1, 2**30 - 1))
def test_no_altered_frame_is_ever_accepted(flips, epoch, seq):
    """Invariant: a frame that differs from a genuine one in any byte is never accepted."""
    enc, rx = _pair()
    good = bytes(enc.encode(HH.frame.T_ALARM, 0, epoch, seq, reason=R_CRASH, subject=1, ref=1))
    bad = bytearray(good)
    for i, x in flips:
        bad[i] ^= x
    if bytes(bad) == good:
        return
    assert not rx.accept(K.mac(1), bytes(bad), 0)
    assert rx.counts[0] == 0


@given(st.binary(min_size=0, max_size=64))
def test_no_random_bytes_are_ever_accepted(data):
    """Invariant: bytes made without the key are never accepted (from a known MAC or not)."""
    _enc, rx = _pair()
    assert not rx.accept(K.mac(1), data, 0)
    assert not rx.accept(K.mac(2), data, 0)
    assert rx.counts[0] == 0 and rx.rejected() == 2


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 50)), min_size=1, max_size=30),
       st.randoms(use_true_random=False))
def test_no_replayed_frame_is_ever_accepted(frames, rnd):
    """Invariant: once a frame was accepted, no copy of it (or of anything sent before it in
    that boot epoch, or in an older epoch) is accepted again, in whatever order they come."""
    enc, rx = _pair()
    sent = []
    last = (0, 0)
    for epoch, seq in sorted(set(frames)):
        sent.append(((epoch, seq), bytes(enc.encode(1, 0, epoch, seq))))
    for key, buf in sent:
        assert rx.accept(K.mac(1), buf, 0)
        last = key
    rnd.shuffle(sent)
    for key, buf in sent:
        assert key <= last
        assert not rx.accept(K.mac(1), buf, 0)
    assert rx.counts[0] == len(sent)


def test_numbers_at_2_to_30_are_malformed_not_big_integers():
    enc, rx = _pair()
    buf = bytearray(enc.encode(1, 0, 5, 10))
    buf[8] |= 0x40  # seq >= 2**30
    assert not rx.accept(K.mac(1), bytes(buf), 0)
    assert rx.counts[HH.receiver.C_MALFORMED] == 1
    with pytest.raises(ValueError):
        enc.encode(1, 0, 2**30, 1)


# -- the policy: the network can only add -----------------------------------------------------
ADDS = {HH.policy.A_NONE, HH.policy.A_WAKE, HH.policy.A_ANNOUNCE, HH.policy.A_WIND_DOWN}


def test_policy_can_only_add_every_input():
    """Exhaustively, every (role, sender role, frame type, waking) gives an add-only action;
    a wake comes only from a parent; an announcement only on a parent's pod and only for an
    alarm; a wind-down only on an idle child's pod, from a parent."""
    P = HH.policy
    for me in (P.ROLE_CHILD, P.ROLE_PARENT):
        for sender in (P.ROLE_CHILD, P.ROLE_PARENT):
            for t in range(256):
                for waking in (False, True):
                    a = P.decide(me, sender, t, waking)
                    assert a in ADDS
                    if a == P.A_WAKE:
                        assert sender == P.ROLE_PARENT and t == HH.frame.T_WAKE_ALL
                    if a == P.A_ANNOUNCE:
                        assert me == P.ROLE_PARENT and t == HH.frame.T_ALARM
                    if a == P.A_WIND_DOWN:
                        assert not waking and me == P.ROLE_CHILD and sender == P.ROLE_PARENT
    assert set(P.ACTION_NAMES) == {"none", "wake", "announce", "wind_down"}


def test_the_hooks_copies_of_household_numbers_match_their_sources():
    """The hook copies a few numbers of policy and radio (importing it loads neither)."""
    H, P = HH.hook, HH.policy
    assert (H._A_WAKE, H._A_ANNOUNCE, H._A_WIND_DOWN) == (P.A_WAKE, P.A_ANNOUNCE, P.A_WIND_DOWN)
    assert (H._ROLE_CHILD, H._ROLE_PARENT) == (P.ROLE_CHILD, P.ROLE_PARENT)
    assert H._RETRY_S * 1000 == HH.radio.RETRY_MS


class WakeModel:
    """What a pod's own wake looks like from outside: when it is due and whether it sounds.
    The household's actions are applied as the app will apply them."""

    def __init__(self, due_ms, sounding):
        self.due_ms = due_ms
        self.sounding = sounding
        self.winding_down = False

    def apply(self, action, P):
        if action == P.A_WAKE:
            self.sounding = True
        elif action == P.A_WIND_DOWN and not self.sounding:
            self.winding_down = True


@given(st.lists(st.tuples(st.sampled_from(["child", "parent"]), st.integers(0, 255),
                          st.booleans()), max_size=40),
       st.booleans(), st.integers(0, 10**7))
def test_policy_actions_never_delay_or_end_a_wake(frames, sounding, due):
    """Invariant: whatever frames arrive, a sounding wake keeps sounding and no wake is due
    later than before."""
    P = HH.policy
    m = WakeModel(due, sounding)
    for sender, t, parent_here in frames:
        was = m.sounding
        a = P.decide(P.ROLE_PARENT if parent_here else P.ROLE_CHILD,
                     P.ROLE_NAMES.index(sender), t, m.sounding)
        m.apply(a, P)
        assert m.sounding or not was
        assert m.due_ms == due
        assert not (m.sounding and a == P.A_WIND_DOWN)


# -- settings ----------------------------------------------------------------------------------
def test_settings_errors_name_their_path_and_never_the_key():
    S = HH.settings
    good = K.household(FAMILY)[0]
    assert S.check(good) == []
    bad: dict[str, Any] = dict(good, role="boss", key="zz" + K.KEY_HEX[2:], channel=14, extra=1)
    bad["peers"] = [dict(good["peers"][0], mac="24:6f:28:00:00"),
                    dict(good["peers"][1], id=good["peers"][0]["id"], colour="red"),
                    "kid3"]
    errs = S.check(bad)
    assert "household.extra: unknown key" in errs
    assert 'household.role: must be "parent" or "child"' in errs
    assert "household.channel: must be a whole number 1..13" in errs
    assert ("household.key: must be 64 hex digits (32 bytes); the value is not shown"
            in errs)
    assert "household.peers[0].mac: must be six hex bytes like aa:bb:cc:dd:ee:ff" in errs
    assert "household.peers[1].id: 1 is already used in this household" in errs
    assert "household.peers[1].colour: unknown key" in errs
    assert "household.peers[2]: must be a JSON object" in errs
    assert all(K.KEY_HEX[2:] not in e for e in errs)
    assert S.check([]) == ["household: must be a JSON object"]
    assert "household.peers: must be a non-empty list" in S.check(dict(good, peers=[]))
    assert "household.key: missing" in S.check({k: v for k, v in good.items() if k != "key"})
    many = [{"id": i, "name": "p%d" % i, "role": "child", "mac": K.mac(i).hex(":")}
            for i in range(1, 8)]
    assert "household.peers: at most 6 peers" in S.check(dict(good, peers=many))


def test_household_never_shows_its_key():
    S = HH.settings
    h = S.Household(K.household(FAMILY)[1])
    shown = repr(h) + repr(h.status()) + repr(h.peers) + str(vars(h).get("peers"))
    assert K.KEY_HEX not in shown and K.KEY_HEX.upper() not in shown
    assert h.status()["peers"][0] == {"id": 0, "name": "parent", "role": "parent",
                                      "mac": "24:6f:28:00:00:00"}
    key = h.take_key()
    assert key == K.KEY
    with pytest.raises(ValueError):
        h.take_key()
    with pytest.raises(ValueError, match="household.role"):
        S.Household(dict(K.household(FAMILY)[1], role="boss"))


# -- radio on a short leash ----------------------------------------------------------------------
def _radio(fail_start=False):
    air = airmod.Air()
    b = simstate.Board()
    simstate.current = b
    stn = air.station(K.mac(0), b)
    stn.fail_start = fail_start
    return HH.radio.Radio(6, [K.mac(1)]), stn, b


def test_radio_that_fails_to_start_is_a_fault_and_retried_not_a_reset():
    R = HH.radio
    rad, stn, b = _radio(fail_start=True)
    assert rad.start(0) is False
    assert rad.state == R.S_FAULT and rad.faults == 1 and rad.last_error == "OSError"
    assert rad.poll(10) is None and rad.send(K.mac(1), b"x", 10) is False
    rad.tick(R.RETRY_MS - 1)
    assert rad.starts == 1, "retried before RETRY_MS"
    stn.fail_start = False
    rad.tick(R.RETRY_MS)
    assert rad.state == R.S_UP and rad.starts == 2
    assert stn.wlan_active and stn.espnow_active and stn.pm == 0 and stn.channel == 6
    assert stn.peers == [K.mac(1)]


def test_radio_errors_are_counted_and_a_stuck_radio_is_restarted():
    R = HH.radio
    rad, stn, b = _radio()
    assert rad.start(0)
    stn.fail_recv = 3
    for t in range(3):
        assert rad.poll(t) is None
    assert rad.rx_errors == 3 and rad.state == R.S_UP
    assert rad.poll(5) is None and rad.rx_run == 0
    stn.fail_send = 100  # ESP_ERR_ESPNOW_NO_MEM from now on (esp-idf#18682)
    us = b.us
    assert rad.send(K.mac(1), b"x", 100) is False
    assert b.us - us == 2000 * 1000, "the fake send retries for 2 s, as modespnow.c does"
    assert rad.state == R.S_FAULT and rad.tx_errors == 1, "down after the first failed send"
    assert not stn.wlan_active, "the restart takes WiFi down"
    us = b.us
    for t in range(100):
        assert rad.send(K.mac(1), b"x", 101 + t) is False
    assert b.us == us, "a radio that is down does not try (and stall) again"
    stn.fail_send = 0
    rad.tick(100 + R.RETRY_MS)
    assert rad.state == R.S_UP and rad.send(K.mac(1), b"x", 0)


def test_full_transmit_buffers_stall_a_tick_at_most_once_a_minute():
    """send() waits up to 2 s on full buffers before it raises: the household lets that
    happen at most once per RETRY_MS, not once per frame (three sends a tick would be 6 s,
    past a 5 s watchdog)."""
    fam = K.Family(HH, FAMILY)
    fam.run(100)
    kid = fam.boards[1]
    kid.radio.fail_send = 10**6
    fam.nodes[1].raise_alarm(R_CRASH, fam.t_ms)
    stalls = []
    for _ in range(3 * HH.radio.RETRY_MS // 100):
        fam.t_ms += 100
        kid.us = fam.t_ms * 1000
        K.simstate.current = kid
        fam.nodes[1].tick(fam.t_ms)
        if kid.us != fam.t_ms * 1000:
            stalls.append(kid.us // 1000 - fam.t_ms)
            fam.t_ms = kid.us // 1000
    assert stalls == [2000] * 3 or stalls == [2000] * 4, stalls
    assert fam.nodes[1].radio.faults == len(stalls)


def test_strangers_cannot_grow_the_peers_table_without_bound():
    """Every new sender MAC read by irecv() stays in ESPNow.peers_table for good: past
    TABLE_MAX the pod stops receiving, and still sends its own alarm."""
    fam = K.Family(HH, FAMILY)
    stn = fam.boards[0].radio
    for i in range(200):
        fam.air.inject(bytes((0x66, 0, 0, 0, i // 256, i % 256)), K.mac(0), bytes(HH.frame.FRAME_LEN))
        fam.step()
    table = len(stn.peers_table)
    assert table <= HH.radio.TABLE_MAX + 1 and fam.nodes[0].radio.rx_closed
    fam.run(2000)
    assert len(stn.peers_table) == table
    assert fam.nodes[0].radio.state == HH.radio.S_UP
    fam.nodes[0].wake_everyone(fam.t_ms)  # the parent still sends
    fam.run(200)
    assert [a for a, _, _ in fam.actions(1)] == [HH.policy.A_WAKE]


def test_radio_calls_never_wait():
    """irecv is called with timeout 0: a radio that would block (irecv(-1) hangs the fake
    board until its watchdog, as micropython#18224 can) is never asked to."""
    rad, stn, b = _radio()
    rad.start(0)
    us = b.us
    for _ in range(50):
        rad.poll(0)
    assert b.us == us and not b.hung


# -- a household on the simulated air ------------------------------------------------------------
def test_child_alarm_is_announced_on_every_parent_once_and_acknowledged():
    pods = [("mum", "parent"), ("dad", "parent"), ("kid1", "child")]
    fam = K.Family(HH, pods)
    fam.run(100)
    fam.nodes[2].raise_alarm(R_CRASH, fam.t_ms)
    fam.run(100)
    for p in (0, 1):
        acts = fam.actions(p)
        assert acts == [(HH.policy.A_ANNOUNCE, R_CRASH, fam.nodes[p].rx.slot_of(2))]
    assert fam.nodes[2].unacked() == 0
    fam.run(5000)
    assert fam.actions(0) == [] and fam.actions(1) == []


def test_alarm_is_resent_with_backoff_until_the_parent_application_has_it():
    fam = K.Family(HH, FAMILY)
    parent_station = fam.boards[0].radio
    # the parent's radio acknowledges every frame, its application reads none (a full
    # receive buffer does that on a real ESP32)
    parent_station.deaf = True
    kid = fam.nodes[1]
    kid.raise_alarm(R_CRASH, fam.t_ms)
    sent0 = kid.radio.tx_ok
    fam.run(10000)
    resends = kid.radio.tx_ok - sent0
    assert kid.unacked() == 1, "a radio-level ack was taken for delivery"
    # 10 s at 250, 500, 1000, then every 2000 ms: about 7 alarm copies, plus 5 heartbeats and
    # 5 answers to the parent's heartbeats (which name no boot of the kid's: the parent has
    # heard nothing from it)
    assert 5 <= resends - 2 * 5 - 5 <= 12
    parent_station.deaf = False
    fam.run(2100)
    assert kid.unacked() == 0
    assert [a for a, _, _ in fam.actions(0)] == [HH.policy.A_ANNOUNCE]


def test_lost_ack_makes_a_resend_but_no_second_announcement():
    fam = K.Family(HH, FAMILY, loss_pct=60)
    fam.nodes[1].raise_alarm(R_CRASH, fam.t_ms)
    fam.run(30000)
    assert fam.nodes[1].unacked() == 0
    assert [a for a, _, _ in fam.actions(0)] == [HH.policy.A_ANNOUNCE]
    assert fam.air.lost > 0


def test_powered_off_parent_gets_the_alarm_when_it_comes_back():
    fam = K.Family(HH, FAMILY)
    fam.boards[0].radio.power(False)
    fam.nodes[1].raise_alarm(R_CRASH, fam.t_ms)
    fam.run(20000)
    assert fam.nodes[1].unacked() == 1
    # it boots again: a new node, the next boot epoch from flash, sequence numbers from 1
    fam.boards[0].radio.power(True)
    simstate.current = fam.boards[0]
    h = HH.settings.Household(K.household(FAMILY)[0])
    fam.nodes[0] = HH.node.Node(h, 2, 2, HH.radio.Radio(6, [p.mac for p in h.peers]), fam.t_ms)
    fam.run(2100)
    assert fam.nodes[1].unacked() == 0
    assert [a for a, _, _ in fam.actions(0)] == [HH.policy.A_ANNOUNCE]


def test_partition_delays_the_relay_and_healing_delivers_it():
    fam = K.Family(HH, FAMILY)
    fam.air.partition([K.mac(0)], [K.mac(1), K.mac(2)])
    fam.nodes[1].raise_alarm(R_CRASH, fam.t_ms)
    fam.run(8000)
    assert fam.nodes[0].silent(fam.nodes[0].rx.slot_of(1), fam.t_ms)
    assert fam.actions(0) == []
    fam.air.heal()
    fam.run(2100)
    assert [a for a, _, _ in fam.actions(0)] == [HH.policy.A_ANNOUNCE]
    assert not fam.nodes[0].silent(fam.nodes[0].rx.slot_of(1), fam.t_ms)


def test_wake_everyone_and_bedtime_reach_the_children():
    fam = K.Family(HH, FAMILY)
    fam.nodes[0].bedtime(20, fam.t_ms)
    fam.run(200)
    for k in (1, 2):
        assert fam.actions(k) == [(HH.policy.A_WIND_DOWN, 0, 0)]
        assert fam.nodes[k].arg == 20
    fam.nodes[2].waking = True
    fam.nodes[0].wake_everyone(fam.t_ms)
    fam.nodes[0].bedtime(20, fam.t_ms)
    fam.run(200)
    assert [a for a, _, _ in fam.actions(1)] == [HH.policy.A_WAKE, HH.policy.A_WIND_DOWN]
    assert [a for a, _, _ in fam.actions(2)] == [HH.policy.A_WAKE], "wind-down over a wake"
    fam.nodes[1].wake_everyone(fam.t_ms)  # a child's pod cannot wake everyone
    fam.run(200)
    assert fam.actions(0) == [] and fam.actions(2) == []


def test_hostile_sender_is_never_acted_on_and_is_counted():
    fam = K.Family(HH, FAMILY)
    fam.air.capturing = True
    fam.nodes[1].raise_alarm(R_CRASH, fam.t_ms)
    fam.nodes[0].wake_everyone(fam.t_ms)
    fam.run(3000)
    for k in range(3):
        fam.actions(k)
    bad = airmod.Hostile(fam.air)
    accepted = [n.rx.counts[0] for n in fam.nodes]
    dropped = [b.radio.rx_dropped for b in fam.boards]
    for i in range(len(fam.air.capture)):                    # every frame, replayed
        bad.replay(i)
        fam.step()
    good = fam.air.capture[0][2]
    forged = bytearray(good)
    forged[12] ^= 1
    bad.forge(K.mac(1), K.mac(0), bytes(forged))             # an altered alarm
    bad.forge(b"\x66" * 6, K.mac(0), good)                  # from a stranger's MAC
    fam.step()
    for _ in range(100):                                     # a flood of junk
        bad.flood(K.mac(1), K.mac(0), b"\xff" * HH.frame.FRAME_LEN, 4)
        fam.step()
    fam.run(10000)
    for k in range(3):
        assert fam.actions(k) == [], "acted on a hostile frame"
    assert [b.radio.rx_dropped for b in fam.boards] == dropped
    assert sum(n.rx.rejected() for n in fam.nodes) == bad.sent
    # the genuine traffic still flows (heartbeats), not starved by the flood
    assert all(n.rx.counts[0] > a for n, a in zip(fam.nodes, accepted, strict=True))


def test_forged_flood_is_checked_two_tags_per_tick():
    """Forgeries that pass every cheap check (a known MAC, fresh numbers) cost an HMAC each:
    a tick checks at most TAGS_PER_TICK of them, the rest wait."""
    fam = K.Family(HH, FAMILY)
    enc = HH.frame.Encoder(HH.hmac256.Hmac(b"\x13" * 32), 1, TX_BOOT)  # not the household key
    for seq in range(1, 7):
        fam.air.inject(K.mac(1), K.mac(0), bytes(enc.encode(1, 0, 99, seq)))
    rx = fam.nodes[0].rx
    fam.step()
    assert rx.tag_checks == HH.node.TAGS_PER_TICK == 2
    fam.step()
    fam.step()
    assert rx.counts[HH.receiver.C_FORGED] == 6 and rx.counts[0] == 0


def test_status_counts_what_was_dropped_and_never_shows_the_key():
    fam = K.Family(HH, FAMILY)
    fam.run(3000)
    bad = airmod.Hostile(fam.air)
    bad.forge(K.mac(1), K.mac(0), bytes(HH.frame.FRAME_LEN))
    fam.power_off(2)
    fam.run(8000)
    st = HH.link.node_status(fam.nodes[0], fam.t_ms)
    assert st["radio"] == "up" and st["malformed"] == 1 and st["accepted"] > 0
    assert st["silent"] == ["kid2"]
    text = repr(st) + repr(vars(fam.nodes[0]))  # (the node keeps no settings object)
    assert K.KEY_HEX not in text and repr(K.KEY) not in text


def test_out_of_range_numbers_from_the_app_still_relay():
    fam = K.Family(HH, FAMILY)
    fam.nodes[1].raise_alarm(200, fam.t_ms)  # not a reason a frame can carry
    fam.nodes[0].bedtime(70000, fam.t_ms)
    fam.run(300)
    assert fam.actions(0) == [(HH.policy.A_ANNOUNCE, 0, 0)]
    assert [a for a, _, _ in fam.actions(1)] == [HH.policy.A_WIND_DOWN]
    assert fam.nodes[1].unacked() == 0 and fam.nodes[0].unacked() == 0


def test_flood_is_read_a_few_frames_per_tick():
    fam = K.Family(HH, FAMILY)
    stn = fam.boards[0].radio
    airmod.Hostile(fam.air).flood(K.mac(1), K.mac(0), b"\0" * HH.frame.FRAME_LEN, 100)
    assert stn.rx_dropped == 100 - airmod.RX_SLOTS
    fam.step()
    assert fam.nodes[0].rx.rejected() == HH.node.RX_PER_TICK


# -- the boot epoch in flash ---------------------------------------------------------------------
def _epoch_module(root) -> tuple[Any, Any]:
    from simulator import FIRMWARE_DIR
    from simulator.hw.flash import FlashFS
    from simulator.sandbox import Sandbox
    fs = FlashFS(root)
    board = simstate.current or simstate.Board()
    sb = Sandbox(FIRMWARE_DIR, board, fs)
    mod = sb._load("pod.household.epoch")
    assert mod is not None
    return mod, fs


def test_boot_epoch_always_rises_even_with_power_cut_at_every_write(tmp_path):
    """Invariant: every boot that gets an epoch gets a larger one than any boot before it,
    whichever flash operation a power cut interrupts."""
    ep, fs = _epoch_module(tmp_path / "flash")
    used = []
    for cut_at in range(1, 6):
        probs: list[str] = []
        used.append(ep.bump(probs))
        fs.arm_power_cut(cut_at, nbytes=1)
        with pytest.raises(simstate.PowerCut):
            ep.bump(probs)
            ep.bump(probs)  # the cut comes in the second bump if not in the first
        fs.dead = False
        fs.cut_op = 0
        assert probs == []
    used.append(ep.bump([]))
    assert used == sorted(set(used)), used


def test_boot_epoch_reports_damage_and_a_failed_write(tmp_path, monkeypatch):
    ep, fs = _epoch_module(tmp_path / "flash")
    probs: list[str] = []
    assert ep.bump(probs) == 1
    fs.path("hh_epoch").write_bytes(b"\x00garbage")
    assert ep.bump(probs) == 1 and probs == ["hh_epoch: damaged, epoch starts again at 1"]

    def no_rename(a, b):
        raise OSError(28, "no space")

    monkeypatch.setattr(ep.os, "rename", no_rename)
    assert ep.bump(probs) == 2
    assert probs[-1] == "hh_epoch: not written (OSError)"
