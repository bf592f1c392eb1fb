"""podctl and its transport without a pod: framing, chunking and CRC32, request/reply matching,
timeouts and retries, the error family, port classification, and the exact esptool and
mpremote command lines that --dry-run prints."""
import base64
import binascii
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tty
from pathlib import Path
from typing import Any

import pytest
import serial

from host_tools import cli, commands, deploy, deploy_run, monitor_view, podfiles, transport
from host_tools.transport import (
    CommandFailed,
    Disconnected,
    NoSuchPort,
    NotAnswering,
    PodError,
    PortBusy,
    ProtocolMismatch,
    Transport,
    ValidationFailed,
)
from simulator import FIRMWARE_DIR

ROOT = Path(__file__).resolve().parent.parent


# -- framing --------------------------------------------------------------------------------
def test_a_request_is_one_compact_ascii_line_within_the_pods_limit():
    line = transport.frame({"id": 3, "cmd": "time", "op": "set", "datetime": [2026, 1, 2, 3, 4, 5]})
    assert line == b'{"id":3,"cmd":"time","op":"set","datetime":[2026,1,2,3,4,5]}\n'
    assert transport.frame({"id": 1, "cmd": "x", "s": "\u00e9"}) == b'{"id":1,"cmd":"x","s":"\\u00e9"}\n'
    transport.frame({"id": 1, "cmd": "x", "p": "a" * (256 - len('{"id":1,"cmd":"x","p":""}'))})
    with pytest.raises(ValueError, match="line limit"):
        transport.frame({"id": 1, "cmd": "x", "p": "a" * 256})


def test_lines_from_the_pod_parse_only_when_they_are_json_objects():
    assert transport.parse_line(b'{"id":1,"ok":true}\r') == {"id": 1, "ok": True}
    assert transport.parse_line(b"  {\"t\":\"tel\"}  ") == {"t": "tel"}
    for noise in (b"", b"MicroPython v1.29 on 2026-01-01; ESP32", b"Traceback (most recent call last):",
                  b"{not json", b"\xff\xfe{", b"[1,2]", b">>> "):
        assert transport.parse_line(noise) is None, noise


def test_line_reader_splits_cr_lf_streams_and_bounds_a_line_that_never_ends():
    r = transport.LineReader(max_line=100)
    assert r.feed(b'{"a":1}\r\n{"b"') == [b'{"a":1}\r']
    assert r.feed(b":2}\n") == [b'{"b":2}']
    assert r.feed(b"x" * 10000) == [] and len(r.buf) == 100
    assert r.feed(b"\nok\n") == [b"x" * 100, b"ok"]


# -- chunking and CRC32 ---------------------------------------------------------------------
def test_crc32_is_the_standard_one_the_pod_computes():
    assert podfiles.crc32(b"123456789") == 0xCBF43926  # the CRC-32 check value
    data = bytes(range(256)) * 3
    assert podfiles.crc32(data) == binascii.crc32(data) & 0xFFFFFFFF


@pytest.mark.parametrize("size", [0, 1, 137, 138, 139, 960, 4096])
def test_chunks_cover_the_data_in_order_and_fit_a_line(size):
    data = os.urandom(size)
    got = list(podfiles.chunks(data))
    assert [off for off, _ in got] == list(range(0, size, podfiles.CHUNK))
    assert all(len(text) <= 184 for _, text in got)
    assert b"".join(base64.b64decode(t) for _, t in got) == data
    for _, text in got:  # each chunk request fits in the pod's line, at the largest offset
        transport.frame({"id": 99999999, "cmd": "program", "op": "chunk", "off": 4095, "data": text})


# -- a scripted pod on a fake port ----------------------------------------------------------
class FakePort:
    """Stands in for serial.Serial: each written request goes to answer(req) which returns the
    bytes the pod sends back (or None: silence)."""

    def __init__(self, answer, fail_read=False):
        self.answer = answer
        self.rx = bytearray()
        self.written = []
        self.fail_read = fail_read
        self.closed = False

    def write(self, data):
        for line in bytes(data).split(b"\n"):
            if line.strip():
                req = json.loads(line)
                self.written.append(req)
                out = self.answer(req)
                if out:
                    self.rx += out
        return len(data)

    def flush(self):
        pass

    @property
    def in_waiting(self):
        return len(self.rx)

    def read(self, n=1):
        if self.fail_read:
            raise serial.SerialException("device reports readiness to read but returned no data")
        out = bytes(self.rx[:n])
        del self.rx[:n]
        return out

    def reset_input_buffer(self):
        self.rx.clear()

    def close(self):
        self.closed = True


