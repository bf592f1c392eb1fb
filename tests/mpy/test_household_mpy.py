# pod.household on MicroPython: the HMAC against RFC 4231, frames checked by the receiver, and
# what the radio path allocates. The fake espnow/network/air and boards (simulator/hw) are built
# in (or hardware) on the pod: they are loaded first, then the household code and this test get
# exactly the free heap of a fresh 64 KB VM (mpyenv.limit, as the whole-firmware modules do).
# The simulated pods' boards are made inside that budget, so it is stricter than the pod's.
#
# Allocation, measured with gc.mem_alloc() around N frames (gc disabled):
#   - a frame dropped before its tag (malformed, unknown sender, stale, replayed) and an idle
#     tick: 0 bytes;
#   - a frame whose tag is checked (accepted or forged) and a frame sent: the HMAC's two fresh
#     hashlib objects and digests (MicroPython's sha256 cannot be reused), a fixed number of
#     bytes per frame, all garbage at once: nothing is kept, the free heap does not shrink.
import binascii
import gc

import air
import espnow  # noqa: F401 - a fake board module: loaded before the budget
import mpyenv
import network  # noqa: F401
import simstate

_held = mpyenv.limit()

from pod.household import frame, hmac256, node, policy, radio, receiver, settings  # noqa: E402

KEY = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff" * 2
KEY_HEX = "00112233445566778899aabbccddeeff" * 2
TAG_ALLOC_MAX = 640  # bytes per tag on the 64-bit unix port (about half on the ESP32)

