"""The program store, settings and journal, end to end: the unmodified firmware on the simulated
board, driven through its serial link (program/logs/config commands) and its flash."""
import base64
import binascii
import json

from storagekit import Host, flash_records, program_bytes, sealed, storage_events

from host_tools import journal as hj
from simulator.sim import SimPod

S = 1000
M = 60 * S


def new_pod(**kw):
    pod = SimPod(start_clock="22:30", **kw)
    pod.advance(2 * S)
    return pod, Host(pod)


def start_night(pod):
    pod.press(pod.now_ms + 100, 2600)
    pod.advance(4 * S)


def files(pod):
    return {p.name: p.read_bytes() for p in pod.fs.root.iterdir()
            if not p.name.startswith("jr")}


def session_programs(pod):
    return [r["program"] for r in flash_records(pod)[0] if r["type"] == "session"]


def test_upload_replaces_the_program_and_keeps_the_old_one_as_previous():
    pod, host = new_pod()
    assert host.info()["source"] == "default"
    default_bytes = host.read_program()
    assert json.loads(default_bytes)["name"] == "Default night"
    first = program_bytes("First", wind_down={"minutes": 5})
    r = host.upload(first)
    assert r["ok"] and r["name"] == "First", r
    second = program_bytes("Second", wind_down={"minutes": 7})
    assert host.upload(second)["ok"]
    info = host.info()
    assert (info["name"], info["size"], info["crc"], info["source"]) == (
        "Second", len(second), binascii.crc32(second), "file")
    assert host.read_program() == second
    f = files(pod)
    assert f["program.json"] == sealed(second) and f["program.bak"] == sealed(first)
    assert "program.tmp" not in f
    # a power cut and back: the same program, from flash
    pod.inject("power-cut", pod.now_ms + 100, 2)
    pod.advance(5 * S)
    assert host.info()["name"] == "Second" and host.read_program() == second
    start_night(pod)
    assert session_programs(pod) == ["Second"]
    pod.close()


def test_a_program_uploaded_mid_night_runs_from_the_next_night_on():
    pod, host = new_pod()
    start_night(pod)
    assert pod.state == "WIND_DOWN"
    r = host.upload(program_bytes("Tomorrow", wind_down={"minutes": 0}))
    assert r["ok"], r
    pod.advance(40 * S)
    assert pod.state == "WIND_DOWN"  # still tonight's 30-minute wind-down, not the new 0
    pod.send({"id": "stop", "cmd": "stop"})
    pod.advance(2 * S)
    assert pod.state == "IDLE"
    start_night(pod)
    assert pod.state == "SLEEP"  # the new program: no wind-down
    assert session_programs(pod) == ["Default night", "Tomorrow"]
    pod.close()


def test_bad_uploads_change_nothing():
    pod, host = new_pod()
    good = program_bytes("Good")
    assert host.upload(good)["ok"]
    before = files(pod)
    # wrong CRC
    r = host.upload(program_bytes("Other"), crc=12345)
    assert r["error"]["code"] == "crc_mismatch", r
    # not JSON
    r = host.upload(b'{"version": 1, "name": ')
    assert r["error"]["code"] == "invalid" and r["errors"] == ["program: not valid JSON"], r
    # a program the validator rejects: its messages, joined and as a list
    r = host.upload(json.dumps({"version": 1, "wake": {"after_min": 5, "volume": 101}}).encode())
    assert r["error"]["code"] == "invalid"
    assert r["errors"] == ["wake.after_min: 5 is below the minimum 10",
                           "wake.volume: 101 is above the maximum 100"], r
    assert r["error"]["message"] == "; ".join(r["errors"])
    # a chunk out of order, a commit with bytes missing, a commit with no upload
    data = program_bytes("Gappy")
    assert host.call(cmd="program", op="begin", size=len(data), crc=binascii.crc32(data))["ok"]
    r = host.call(cmd="program", op="chunk", off=10, data=base64.b64encode(data[10:20]).decode())
    assert r["error"]["code"] == "bad_chunk" and r["next"] == 0, r
    assert host.call(cmd="program", op="chunk", off=0,
                     data=base64.b64encode(data[:20]).decode())["next"] == 20
    assert host.call(cmd="program", op="commit")["error"]["code"] == "crc_mismatch"
    assert host.call(cmd="program", op="commit")["error"]["code"] == "no_upload"
    # begun, then aborted
    assert host.call(cmd="program", op="begin", size=len(data), crc=binascii.crc32(data))["ok"]
    assert host.call(cmd="program", op="abort")["ok"]
    assert host.call(cmd="program", op="commit")["error"]["code"] == "no_upload"
    assert files(pod) == before
    assert host.info()["name"] == "Good" and host.read_program() == good
    pod.close()


def test_a_reset_mid_upload_changes_nothing():
    pod, host = new_pod()
    good = program_bytes("Good")
    assert host.upload(good)["ok"]
    before = files(pod)
    data = program_bytes("Torn", wind_down={"minutes": 12, "volume": 30}, sleep={"hr_low": 45})
    assert len(data) > 96
    assert host.call(cmd="program", op="begin", size=len(data), crc=binascii.crc32(data))["ok"]
    assert host.call(cmd="program", op="chunk", off=0,
                     data=base64.b64encode(data[:96]).decode())["ok"]
    assert pod.fs.path("program.tmp").exists()
    pod.inject("power-cut", pod.now_ms + 50, 2)
    pod.advance(4 * S)
    assert files(pod) == before  # the torn upload is gone
    assert host.call(cmd="program", op="chunk", off=96,
                     data=base64.b64encode(data[96:]).decode())["error"]["code"] == "no_upload"
    assert host.info()["name"] == "Good"
    pod.close()