def line(obj):
    return (json.dumps(obj) + "\r\n").encode()


def test_the_reply_is_matched_by_id_past_telemetry_stale_replies_and_noise():
    seen = []

    def answer(req):
        return (line({"t": "tel", "state": "SLEEP"}) + line({"id": req["id"] - 1, "ok": True, "stale": 1})
                + b"garbage \xff\r\n" + line({"id": None, "ok": False, "error": {"code": "bad_json", "message": "x"}})
                + line({"t": "evt", "ev": "state"}) + line({"id": req["id"], "ok": True, "state": "AWAKE"}))

    t = Transport("fake", FakePort(answer), on_message=seen.append, timeout=0.5)
    r = t.request("wake")
    assert r["state"] == "AWAKE" and "stale" not in r
    assert [m["t"] for m in seen] == ["tel", "evt"]


def test_an_error_reply_raises_command_failed_with_the_pods_code_and_message():
    def answer(req):
        return line({"id": req["id"], "ok": False, "error": {"code": "refused", "message": "no alarm to acknowledge"}})

    t = Transport("fake", FakePort(answer), timeout=0.5)
    with pytest.raises(CommandFailed) as e:
        t.request("ack")
    assert e.value.code == "refused" and e.value.pod_message == "no alarm to acknowledge"
    assert "no alarm to acknowledge" in str(e.value) and isinstance(e.value, PodError)
    old = CommandFailed("program", "unknown_cmd", "unknown command")
    assert "does not know `program`" in str(old) and "podctl deploy" in str(old)


def test_silence_times_out_and_only_safe_commands_are_asked_again():
    port = FakePort(lambda req: None)
    t = Transport("/dev/ttyUSB7", port, timeout=0.05)
    with pytest.raises(NotAnswering) as e:
        t.request("status")
    assert len(port.written) == 3 and len({r["id"] for r in port.written}) == 1
    assert "/dev/ttyUSB7 did not answer status" in str(e.value) and "asked 3 times" in str(e.value)
    port.written.clear()
    with pytest.raises(NotAnswering):
        t.request("wake")
    with pytest.raises(NotAnswering):
        t.request("program", op="chunk", off=0, data="")
    assert [r["cmd"] for r in port.written] == ["wake", "program"]  # never sent twice


def test_a_lost_request_is_answered_on_the_retry():
    calls = []

    def answer(req):
        calls.append(req)
        return None if len(calls) == 1 else line({"id": req["id"], "ok": True, "state": "IDLE"})

    t = Transport("fake", FakePort(answer), timeout=0.05)
    assert t.request("status")["state"] == "IDLE" and len(calls) == 2


def test_a_port_that_goes_away_is_a_disconnect_not_a_hang():
    t = Transport("/dev/pts/9", FakePort(lambda req: None, fail_read=True), timeout=5)
    with pytest.raises(Disconnected, match="lost the serial port /dev/pts/9"):
        t.request("status")


def test_hello_checks_the_protocol_version():
    def pod(proto):
        return lambda req: line({"id": req["id"], "ok": True, "pod": "ab", "fw": "9", "protocol": proto})

    assert Transport("fake", FakePort(pod(1))).hello()["pod"] == "ab"
    with pytest.raises(ProtocolMismatch, match="podctl deploy"):
        Transport("fake", FakePort(pod(0))).hello()
    with pytest.raises(ProtocolMismatch, match="update podctl"):
        Transport("fake", FakePort(pod(2))).hello()


