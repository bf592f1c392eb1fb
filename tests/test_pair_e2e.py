"""podctl pair against `pod-sim serve` (the real firmware on a simulated board, its serial link on
a pty): the household settings go over USB in pieces, are checked with path-precise errors, are
used from the next boot, never show the key, and a pod can leave."""
import json
import os

import pytest
from podsim import Server

from host_tools import cli

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs ptys")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    wd = tmp_path_factory.mktemp("pairpod")
    with Server("--workdir", str(wd)) as s:
        yield s, wd


def podctl(port, *args):
    return cli.main(["--port", port, "--timeout", "5", *args])


def _family(path, pods):
    path.write_text(json.dumps({"key": "ab" * 32, "channel": 6, "pods": pods}))


def test_pair_writes_the_household_and_never_shows_the_key(served, tmp_path, capsys):
    server, wd = served
    fam = tmp_path / "family.json"
    _family(fam, [{"name": "kid1", "role": "child", "mac": "24:0a:c4:00:00:11", "id": 1,
                   "peers_known": ["parent"]}])
    assert podctl(server.port, "pair", str(fam), "--name", "parent", "--role", "parent") == 0
    out = capsys.readouterr()
    assert "parent (parent, 24:0a:c4:5e:b0:01) stored on the pod, used from its next boot" in out.out
    assert "peers: kid1" in out.out
    stored = json.loads((wd / "household.json").read_text())
    assert stored["role"] == "parent" and stored["peers"][0]["mac"] == "24:0a:c4:00:00:11"
    assert not (wd / "household.tmp").exists()
    assert oct(fam.stat().st_mode & 0o777) == "0o600"
    # after a reboot the pod is in the household: its radio up, its peers shown, never the key
    assert podctl(server.port, "reset") == 0
    capsys.readouterr()
    assert podctl(server.port, "pair", "--show") == 0
    out = capsys.readouterr()
    assert "parent, parent in a household of 2; radio up; peers: kid1 (child," in out.out
    assert podctl(server.port, "--json", "pair", "--show") == 0
    shown = capsys.readouterr().out
    assert json.loads(shown)["household"]["household"]["peers"][0]["name"] == "kid1"
    for text in (out.out, out.err, shown):
        assert "ab" * 32 not in text
    assert podctl(server.port, "--json", "status") == 0
    assert "ab" * 32 not in capsys.readouterr().out


def test_bad_settings_are_refused_with_their_path(served, tmp_path, capsys):
    server, _ = served
    fam = tmp_path / "family.json"
    _family(fam, [{"name": "kid1", "role": "child", "mac": "24:0a:c4:00:00", "id": 1}])
    assert podctl(server.port, "pair", str(fam), "--name", "parent", "--role", "parent") != 0
    err = capsys.readouterr().err
    assert "household.peers[0].mac: must be six hex bytes" in err
    _family(fam, [{"name": "kid1", "role": "child", "mac": "24:0a:c4:00:00:11", "id": 1}])
    data = json.loads(fam.read_text())
    data["key"] = "zz" * 32
    fam.write_text(json.dumps(data))
    assert podctl(server.port, "pair", str(fam), "--name", "parent", "--role", "parent") != 0
    err = capsys.readouterr().err
    assert "household.key: must be 64 hex digits (32 bytes); the value is not shown" in err
    assert "zz" * 32 not in err


def test_the_pod_checks_what_it_is_sent_too(served):
    from host_tools.transport import CommandFailed, Transport
    server, _ = served
    with Transport.connect(server.port, timeout=5) as t:
        t.request("household", op="begin", household={"role": "boss", "id": 3, "name": "x",
                                                      "key": "00" * 32})
        t.request("household", op="peer", peer={"id": 3, "name": "y", "role": "child",
                                                "mac": "24:0a:c4:00:00:11"})
        with pytest.raises(CommandFailed) as e:
            t.request("household", op="commit")
    errs = e.value.reply["errors"]
    assert 'household.role: must be "parent" or "child"' in errs
    assert "household.peers[0].id: 3 is already used in this household" in errs


def test_a_pod_can_leave(served, tmp_path, capsys):
    server, wd = served
    fam = tmp_path / "family.json"
    _family(fam, [{"name": "kid1", "role": "child", "mac": "24:0a:c4:00:00:11", "id": 1}])
    assert podctl(server.port, "pair", str(fam), "--name", "mum", "--role", "parent") == 0
    capsys.readouterr()
    assert podctl(server.port, "pair", str(fam), "--leave") == 0
    out = capsys.readouterr().out
    assert "the pod left its household" in out and "mum taken out of" in out
    assert not (wd / "household.json").exists()
    assert [p["name"] for p in json.loads(fam.read_text())["pods"]] == ["kid1"]
    assert podctl(server.port, "pair", "--show") == 0
    assert "this pod is in no household" in capsys.readouterr().out


def test_a_household_is_paired_from_nothing_as_the_readme_says(tmp_path, capsys):
    """Three served pods, each with its own id, paired by the README's steps, starting with no
    family file: the first pod is only noted, and every pod ends knowing the other two."""
    ids = {"parent": "240ac45eb010", "kid1": "240ac45eb011", "kid2": "240ac45eb012"}
    fam = tmp_path / "family.json"
    servers = {}
    try:
        for name, pid in ids.items():
            wd = tmp_path / name
            servers[name] = (Server("--workdir", str(wd), "--pod-id", pid), wd)
        steps = [("parent", "parent"), ("kid1", "child"), ("kid2", "child"),
                 ("parent", "parent"), ("kid1", "child")]
        outs = []
        for name, role in steps:
            assert podctl(servers[name][0].port, "pair", str(fam), "--name", name,
                          "--role", role) == 0, name
            outs.append(capsys.readouterr().out)
            if len(outs) == 1:  # the first pod: noted in the file, nothing on the pod
                assert not (servers["parent"][1] / "household.json").exists()
                assert json.loads(fam.read_text())["pods"][0]["name"] == "parent"
        assert "nothing stored on the pod yet" in outs[0] and "then this one again" in outs[0]
        assert "pair these pods again so they know every pod: parent" in outs[1]
        assert "pair these pods again so they know every pod: parent, kid1" in outs[2]
        assert "pair these pods again" not in outs[4]
        for name, (_, wd) in servers.items():
            stored = json.loads((wd / "household.json").read_text())
            assert stored["name"] == name
            assert sorted(p["name"] for p in stored["peers"]) == sorted(set(ids) - {name})
            assert {p["mac"] for p in stored["peers"]} == {
                ":".join(ids[n][i:i + 2] for i in range(0, 12, 2)) for n in ids if n != name}
        assert podctl(servers["kid2"][0].port, "pair", str(fam), "--name", "kid3",
                      "--role", "child") == 2
        assert "is kid2 in" in capsys.readouterr().err  # one pod, one name
    finally:
        for s, _ in servers.values():
            s.stop()
