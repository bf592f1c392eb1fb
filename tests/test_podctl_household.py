"""podctl household: status, wake-all, bedtime and ack, against `pod-sim serve` (the real
firmware on a simulated board, its serial link on a pty) and, for the acknowledgement of an
announcement, a fake serial port. The pod's refusals come as pod.reasons numbers, worded by the
host from the firmware's own table; the key is never printed."""
import json
import os
import time

import pytest
from podsim import Server

from host_tools import cli, commands, fwtables, refusals
from host_tools import household as hhcmd
from host_tools.transport import Transport

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs ptys")

KEY = "ab" * 32
PEERS = [{"id": 1, "name": "kid1", "role": "child", "mac": "24:0a:c4:00:00:11"},
         {"id": 2, "name": "kid2", "role": "child", "mac": "24:0a:c4:00:00:12"}]


def _served(tmp_path_factory, role):
    wd = tmp_path_factory.mktemp(role)
    peers = PEERS if role == "parent" else [
        {"id": 0, "name": "mum", "role": "parent", "mac": "24:0a:c4:00:00:10"}]
    (wd / "household.json").write_text(json.dumps(
        {"role": role, "id": 0 if role == "parent" else 1, "name": "mum" if role == "parent"
         else "kid1", "channel": 6, "key": KEY, "peers": peers}))
    return Server("--workdir", str(wd))


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    with _served(tmp_path_factory, "parent") as s:
        yield s


@pytest.fixture(scope="module")
def child(tmp_path_factory):
    with _served(tmp_path_factory, "child") as s:
        yield s


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    with Server("--workdir", str(tmp_path_factory.mktemp("alone"))) as s:
        yield s


def podctl(port, *args):
    return cli.main(["--port", port, "--timeout", "5", *args])


def _state(port):
    with Transport.connect(port, timeout=5) as t:
        return t.request("status")


def test_the_link_refusal_numbers_are_the_reasons_table():
    """pod/link/household.py writes pod.reasons' numbers as its own constants: they agree, and
    each has words on the host."""
    mine = fwtables.consts("link.household", "_REF_")
    table = refusals.firmware_table()
    assert sorted(mine) == ["_REF_NOT_PARENT", "_REF_NO_HOUSEHOLD"]
    for name, number in mine.items():
        assert table[number] == name[1:], name
        assert name[1:] in refusals.WORDS


def test_status_shows_role_peers_radio_announcement_and_silent_pods(parent, capsys):
    time.sleep(0.6)  # (at 20x: over 7 simulated seconds, and nobody else on the air)
    assert podctl(parent.port, "household", "status") == 0
    out = capsys.readouterr().out
    assert "household: mum, the parent's pod, in a household of 3 (channel 6); radio up" in out
    assert "kid1" in out and "24:0a:c4:00:00:12" in out
    assert "announcing here: nothing" in out
    assert "silent (not heard for over 7 s): kid1, kid2" in out
    assert podctl(parent.port, "--json", "household", "status") == 0
    js = capsys.readouterr().out
    d = json.loads(js)["household"]
    assert d["household"]["role"] == "parent" and d["silent"] == ["kid1", "kid2"]
    assert d["announcing"] == []
    for text in (out, js):
        assert KEY not in text and '"key"' not in text


def test_wake_all_on_a_parents_pod_wakes_it_and_is_sent_to_every_pod(parent, capsys):
    assert podctl(parent.port, "household", "wake-all") == 0
    out = capsys.readouterr().out
    assert "a wake is added on every pod: this one and kid1, kid2" in out
    deadline = time.monotonic() + 5
    while (st := _state(parent.port))["state"] != "AWAKE" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert st["state"] == "AWAKE" and st["reason"] == "command"  # its own wake calls
    assert podctl(parent.port, "--json", "household", "status") == 0
    assert json.loads(capsys.readouterr().out)["household"]["unacked"] >= 2  # resent, unanswered
    assert podctl(parent.port, "ack") == 0  # a person answers the parent's own wake
    capsys.readouterr()


def test_bedtime_is_sent_and_its_minutes_are_checked_first(parent, capsys):
    assert podctl(parent.port, "household", "bedtime", "30") == 0
    out = capsys.readouterr().out
    assert "household bedtime: sent to kid1, kid2" in out and "own program" in out
    assert podctl(parent.port, "--json", "household", "bedtime") == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "bedtime": 0,
                                                   "to": ["kid1", "kid2"]}
    for bad in ("241", "-1", "ten"):
        assert podctl(parent.port, "household", "bedtime", bad) == 2
        assert "MINUTES" in capsys.readouterr().err