def test_opening_ports_fails_with_messages_a_person_can_act_on(tmp_path):
    with pytest.raises(NoSuchPort, match="podctl ports"):
        transport.open_port(str(tmp_path / "ttyUSB0"))
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        first = transport.open_port(os.ttyname(slave))
        assert first.dtr is False and first.rts is False  # an ESP32's EN and GPIO0 left alone
        try:
            with pytest.raises(PortBusy, match="in use by another program"):
                transport.open_port(os.ttyname(slave))
        finally:
            first.close()
    finally:
        os.close(master)
        os.close(slave)
    denied = transport.port_error("/dev/ttyS0", OSError(13, "Permission denied"))
    assert isinstance(denied, PodError) and "dialout" in str(denied)
    for cls in (NoSuchPort, PortBusy, NotAnswering, Disconnected, ProtocolMismatch, CommandFailed,
                ValidationFailed):
        assert issubclass(cls, PodError)


# -- ports ----------------------------------------------------------------------------------
@pytest.mark.parametrize("vid,pid,name", [
    (0x10C4, 0xEA60, "CP210x"), (0x1A86, 0x7523, "CH340"), (0x1A86, 0x55D4, "CH9102"),
    (0x0403, 0x6001, "FTDI FT232R"), (0x0403, 0x6015, "FTDI FT231X"),
    (0x303A, 0x1001, "Espressif native USB"), (0x303A, 0x4001, "Espressif native USB"),
    (0x2341, 0x0043, None), (0x0403, 0x6010, None), (None, None, None)])
def test_usb_bridges_of_esp32_boards_are_recognised(vid, pid, name):
    assert transport.bridge_name(vid, pid) == name


class PortInfo:
    def __init__(self, device, vid=None, pid=None, description="n/a"):
        self.device, self.vid, self.pid, self.description = device, vid, pid, description