RFC4231 = (
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 20, b"\xdd" * 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (bytes(range(1, 26)), b"\xcd" * 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
)


def _mac(i):
    return bytes((0x24, 0x6F, 0x28, 0, 0, i))


def _alloc(f, n):
    f(0)
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    for i in range(n):
        f(i + 1)
    d = gc.mem_alloc() - a
    gc.enable()
    return d


def test_hmac_rfc4231():
    for key, data, want in RFC4231:
        tag = hmac256.Hmac(key).digest(data)
        n = len(want) // 2
        assert binascii.hexlify(tag[:n]).decode() == want, want


RX_BOOT = 3  # the receiving pod's boot id, which the frames below name


def _pair():
    mac = hmac256.Hmac(KEY)
    enc = frame.Encoder(mac, 1, 11)
    rx = receiver.Receiver(mac, 0, RX_BOOT)
    rx.add_peer(1, _mac(1), policy.ROLE_CHILD)
    return enc, rx


def test_rejected_before_the_tag_allocates_nothing():
    enc, rx = _pair()
    good = bytes(enc.encode(frame.T_ALARM, 0, 5, 100, 8, 1, 0, 1, b"kid1", RX_BOOT))
    assert rx.accept(_mac(1), good, 0)
    old = bytes(enc.encode(frame.T_ALARM, 0, 4, 200, 8, 1, 0, 1, b"kid1", RX_BOOT))
    junk = bytearray(frame.FRAME_LEN)
    other = _mac(9)
    mac1 = _mac(1)

    def drop(i):
        assert not rx.accept(mac1, good, i)     # replayed
        assert not rx.accept(mac1, old, i)      # stale
        assert not rx.accept(other, good, i)    # unknown sender
        assert not rx.accept(mac1, junk, i)     # malformed

    assert _alloc(drop, 50) == 0
    c = rx.counts
    assert (c[receiver.C_REPLAYED], c[receiver.C_STALE], c[receiver.C_UNKNOWN],
            c[receiver.C_MALFORMED]) == (51, 51, 51, 51)


def test_tag_checks_cost_a_fixed_amount_and_keep_nothing():
    enc, rx = _pair()
    bufs = [bytearray(frame.FRAME_LEN) for _ in range(2)]
    mac1 = _mac(1)
    seq = [0]

    def accept(i):
        seq[0] += 1
        b = bufs[i & 1]
        src = enc.encode(frame.T_HEARTBEAT, 0, 5, seq[0], 0, 0, 0, 0, b"", RX_BOOT)
        for k in range(frame.FRAME_LEN):
            b[k] = src[k]
        assert rx.accept(mac1, b, i)

    one = _alloc(accept, 1)
    assert 0 < one <= 2 * TAG_ALLOC_MAX, one  # encode + check: two tags
    assert _alloc(accept, 20) == 20 * one
    gc.collect()
    free = gc.mem_free()
    for i in range(300):
        accept(i)
    gc.collect()
    assert gc.mem_free() >= free - 64, (free, gc.mem_free())
    forged = bytearray(enc.encode(frame.T_HEARTBEAT, 0, 6, 1, 0, 0, 0, 0, b"", RX_BOOT))
    forged[40] ^= 1

    def forge(i):
        assert not rx.accept(mac1, forged, i)

    assert 0 < _alloc(forge, 10) <= 10 * TAG_ALLOC_MAX
    assert rx.counts[receiver.C_FORGED] == 11


def _family():
    """Two pods (parent id 0, kid1 id 1) on one simulated air, each on its own board."""
    a = air.Air(delay_ms=5)
    nodes = []
    boards = []
    for i, (name, role, other, orole) in enumerate((("parent", "parent", "kid1", "child"),
                                                    ("kid1", "child", "parent", "parent"))):
        b = simstate.Board()
        a.station(_mac(i), b)
        simstate.current = b
        hh = settings.Household({"role": role, "id": i, "name": name, "channel": 6,
                                 "key": KEY_HEX, "peers": [{"id": 1 - i, "name": other,
                                                            "role": orole,
                                                            "mac": settings.mac_text(_mac(1 - i))}]})
        rad = radio.Radio(hh.channel, [p.mac for p in hh.peers])
        nodes.append(node.Node(hh, 3, 40 + len(nodes), rad, 0))
        boards.append(b)
    return a, boards, nodes


def _step(boards, nodes, t):
    for i in range(len(boards)):
        b = boards[i]
        b.us = t * 1000
        simstate.current = b
        nodes[i].tick(t)


def test_alarm_relay_on_micropython():
    a, boards, nodes = _family()
    t = 0
    nodes[1].raise_alarm(8, t)
    while t < 300:
        t += 10
        _step(boards, nodes, t)
    assert nodes[0].next_action() == policy.A_ANNOUNCE and nodes[0].reason == 8
    assert nodes[0].next_action() == policy.A_NONE
    assert nodes[1].unacked() == 0
    assert nodes[0].radio.state == radio.S_UP


def test_idle_ticks_allocate_nothing():
    a, boards, nodes = _family()
    t = [0]

    def idle(i):
        t[0] += 10
        _step(boards, nodes, t[0])

    # between heartbeats (HEARTBEAT_MS) nothing is sent or received: ticks allocate nothing
    assert node.HEARTBEAT_MS > 1500
    for _ in range(10):
        idle(0)  # the first heartbeats go out and are checked
    gc.collect()
    gc.disable()
    m = gc.mem_alloc()
    for _ in range(100):
        idle(0)
    d = gc.mem_alloc() - m
    gc.enable()
    assert d == 0, d


def test_radio_down_ticks_allocate_nothing_and_never_raise():
    a, boards, nodes = _family()
    st = boards[0].radio
    st.fail_recv = 1000
    t = [0]

    def tick(i):
        t[0] += 10
        simstate.current = boards[0]
        boards[0].us = t[0] * 1000
        nodes[0].tick(t[0])

    for _ in range(radio.FAIL_RUN):
        tick(0)
    assert nodes[0].radio.state == radio.S_FAULT
    assert _alloc(tick, 100) == 0


def test_boot_epoch_rises_every_boot_and_survives_damage():
    import os

    from pod.household import epoch
    name = "hh_epoch_mpy.tmp"
    tmp = name + ".new"
    try:
        probs = []
        assert epoch.bump(probs, name, tmp) == 1 and probs == []
        assert epoch.bump(probs, name, tmp) == 2
        assert epoch.read(name) == 2
        with open(name, "wb") as f:
            f.write(b"\xff\x00junk")
        assert epoch.bump(probs, name, tmp) == 1
        assert len(probs) == 1 and "damaged" in probs[0]
        assert epoch.read(name) == 1
    finally:
        for n in (name, tmp):
            try:
                os.remove(n)
            except OSError:
                pass


def test_zz_pairing_over_the_link_leaves_no_household_module_behind():
    """On a pod with no household, pairing through the serial `household` command loads the
    settings' checker (and the package) for each request only: none of it stays in the heap.
    (Named to run last: it forgets modules this file imported.)"""
    import os
    import sys

    import pod
    hh = {"role": "child", "id": 1, "name": "kid1", "channel": 6, "key": KEY_HEX}
    peer = {"id": 0, "name": "parent", "role": "parent", "mac": "24:6f:28:00:00:00"}
    for k in [k for k in sys.modules if k.startswith("pod.household")]:
        pod.forget(k)  # what this file's other tests loaded: from here, a pod with no household
    try:
        for req in ({"op": "begin", "household": hh}, {"op": "peer", "peer": peer},
                    {"op": "commit"}, {"op": "status"}):
            pod.lazy("pod.link.household", "handle", "1", req)
            left = [k for k in sys.modules  # (the settings' checker loads frame, hmac256...)
                    if k == "pod.link.household" or k.startswith("pod.household")]
            assert left == [], (req["op"], left)
        assert "household.json" in os.listdir()
    finally:
        pod.lazy("pod.link.household", "handle", "1", {"op": "leave"})
    assert "household.json" not in os.listdir() and "household.tmp" not in os.listdir()