def test_a_childs_pod_refuses_wake_all_and_bedtime_with_its_reason(child, capsys):
    assert podctl(child.port, "household", "wake-all") == 1
    err = capsys.readouterr().err
    assert err == ("podctl: the pod refused household wake-all: only a parent's pod can do "
                   "that, and this one is a child's (`podctl household status` shows its role)\n")
    assert podctl(child.port, "--json", "household", "bedtime", "20") == 1
    e = json.loads(capsys.readouterr().out)["error"]
    assert e["code"] == "refused" and e["reason"] == refusals.code_of("REF_NOT_PARENT")
    assert _state(child.port)["state"] == "IDLE"  # nothing happened on it
    assert podctl(child.port, "household", "status") == 0
    assert "kid1, the child's pod" in capsys.readouterr().out


def test_a_pod_in_no_household_says_so(alone, capsys):
    assert podctl(alone.port, "household", "status") == 0
    assert capsys.readouterr().out == (
        "household: this pod is in no household (`podctl pair` puts it in one)\n")
    assert podctl(alone.port, "--json", "household", "wake-all") == 1
    cap = capsys.readouterr()
    assert "the pod refused household wake-all: this pod is in no household" in cap.err
    assert json.loads(cap.out)["error"]["reason"] == refusals.code_of("REF_NO_HOUSEHOLD")
    assert podctl(alone.port, "household", "ack") == 1
    assert "nothing is announced" in capsys.readouterr().err


def test_a_pod_paired_but_not_restarted_says_when_it_joins(alone, capsys):
    with Transport.connect(alone.port, timeout=5) as t:
        t.request("household", op="begin", household={"role": "parent", "id": 0, "name": "mum",
                                                      "channel": 6, "key": KEY})
        t.request("household", op="peer", peer=PEERS[0])
        t.request("household", op="commit")
    try:
        assert podctl(alone.port, "household", "status") == 0
        out = capsys.readouterr().out
        assert out == ("household: this pod is paired but runs alone: it is used from the "
                       "pod's next boot (`podctl reset`)\n")
        assert podctl(alone.port, "household", "wake-all") == 1  # not before that boot
        assert "this pod is in no household" in capsys.readouterr().err
    finally:
        with Transport.connect(alone.port, timeout=5) as t:
            t.request("household", op="leave")


# -- the acknowledgement of an announcement, on a fake serial port ----------------------------
class AnnouncingPod:
    """A parent's pod showing kid1's alarm, as its serial link answers: the serial `ack` is
    taken by the household (the announcement ends) while the pod's own state is quiet, else
    it goes to the pod's own wake."""

    def __init__(self, state="IDLE"):
        self.state = state
        self.announcing = [{"from": "kid1", "why": "watchdog"}]
        self.acks = 0

    def __call__(self, req):
        rid = req["id"]
        if req["cmd"] == "hello":
            r = {"ok": True, "proto": 1, "pod": "240ac45eb001", "fw": "0.1.0"}
        elif req["cmd"] == "household":
            r = {"ok": True, "household": {
                "household": {"role": "parent", "id": 0, "name": "mum", "channel": 6,
                              "peers": PEERS},
                "radio": "up", "announcing": self.announcing, "silent": [], "on": True,
                "sent": 9, "accepted": 4, "unacked": 0, "faults": 0}}
        elif req["cmd"] == "status":
            r = {"ok": True, "state": self.state, "reason": "none"}
        elif req["cmd"] == "ack":
            self.acks += 1
            if self.state in ("IDLE", "WIND_DOWN", "SLEEP"):
                self.announcing = []
            else:
                self.state = "IDLE"  # (it answered the pod's own wake)
            r = {"ok": True, "state": self.state}
        else:
            r = {"ok": False, "error": {"code": "bad_request", "message": "?"}}
        return (json.dumps({"id": rid, **r}) + "\r\n").encode()


def _fake(monkeypatch, pod):
    from test_podctl import FakePort
    monkeypatch.setattr(commands, "connect",
                        lambda a, **kw: Transport("fake", FakePort(pod), timeout=0.5))


def test_household_ack_ends_the_announcement_here_only(monkeypatch, capsys):
    pod = AnnouncingPod()
    _fake(monkeypatch, pod)
    assert cli.main(["household", "status"]) == 0
    assert "announcing here: kid1's alarm (watchdog)" in capsys.readouterr().out
    assert cli.main(["household", "ack"]) == 0
    out = capsys.readouterr().out
    assert "the announcement of kid1's alarm (watchdog) is off on this pod" in out
    assert "until a person answers it at their pod" in out
    assert pod.acks == 1 and pod.announcing == []


def test_household_ack_never_answers_the_pods_own_wake(monkeypatch, capsys):
    pod = AnnouncingPod(state="AWAKE")
    _fake(monkeypatch, pod)
    assert cli.main(["household", "ack"]) == 1
    assert "the pod's own wake is on: an ack now would answer that" in capsys.readouterr().err
    assert pod.acks == 0 and pod.state == "AWAKE"


def test_a_key_is_never_printed_even_if_a_pod_sent_one():
    assert hhcmd.no_key({"household": {"key": KEY, "peers": [{"key": KEY, "name": "kid1"}]},
                         "key": KEY}) == {"household": {"peers": [{"name": "kid1"}]}}