def test_ports_lists_likely_pods_first_and_picks_the_only_one(monkeypatch, capsys):
    ports = [PortInfo("/dev/ttyS0"), PortInfo("/dev/ttyUSB0", 0x10C4, 0xEA60, "CP2102 USB to UART"),
             PortInfo("/dev/ttyACM1", 0x2341, 0x0043, "Arduino Uno")]
    monkeypatch.setattr(transport.list_ports, "comports", lambda: ports)
    assert cli.main(["ports"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("/dev/ttyUSB0") and "likely pod (CP210x)" in out[0]
    assert not any("likely" in ln for ln in out[1:])
    assert transport.find_port() == "/dev/ttyUSB0"
    ports.append(PortInfo("/dev/ttyACM0", 0x303A, 0x1001))
    with pytest.raises(NoSuchPort, match="several likely pods"):
        transport.find_port()
    monkeypatch.setattr(transport.list_ports, "comports", lambda: [])
    with pytest.raises(NoSuchPort, match="no pod found"):
        transport.find_port()


# -- dry runs: the exact command lines ------------------------------------------------------
def _bin(name):
    return str(Path(sys.executable).parent / name)


@pytest.mark.parametrize("chip,offset", [("esp32", "0x1000"), ("esp32s3", "0x0"), ("esp32c3", "0x0"),
                                         ("esp32c6", "0x0")])
def test_flash_dry_run_prints_the_esptool_commands(capsys, chip, offset, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fw.bin").write_bytes(b"\xe9" + bytes(15))
    assert cli.main(["flash", "--firmware", "fw.bin", "--chip", chip, "--port", "/dev/ttyUSB0",
                     "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [shlex.split(ln) for ln in lines] == [
        [_bin("esptool"), "--chip", chip, "--port", "/dev/ttyUSB0", "erase-flash"],
        [_bin("esptool"), "--chip", chip, "--port", "/dev/ttyUSB0", "--baud", "460800",
         "write-flash", "-z", offset, "fw.bin"]]


def test_deploy_dry_run_prints_the_mpy_cross_and_mpremote_commands(capsys, monkeypatch):
    def no_repl(cmd, capture=False):
        raise PodError("could not enter raw repl")
    monkeypatch.setattr(deploy_run, "_run", no_repl)
    assert cli.main(["--port", "/dev/ttyUSB0", "deploy", "--dry-run", "--build", "out"]) == 0
    out = capsys.readouterr().out
    assert "stale files: unknown" in out and "podctl maintenance" in out
    lines = [ln for ln in out.splitlines() if not ln.startswith("#")]
    cmds = [shlex.split(ln) for ln in lines]
    mods = sorted(str(p.relative_to(FIRMWARE_DIR / "pod").with_suffix(""))
                  for p in (FIRMWARE_DIR / "pod").rglob("*.py"))
    assert cmds[:len(mods)] == [
        [_bin("mpy-cross"), "-march=xtensawin", "-o", "out/pod/%s.mpy" % m, str(FIRMWARE_DIR / "pod" / (m + ".py"))]
        for m in mods]
    mp = _bin("mpremote")
    names = ["boot.py", "main.py"] + ["pod/%s.mpy" % m for m in mods]
    assert cmds[len(mods):] == [
        ["cp", str(FIRMWARE_DIR / "boot.py"), "out/boot.py"],
        ["cp", str(FIRMWARE_DIR / "main.py"), "out/main.py"],
        [mp, "connect", "/dev/ttyUSB0", "resume", "fs", "cp", "-r", "out/pod", ":", "+",
         "fs", "cp", "out/boot.py", "out/main.py", ":"],
        [mp, "connect", "/dev/ttyUSB0", "resume", "exec", deploy.LIST_SCRIPT],
        [mp, "connect", "/dev/ttyUSB0", "resume", "fs", "sha256sum"] + [":" + n for n in names],
        [mp, "connect", "/dev/ttyUSB0", "resume", "reset"]]


# What LIST_SCRIPT prints on a pod deployed before modules were renamed, with user data beside.
OLD_POD_LISTING = ("F:pod/core.mpy\nF:pod/early.mpy\nF:pod/oldname.mpy\nF:pod/app.py\n"
                   "F:pod/link/old.mpy\nF:pod/notes.txt\n")


def test_deploy_dry_run_shows_the_stale_files_it_would_remove(capsys, monkeypatch):
    ran = []

    def listing(cmd, capture=False):
        ran.append(cmd)
        assert cmd == deploy.list_command("/dev/ttyUSB0"), "a dry run only lists the pod's files"
        return subprocess.CompletedProcess(cmd, 0, OLD_POD_LISTING, "")
    monkeypatch.setattr(deploy_run, "_run", listing)
    assert cli.main(["--port", "/dev/ttyUSB0", "deploy", "--dry-run", "--build", "out"]) == 0
    out = capsys.readouterr().out
    current = {str(deploy.target_name(r)) for r in deploy.firmware_files()}
    expect = [p for p in ("pod/app.py", "pod/core.mpy", "pod/early.mpy", "pod/link/old.mpy",
                          "pod/oldname.mpy") if p not in current]
    assert "pod/oldname.mpy" in expect and "pod/app.py" in expect and "pod/core.mpy" not in expect
    assert "stale files on the pod, removed after the copy: %s" % ", ".join(expect) in out
    rm = [shlex.split(ln) for ln in out.splitlines() if " fs rm " in ln]
    assert rm == [deploy.remove_command("/dev/ttyUSB0", expect)]
    assert "notes.txt" not in " ".join(rm[0]), "data files are never removed"
    assert len(ran) == 1


def test_deploy_removes_the_stale_files_after_the_copy(tmp_path, monkeypatch):
    ran = []

    def fake_run(cmd, capture=False):
        ran.append(cmd)
        if cmd[:2] == [_bin("mpy-cross"), "-march=xtensawin"]:
            Path(cmd[3]).parent.mkdir(parents=True, exist_ok=True)
            Path(cmd[3]).write_bytes(b"M" + cmd[4].encode())
        out = ""
        if cmd == deploy.list_command("/dev/ttyUSB0"):
            out = OLD_POD_LISTING
        elif "sha256sum" in cmd:
            names = [c[1:] for c in cmd if c.startswith(":")]
            out = "\n".join(hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in names)
        return subprocess.CompletedProcess(cmd, 0, out, "")
    monkeypatch.setattr(deploy_run, "_run", fake_run)
    monkeypatch.setattr(deploy_run, "enter_maintenance", lambda a: "maintenance")
    assert cli.main(["--port", "/dev/ttyUSB0", "deploy", "--build", str(tmp_path)]) == 0
    rms = [c for c in ran if "rm" in c]
    assert len(rms) == 1 and ":pod/oldname.mpy" in rms[0] and ":pod/link/old.mpy" in rms[0]
    assert ":pod/core.mpy" not in rms[0] and ":pod/notes.txt" not in rms[0]
    copy = next(i for i, c in enumerate(ran) if "cp" in c and "-r" in c)
    assert copy < ran.index(rms[0]) < next(i for i, c in enumerate(ran) if "sha256sum" in c)


def test_deploy_verification_reads_mpremotes_sha256sum_output():
    out = "sha256sum :boot.py\n" + "a" * 64 + "\nsha256sum :main.py\n" + "0F" * 32 + "\nnot a sum\n"
    assert deploy.parse_sums(out) == ["a" * 64, "0f" * 32]


def test_the_deploy_build_compiles_every_module_for_the_esp32(tmp_path):
    import subprocess
    for cmd in deploy.compile_commands(tmp_path):
        Path(cmd[3]).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    pod = tmp_path / "pod"
    built = sorted(p.relative_to(pod).as_posix() for p in pod.rglob("*") if p.is_file())
    src = FIRMWARE_DIR / "pod"
    want = sorted(p.relative_to(src).with_suffix(".mpy").as_posix() for p in src.rglob("*.py")
                  if "__pycache__" not in p.parts)
    assert built == want  # sub-packages (pod/household/) included
    assert any("/" in n for n in built)
    assert all((pod / n).read_bytes()[:1] == b"M" for n in built)  # .mpy header


# -- program check --------------------------------------------------------------------------
def test_program_check_gives_the_validators_errors_and_exit_1(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"version": 1, "name": "Early", "wake": {"at": "06:15"}}))
    assert cli.main(["program", "check", str(good)]) == 0
    assert "valid sleep program ('Early'" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "wake": {"at": "07:00", "sunrise_min": 90}}))
    assert cli.main(["program", "check", str(bad)]) == 1
    assert "wake.sunrise_min: 90 is above the maximum 60" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 1,')
    assert cli.main(["program", "check", str(broken)]) == 1
    assert "not JSON" in capsys.readouterr().err
    assert cli.main(["program", "check", str(tmp_path / "missing.json")]) == 1
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("path", sorted((FIRMWARE_DIR.parent / "programs").glob("*.json")),
                         ids=lambda p: p.name)
