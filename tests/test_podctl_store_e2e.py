"""podctl's program push/pull and logs pull against `pod-sim serve`, end to end through a pty.

The pod side of `program ...` and `logs ...` is firmware/pod/link/__init__.py and the handlers it loads."""
import json
import os
import re

import pytest
from podsim import Server

from host_tools import cli, podfiles
from host_tools.transport import PodError, Transport, ValidationFailed

EARLY = {"version": 1, "name": "Early bird",
         "wind_down": {"minutes": 20, "kelvin_start": 2700, "kelvin_end": 1800,
                       "brightness_start": 40, "brightness_end": 5, "volume": 20},
         "sleep": {"night_light": 0},
         "wake": {"at": "06:10", "sunrise_min": 20, "sound_lead_min": 5, "volume": 50}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Server("--workdir", str(tmp_path_factory.mktemp("flash"))) as s:
        yield s


def podctl(port, *args):
    return cli.main(["--port", port, "--timeout", "5", *args])


def test_push_then_pull_a_program(server, tmp_path, capsys):
    f = tmp_path / "early.json"
    f.write_text(json.dumps(EARLY, indent=2))
    assert podctl(server.port, "program", "push", str(f)) == 0
    assert "'Early bird' is stored on the pod" in capsys.readouterr().out
    out = tmp_path / "back.json"
    assert podctl(server.port, "program", "pull", "--out", str(out)) == 0
    assert json.loads(out.read_text()) == EARLY
    with Transport.connect(server.port, timeout=5) as t:
        info = t.request("program", op="info")
    assert info["name"] == "Early bird" and info["source"] == "file"
    assert info["crc"] == podfiles.crc32(out.read_bytes())


def test_a_corrupted_upload_is_refused_and_the_old_program_stays(server, tmp_path):
    good = json.dumps(EARLY, separators=(",", ":")).encode()
    with Transport.connect(server.port, timeout=5) as t:
        podfiles.push_program(t, good)
        other = dict(EARLY, name="Late owl")
        data = json.dumps(other, separators=(",", ":")).encode()
        damaged = bytearray(data)
        damaged[40] ^= 0x20  # one bit flipped on the way
        with pytest.raises(PodError, match="damaged"):
            podfiles.push_program(t, bytes(damaged), crc=podfiles.crc32(data))
        bad = dict(EARLY, name="Too slow", wake=dict(EARLY["wake"], sunrise_min=90))
        with pytest.raises(ValidationFailed) as e:  # past the local check: the pod's own
            podfiles.push_program(t, json.dumps(bad).encode())
        assert any("wake.sunrise_min" in x for x in e.value.errors), e.value.errors
        info, back = podfiles.pull_program(t)
    assert info["name"] == "Early bird" and json.loads(back) == EARLY


def test_logs_pull_saves_every_journal_file(server, tmp_path, capsys):
    with Transport.connect(server.port, timeout=5) as t:
        t.request("start")
        t.request("stop")
        listed = t.request("logs", op="list")["files"]
    out = tmp_path / "logs"
    assert podctl(server.port, "logs", "pull", "--out", str(out)) == 0
    said = capsys.readouterr().out
    m = re.search(r"logs pull: (\d+) file\(s\)", said)
    assert m and int(m.group(1)) >= len(listed), said
    names = sorted(p for p in os.listdir(out) if not p.endswith((".csv", ".jsonl", ".txt")))
    assert set(f["name"] for f in listed) <= set(names)
    for f in listed:
        assert os.path.getsize(out / f["name"]) >= f["size"]  # the journal may grow meanwhile
    # decoded beside the raw files: the session the pod just had, and a summary on screen
    recs = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    assert [r["type"] for r in recs][:1] == ["boot"] and "session" in [r["type"] for r in recs]
    csv_head = (out / "journal.csv").read_text().splitlines()[0]
    assert csv_head.startswith("file,offset,t,time,type,"), csv_head
    assert "Night:" in said and "Time asleep:" in said, said


# -- config ---------------------------------------------------------------------------------
def test_config_get_and_set_through_podctl(server, capsys):
    from simulator.sandbox import firmware_module
    light = firmware_module("pod.light")
    assert podctl(server.port, "--json", "config", "get") == 0
    before = json.loads(capsys.readouterr().out)
    assert set(before) == {"pod_name", "wake_level", "cap_min", "hr_low", "hr_high"}
    assert podctl(server.port, "config", "set", "wake_level=650", "pod_name=Kid's room") == 0
    said = capsys.readouterr().out
    # what changed, in human units, and when each change applies
    assert "config set: stored on the pod; changed:" in said
    assert "  wake_level: %d -> 650 (65 %% of full light, perceived); applies at once" % (
        before["wake_level"]) in said
    assert '  pod_name: "bedtime-pod" -> "Kid\'s room"; applies at once' in said
    assert podctl(server.port, "--json", "config", "get") == 0
    after = json.loads(capsys.readouterr().out)
    assert after == dict(before, wake_level=650, pod_name="Kid's room")
    # the light level applies at once: the wake light is at the new level
    with Transport.connect(server.port, timeout=5) as t:
        t.request("wake")
        white = t.request("status")["white"]
        t.request("ack")  # the host's wake calls until answered (#11)
        t.request("stop")
    assert white == light.level_to_u16(650) != light.level_to_u16(800)


def test_config_set_refuses_what_the_pod_would_refuse(server, capsys, monkeypatch):
    with Transport.connect(server.port, timeout=5) as t:
        before = podfiles.get_config(t)
    assert podctl(server.port, "config", "set", "cap_min=2000", "colour=red", "wake_level") == 2
    assert "'wake_level': give KEY=VALUE" in capsys.readouterr().err
    assert podctl(server.port, "config", "set", "cap_min=2000", "colour=red") == 1
    err = capsys.readouterr().err
    assert "cap_min: 2000 is outside 60..720" in err and "colour: unknown key" in err
    # the same refusal from the pod itself, field for field, when the local check is skipped
    monkeypatch.setattr(podfiles, "check_settings", lambda changes: [])
    with Transport.connect(server.port, timeout=5) as t:
        with pytest.raises(ValidationFailed) as e:
            podfiles.set_config(t, {"cap_min": 2000, "colour": "red"})
        assert sorted(e.value.errors) == ["cap_min: 2000 is outside 60..720", "colour: unknown key"]
        assert "checked on the pod" in str(e.value)
        assert podfiles.get_config(t) == before