def test_config_is_validated_kept_and_applied():
    pod, host = new_pod()
    r = host.call(cmd="config", op="get")
    assert r["config"] == {"pod_name": "bedtime-pod", "wake_level": 800, "cap_min": 720,
                           "hr_low": 40, "hr_high": 130}
    r = host.call(cmd="config", op="set", config={"cap_min": 2000, "colour": 1, "pod_name": 7})
    assert r["error"]["code"] == "invalid"
    assert r["errors"] == ["colour: unknown key", "pod_name: must be text of at most 24 characters",
                           "cap_min: 2000 is outside 60..720"], r
    r = host.call(cmd="config", op="set", config={"wake_level": 500, "pod_name": "Kid's room"})
    assert r["ok"] and r["config"]["wake_level"] == 500 and r["config"]["cap_min"] == 720
    pod.inject("power-cut", pod.now_ms + 100, 2)
    pod.advance(5 * S)
    assert host.call(cmd="config", op="get")["config"]["pod_name"] == "Kid's room"
    # applied: a wake to 50 % light is dimmer than one to the default 80 %
    start_night(pod)
    host.call(cmd="wake")
    pod.advance(3 * S)
    assert pod.state == "AWAKE"
    white_500 = pod.outputs()[1]
    pod2, host2 = new_pod()
    start_night(pod2)
    host2.call(cmd="wake")
    pod2.advance(3 * S)
    assert 0 < white_500 < pod2.outputs()[1]
    pod.close()
    pod2.close()


def test_settings_out_of_the_safe_range_are_replaced_and_reported():
    pod = SimPod(start_clock="22:30")
    pod.fs.path("settings.json").write_text(json.dumps(
        {"cap_min": 100000, "wake_level": 600, "hr_low": "low"}))
    pod.advance(2 * S)
    host = Host(pod)
    cfg = host.call(cmd="config", op="get")["config"]
    assert cfg["cap_min"] == 720 and cfg["wake_level"] == 600 and cfg["hr_low"] == 40
    assert storage_events(pod) == [
        "settings.json: cap_min: 100000 is outside 60..720, default used",
        "settings.json: hr_low: 'low' is not a whole number, default used"]
    faults = [r["text"] for r in flash_records(pod)[0] if r["type"] == "fault"]
    assert faults == storage_events(pod)
    pod.close()


def test_a_bad_current_program_falls_back_to_the_previous_one():
    pod, host = new_pod()
    assert host.upload(program_bytes("Old"))["ok"]
    assert host.upload(program_bytes("New"))["ok"]
    pod.fs.corrupt("program.json", "flip", 20)
    pod.inject("power-cut", pod.now_ms + 100, 2)
    pod.advance(5 * S)
    info = host.info()
    assert info["source"] == "previous" and info["name"] == "Old"
    assert storage_events(pod) == ["program.json: CRC mismatch"]
    # the next good upload keeps the good previous rather than the damaged current
    assert host.upload(program_bytes("Newer"))["ok"]
    assert files(pod)["program.bak"] == sealed(program_bytes("Old"))
    pod.close()


def test_logs_over_serial_match_the_flash_and_tell_the_night():
    pod, host = new_pod()
    start_night(pod)
    pod.advance(35 * M)  # wind-down, then asleep with a minute's heart rate every minute
    host.call(cmd="wake")
    pod.advance(5 * S)
    files_serial = host.journal_files()
    recs, probs = hj.decode_files(files_serial)
    assert probs == []
    assert recs == flash_records(pod)[0][:len(recs)]
    kinds = [r["type"] for r in recs]
    assert kinds[0] == "boot" and "session" in kinds and kinds.count("hr") >= 30
    s = hj.summary(recs)
    assert s["program"] == "Default night" and s["wake_reason"] == "command"
    assert 4 * M <= s["asleep_s"] * 1000 <= 6 * M
    assert 40 <= s["hr_min"] <= s["hr_max"] <= 100
    assert s["wake_latency_ms"] <= 250
    r = host.call(cmd="logs", op="read", name="../program.json", off=0, n=10)
    assert r["error"]["code"] == "bad_request"
    pod.close()


def test_the_journal_tells_a_night_cut_by_a_power_failure():
    pod, host = new_pod()
    start_night(pod)
    pod.advance(40 * M)  # asleep
    assert pod.state == "SLEEP"
    pod.inject("power-cut", pod.now_ms + 100, 3)
    pod.advance(6 * S)
    assert pod.state == "ALARM"
    pod.press(pod.now_ms + 100, 2600)  # acknowledged
    pod.advance(4 * S)
    recs, probs = hj.decode_files(host.journal_files())
    assert probs == []
    boots = [r for r in recs if r["type"] == "boot"]
    assert [(b["cause"], b["reason"]) for b in boots] == [("power_on", "none"),
                                                         ("power_on", "power_cut")]
    after = recs[recs.index(boots[1]):]
    assert [(r["type"], r.get("state"), r.get("reason")) for r in after[1:4]] == [
        ("phase", "ALARM", "power_cut"), ("fault", None, "power_cut"), ("wake", None, "power_cut")]
    assert after[-1]["type"] == "phase" and after[-1]["state"] != "ALARM"
    s = hj.summary(recs)
    assert s["wake_reason"] == "power_cut"
    assert 9 * M <= s["asleep_s"] * 1000 <= 11 * M  # asleep from 30 min in to the cut at 40
    assert s["resets"][0]["verdict"] == "power_cut"
    assert any(f["reason"] == "power_cut" for f in s["faults"])
    pod.close()