def test_program_check_passes_every_example_program(path, capsys):
    assert cli.main(["program", "check", str(path)]) == 0
    assert "a valid sleep program" in capsys.readouterr().out


def test_program_check_lists_each_error_as_path_and_reason(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "name": "x", "wake": {"at": "25:00", "bogus": 1},
                               "wind_down": {"kelvin_start": 900}}))
    assert cli.main(["program", "check", str(bad)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "podctl: %s is not valid:" % bad
    assert sorted(x.strip() for x in err[1:]) == [
        "wake.at: '25:00' is not a clock time HH:MM", "wake.bogus: unknown key",
        "wind_down.kelvin_start: 900 is below the minimum 1000"]


# -- monitor --------------------------------------------------------------------------------
def test_monitor_says_when_the_pod_goes_quiet_and_when_it_speaks_again():
    m = monitor_view.MonitorView(quiet_s=3)
    m.last = 100.0
    assert m.update({"t": "tel", "state": "SLEEP"}, 100.5) is None
    assert m.update(None, 103.0) is None           # 2.5 s of silence: fine
    note = m.update(None, 103.6)
    assert note is not None and note.startswith("pod quiet: no line for 3 s")
    assert m.update(None, 110.0) is None           # said once
    assert m.update({"t": "evt", "ev": "boot", "state": "IDLE"}, 111.0) == "pod speaking again"
    assert m.tel["state"] == "SLEEP" and m.events[-1].endswith("boot -> IDLE")


def test_monitor_live_view_shows_the_telemetry_and_the_silence():
    from rich.console import Console
    m = monitor_view.MonitorView(quiet_s=3)
    m.last = 0.0
    m.update({"t": "tel", "state": "ALARM", "reason": "hr_low", "rgb": [255, 200, 120], "white": 65535,
              "tone": 880, "vol": 500, "bpm": 38.5, "contact": True, "q": 90, "sensor": "ok",
              "up": 61000, "rc": "watchdog", "mem": 21000}, 1.0)
    m.update(None, 10.0)
    con = Console(width=120, record=True, file=open(os.devnull, "w"))
    con.print(m.render())
    text = con.export_text()
    assert "ALARM  (hr_low)" in text and "38 bpm" in text and "880 Hz at 50 % volume" in text
    assert "white LED 100 %" in text and "up     61 s" in text
    assert "last reset: watchdog" in text and "pod quiet for" in text


def test_status_reads_in_human_units():
    """Percent for light and volume, bpm, minutes; the JSON (the pod's reply) keeps the raw."""
    line = commands.describe_status({"state": "WAKE_RAMP", "reason": "scheduled", "rgb": [255, 120, 20],
                                "white": 32768, "tone": 523, "vol": 250, "bpm": 61.4,
                                "contact": True, "sensor": "ok", "up": 5400000, "rc": "power_on",
                                "mem": 16000})
    assert line.startswith("WAKE_RAMP (scheduled)  strip 100 % rgb(255, 120, 20), white LED 50 %")
    assert "sound 25 % at 523 Hz" in line and "heart 61 bpm (contact, sensor ok)" in line
    assert "up 90 min" in line
    safe = commands.describe_status({"state": "ALARM", "white": 65535, "tone": 0, "bpm": None, "up": 3000})
    assert "strip -- rgb(), white LED 100 %" in safe and "sound off" in safe and "heart --" in safe and "up 3 s" in safe


def test_config_get_shows_units_and_json_keeps_the_raw_fields(capsys):
    import argparse
    cfg = {"pod_name": "bedtime-pod", "wake_level": 650, "cap_min": 600, "hr_low": 40, "hr_high": 130}
    commands.show_config(argparse.Namespace(json=False), cfg, "config: the pod's settings")
    out = capsys.readouterr().out
    assert "65 % of full light" in out and "10 h 00 min" in out and "40 bpm" in out
    commands.show_config(argparse.Namespace(json=True), cfg, "x")
    assert json.loads(capsys.readouterr().out) == cfg


# -- host and firmware agree ----------------------------------------------------------------
def test_host_limits_are_the_firmwares():
    from simulator.sandbox import firmware_module
    assert transport.PROTOCOL == firmware_module("pod.serial_link").PROTOCOL
    assert transport.MAX_LINE == firmware_module("pod.serial_link").MAX_LINE
    assert podfiles.CHUNK == firmware_module("pod.file_spec").CHUNK
    assert podfiles.READ_CHUNK == firmware_module("pod.link.file_read").READ_MAX
    assert podfiles.MAX_PROGRAM == firmware_module("pod.file_spec").MAX_PROGRAM


def test_every_request_podctl_retries_is_one_the_pod_answers():
    from storagekit import Host

    from simulator.sim import SimPod
    pod = SimPod()
    pod.advance(2000)
    host = Host(pod)
    name = host.call(cmd="logs", op="list")["files"][0]["name"]
    fields = {"program:read": {"off": 0, "n": 8}, "logs:read": {"name": name, "off": 0, "n": 8}}
    for key in sorted(transport.SAFE_TO_RETRY):
        cmd, _, op = key.partition(":")
        req: dict[str, Any] = dict({"op": op} if op else {"op": "get"} if cmd == "time" else {},
                   **fields.get(key, {}))
        r = host.call(cmd=cmd, **req)
        assert r["ok"], (key, r)
    pod.close()


def test_the_listing_script_walks_sub_packages_on_micropython(tmp_path):
    """LIST_SCRIPT as the board runs it: on the MicroPython unix port, in a folder shaped like
    the pod's flash (a sub-package, a data file beside pod/)."""
    from simulator import bench_mpy
    (tmp_path / "pod" / "link").mkdir(parents=True)
    for n in ("pod/__init__.mpy", "pod/core.mpy", "pod/link/__init__.mpy", "program.json"):
        (tmp_path / n).write_bytes(b"x")
    (tmp_path / "list.py").write_text(deploy.LIST_SCRIPT)
    proc = bench_mpy.run_mpy([str(tmp_path / "list.py")], cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert deploy.parse_listing(proc.stdout) == ["pod/__init__.mpy", "pod/core.mpy",
                                                 "pod/link/__init__.mpy"]
    (tmp_path / "empty").mkdir()
    proc = bench_mpy.run_mpy([str(tmp_path / "list.py")], cwd=tmp_path / "empty", timeout=60)
    assert proc.returncode == 0 and deploy.parse_listing(proc.stdout) == []
