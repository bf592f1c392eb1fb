"""A corpus of damaged files on the pod's flash (truncated, bit-flipped, wrong version, empty,
huge, binary) for the program, its previous version, the settings and the journal. Each is
loaded at boot by the unmodified firmware on the simulated board: the pod must say clearly
what was wrong (a "storage" event and a journal fault record), run on what it could load, and
still start a night."""
import json
import random

import pytest
from storagekit import Host, flash_records, program_bytes, sealed, storage_events

from host_tools import journal as hj
from simulator.sim import SimPod

S = 1000
GOOD = program_bytes("Good", wind_down={"minutes": 10})
PREV = program_bytes("Previous", wind_down={"minutes": 20})
SETTINGS = json.dumps({"pod_name": "Attic", "wake_level": 650, "cap_min": 600}).encode()


def damaged(kind: str, good: bytes) -> bytes:
    """`good` (a sealed file) damaged in one of the corpus's ways."""
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "bit-flipped":
        i = len(good) // 3
        return good[:i] + bytes([good[i] ^ 0x04]) + good[i + 1:]
    if kind == "wrong-version":
        d = json.loads(good[: good.rfind(b"\n#pod1 ")])
        d["version"] = 2
        return sealed(json.dumps(d).encode())
    if kind == "empty":
        return b""
    if kind == "huge":
        return b'{"version": 1, "name": "' + b"z" * 200000 + b'"}'
    if kind == "binary":
        return random.Random(7).randbytes(300)
    raise ValueError(kind)


KINDS = ("truncated", "bit-flipped", "wrong-version", "empty", "huge", "binary")
# what the pod reports for each kind, for a program file
PROGRAM_REASONS = {
    "truncated": "not valid JSON",
    "bit-flipped": "CRC mismatch",
    "wrong-version": "version: 2 is not supported (this pod reads version 1)",
    "empty": "empty file",
    "huge": "too big (over 4160 bytes)",
    "binary": "not valid JSON",
}


def boot(files: dict[str, bytes]):
    pod = SimPod(start_clock="22:30")
    for name, data in files.items():
        pod.fs.path(name).write_bytes(data)
    pod.advance(3 * S)
    return pod, Host(pod)


def works(pod):
    """The pod runs: telemetry, IDLE, and a long press starts a night."""
    assert pod.state == "IDLE" and pod.last_tel["state"] == "IDLE"
    pod.press(pod.now_ms + 100, 2600)
    pod.advance(4 * S)
    assert pod.state in ("WIND_DOWN", "SLEEP"), pod.state
    assert [r for r in pod.res.resets] == []  # no crash, no reset


def journal_faults(pod):
    return [r["text"] for r in flash_records(pod)[0] if r["type"] == "fault"]


@pytest.mark.parametrize("kind", KINDS)
def test_damaged_program_falls_back_to_the_previous_one(kind):
    pod, host = boot({"program.json": damaged(kind, sealed(GOOD)), "program.bak": sealed(PREV)})
    info = host.info()
    assert (info["source"], info["name"]) == ("previous", "Previous")
    assert host.read_program() == PREV
    assert storage_events(pod) == ["program.json: " + PROGRAM_REASONS[kind]]
    assert journal_faults(pod) == storage_events(pod)
    works(pod)
    assert [r["program"] for r in flash_records(pod)[0] if r["type"] == "session"] == ["Previous"]
    pod.close()


@pytest.mark.parametrize("kind", KINDS)
def test_damaged_program_and_previous_fall_back_to_the_default(kind):
    pod, host = boot({"program.json": b"", "program.bak": damaged(kind, sealed(PREV))})
    info = host.info()
    assert (info["source"], info["name"]) == ("default", "Default night")
    assert storage_events(pod) == ["program.json: empty file",
                                   "program.bak: " + PROGRAM_REASONS[kind]]
    works(pod)
    pod.close()


@pytest.mark.parametrize("kind", KINDS)
def test_damaged_settings_give_the_defaults(kind):
    pod, host = boot({"program.json": sealed(GOOD), "settings.json": damaged(kind, sealed(SETTINGS))})
    cfg = host.call(cmd="config", op="get")["config"]
    events = storage_events(pod)
    if kind == "wrong-version":  # a settings file has no version: an unknown key is ignored
        assert cfg["pod_name"] == "Attic" and events == []
    else:
        assert cfg == {"pod_name": "bedtime-pod", "wake_level": 800, "cap_min": 720,
                       "hr_low": 40, "hr_high": 130}
        reason = PROGRAM_REASONS[kind]
        assert events == ["settings.json: %s, defaults used" % reason], events
    assert host.info()["name"] == "Good"
    works(pod)
    pod.close()


def _night_journal():
    """A journal written by a real (simulated) night: boot, session, phases, HR minutes."""
    pod, _ = boot({})
    pod.press(pod.now_ms + 100, 2600)
    pod.advance(4 * 60 * S)
    files = {p.name: p.read_bytes() for p in pod.fs.root.glob("jr*.bin")}
    pod.close()
    assert list(files) == ["jr00001.bin"]
    return files["jr00001.bin"]


@pytest.mark.parametrize("kind", KINDS)
def test_damaged_journal_boots_and_keeps_what_is_readable(kind):
    good = _night_journal()
    good_recs, _ = hj.decode(good, "jr00001.bin")
    if kind == "wrong-version":  # a record type from a later firmware: kept, marked unknown
        bad = _retype(good, 3, 99)
    elif kind == "huge":
        bad = good + random.Random(3).randbytes(9000)  # past the file size limit
    else:
        bad = damaged(kind, good)
    pod, host = boot({"jr00001.bin": bad})
    works(pod)
    recs, probs = hj.decode_files(host.journal_files())
    # the pod goes on journaling: this boot, the button, the night
    assert [r["type"] for r in recs[-4:]] == ["boot", "phase", "session", "phase"]
    assert recs[-4]["cause"] == "power_on" and recs[-1]["state"] == "WIND_DOWN"
    old = [r for r in recs if r.get("file") == "jr00001.bin" and r["offset"] < len(bad)]
    if kind == "truncated":
        assert old == good_recs[:len(old)] and len(old) >= len(good_recs) // 2 - 1
        assert len(probs) <= 1
    elif kind == "bit-flipped":
        assert len(old) == len(good_recs) - 1 and len(probs) == 1  # one record lost
        assert "corrupt or torn" in probs[0]
    elif kind == "wrong-version":
        assert [r["type"] for r in old] == [r["type"] if i != 3 else "unknown(99)"
                                            for i, r in enumerate(good_recs)]
    elif kind == "huge":
        assert old[:len(good_recs)] == good_recs
        assert any("jr00002.bin" == r.get("file") for r in recs)  # a new file was begun
    elif kind in ("empty", "binary"):
        assert old == [] and len(probs) == (1 if kind == "binary" else 0)
    pod.close()


def _retype(data: bytes, index: int, typ: int) -> bytes:
    """The journal bytes with record `index` given another type (and a CRC that matches)."""
    import binascii
    import struct
    recs, _ = hj.decode(data)
    off = recs[index]["offset"]
    n = data[off + 1]
    body = bytes([n, typ]) + data[off + 3:off + 3 + n]
    return data[:off + 2] + bytes([typ]) + data[off + 3:off + 3 + n] + \
        struct.pack("<I", binascii.crc32(body)) + data[off + 7 + n:]
