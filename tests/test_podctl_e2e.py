"""podctl against `pod-sim serve`, end to end through a pseudo-terminal: the real firmware on
the simulated board, its serial link on a pty, podctl and its transport on the other side.

The server runs at 20x real time. Timeouts are generous (a loaded 2-core machine); speed
figures are printed, never asserted beyond sanity."""
import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
import serial
from podsim import ROOT, Server

from host_tools import cli, deploy_run, monitor_view
from host_tools.transport import CommandFailed, NotAnswering, PodError, PortBusy, Transport

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs ptys")


@pytest.fixture(scope="module")
def server():
    with Server() as s:
        yield s


def podctl(port, *args):
    return cli.main(["--port", port, "--timeout", "5", *args])


def test_status_over_the_pty(server, capsys):
    assert podctl(server.port, "status") == 0
    out = capsys.readouterr().out
    assert "pod 240ac45eb001, firmware 0.1.0" in out
    assert "last reset power_on" in out
    assert podctl(server.port, "--json", "status") == 0
    import json
    st = json.loads(capsys.readouterr().out)
    assert st["pod"] == "240ac45eb001" and st["state"] in ("IDLE", "AWAKE", "WIND_DOWN")


def test_wake_through_the_link_lights_the_pod(server):
    with Transport.connect(server.port, timeout=5) as t:
        assert t.request("start")["state"] == "WIND_DOWN"
        t0 = time.monotonic()
        r = t.request("wake")
        ms = (time.monotonic() - t0) * 1000
        assert r["state"] in ("AWAKE", "WAKE_RAMP")
        st = t.request("status")
        assert st["state"] == "AWAKE" and st["reason"] == "command"
        assert st["white"] > 30000 and min(st["rgb"]) > 200
        t.request("ack")  # the host's wake calls until answered (#11); then the night can end
        t.request("stop")
    print("\n  wake round trip through the pty: %.0f ms wall at 20x (about %.0f ms of pod time)"
          % (ms, ms * 20))
    assert ms < 30000  # sanity only


def test_time_sync_sets_the_pods_clock(server, capsys):
    assert podctl(server.port, "time", "sync") == 0
    assert "time sync: the pod's clock is now" in capsys.readouterr().out
    with Transport.connect(server.port, timeout=5) as t:
        r = t.request("time", op="get")
    pod_now = dt.datetime(*r["datetime"])
    # the simulated clock runs 20x: allow for that, and a slow machine
    assert r["set"] is True and abs((pod_now - dt.datetime.now()).total_seconds()) < 900
    with Transport.connect(server.port, timeout=5) as t, pytest.raises(CommandFailed) as e:
        t.request("time", op="set", datetime=[2026, 13, 1, 0, 0, 0])
    assert e.value.code == "bad_request" and "datetime[1]" in e.value.pod_message


def test_a_flood_of_garbage_leaves_the_pod_answering_and_unharmed(server):
    with Transport.connect(server.port, timeout=5) as t:
        before = t.request("status")
    rnd = os.urandom(12000)
    junk = rnd + b"\x03" * 50 + b"A" * 3000 + b"\n" + b'{"id":"x","cmd":' * 40 + b"\n\x03\x03"
    with serial.Serial(server.port, timeout=1) as s:
        s.write(junk)
        s.flush()
    with Transport.connect(server.port, timeout=5) as t:
        after = t.request("status")
    assert after["rc"] == before["rc"] == "power_on"  # no reset: Ctrl-C bytes are data
    assert after["up"] > before["up"] and after["reason"] == "none"


def test_podctl_fails_cleanly_when_the_pod_goes_silent_mid_command(capsys):
    with Server() as s:
        with Transport.connect(s.port, timeout=5) as t:
            s.pause()  # the pod stops answering in the middle of the session
            t0 = time.monotonic()
            with pytest.raises(NotAnswering) as e:
                t.request("status", timeout=1.0, retries=1)
            waited = time.monotonic() - t0
            assert "did not answer status within 1 s (asked 2 times)" in str(e.value)
            assert waited < 20  # bounded: no hang
            with pytest.raises(PortBusy):  # one owner at a time
                Transport.connect(s.port)
        assert podctl(s.port, "--timeout", "1", "wake") == 1
        assert "did not answer hello within 1 s" in capsys.readouterr().err
        s.resume()
        with Transport.connect(s.port, timeout=5) as t:
            assert t.request("status")["ok"] is True  # and it recovers
            s.stop(signal.SIGKILL)  # now the port goes away altogether
            with pytest.raises(PodError) as e2:
                t.request("status", timeout=1.0, retries=0)
            assert "lost the serial port" in str(e2.value) or "did not answer" in str(e2.value)
            print("\n  after the server was killed: %s: %s" % (type(e2.value).__name__, e2.value))


def test_monitor_shows_telemetry_and_says_when_the_pod_is_quiet():
    with Server() as s:
        p = subprocess.Popen([sys.executable, "-m", "host_tools.cli", "--port", s.port, "monitor",
                              "--plain", "--seconds", "12"], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        s.pause()
        time.sleep(5)
        s.resume()
        out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    lines = out.splitlines()
    quiet = [i for i, ln in enumerate(lines) if ln.startswith("pod quiet")]
    back = [i for i, ln in enumerate(lines) if ln == "pod speaking again"]
    assert quiet and back and quiet[0] < back[0], out
    assert any(ln.startswith("IDLE") and "heart" in ln for ln in lines[: quiet[0]])
    assert any(ln.startswith("IDLE") for ln in lines[back[0]:])


def test_reset_and_maintenance_are_refused_during_a_night_and_work_when_idle(capsys):
    with Server() as s:
        with Transport.connect(s.port, timeout=5) as t:
            t.request("start")
            for cmd in ("reset", "maintenance"):
                with pytest.raises(CommandFailed) as e:
                    t.request(cmd)
                assert e.value.code == "refused" and e.value.pod_message.startswith(
                    "a night is under way: %s only when the pod is idle" % cmd)
            t.request("stop")
        assert podctl(s.port, "reset") == 0
        time.sleep(0.5)
        with Transport.connect(s.port, timeout=5) as t:
            st = t.request("status")
        assert st["rc"] == "hard" and st["state"] == "IDLE" and st["reason"] == "none"
        assert podctl(s.port, "maintenance") == 0
        out = capsys.readouterr().out
        # the hint names what works: mpremote with resume, how to leave, and the 10 minutes
        assert "plain REPL without the watchdog" in out
        assert "mpremote connect %s resume repl" % s.port in out
        assert "mpremote connect %s resume reset" % s.port in out and "EN button" in out
        assert "resets itself after 10 minutes" in out
        assert "podctl reset" not in out  # it cannot answer in maintenance
        with pytest.raises(NotAnswering):  # the pod firmware is not running: a bare REPL
            Transport.connect(s.port, timeout=1)
        # and a podctl command tried now says how to leave maintenance
        assert podctl(s.port, "--timeout", "1", "reset") == 1
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "did not answer hello" in err
        assert "mpremote connect %s resume reset" % s.port in err and "10 minutes" in err


def test_serve_places_a_symlink_and_removes_it_on_sigint(tmp_path):
    link = tmp_path / "ttyPOD"
    s = Server("--link", str(link))
    try:
        assert link.is_symlink() and os.readlink(link) == s.port
        with Transport.connect(str(link), timeout=5) as t:
            assert t.info["protocol"] == 1
    finally:
        rc, out = s.stop(signal.SIGINT)
    assert rc == 0 and "stopped" in out
    assert not link.exists() and not link.is_symlink()


def test_flash_asks_before_erasing_a_pod_with_a_night_under_way(server, tmp_path, capsys, monkeypatch):
    fw = tmp_path / "fw.bin"
    fw.write_bytes(b"\xe9" + bytes(15))
    ran = []
    monkeypatch.setattr(deploy_run, "_run", lambda cmd, capture=False: ran.append(cmd))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)  # no person to ask
    with Transport.connect(server.port, timeout=5) as t:
        t.request("start")
    try:
        assert podctl(server.port, "flash", "--firmware", str(fw)) == 1
        err = capsys.readouterr().err
        # (the module's pod had its clock synced to this machine's: by the time of day, the
        # night may start in its wind-down or already in its sunrise)
        assert err.count("\n") == 1 and "not erasing" in err, err
        assert any(st in err for st in ("WIND_DOWN", "SLEEP", "WAKE_RAMP", "AWAKE")), err
        assert "--yes" in err and ran == []  # nothing erased
        assert podctl(server.port, "flash", "--firmware", str(fw), "--yes") == 0
        assert [c[-1] for c in ran] == ["erase-flash", str(fw)]
    finally:
        with Transport.connect(server.port, timeout=5) as t:
            _end_night(t)
    ran.clear()
    assert podctl(server.port, "flash", "--firmware", str(fw)) == 0  # idle: nothing to ask
    assert len(ran) == 2


def _end_night(t):
    """Ends the night, answering first a wake that may be calling (#11: the host cannot end an
    unanswered wake; the serial ack is an answer)."""
    try:
        t.request("ack")
    except CommandFailed:
        pass  # nothing was calling
    t.request("stop")


def test_the_monitor_sends_wake_and_ack_and_logs_the_answers(server):
    """Keys w and a in `podctl monitor`: the pod's answer, a refusal in words, in its event log."""
    from rich.console import Console
    mon = monitor_view.MonitorView()
    with Transport.connect(server.port, timeout=5) as t:
        assert mon.command(t, "ack") == "you sent ack: refused, there is no alarm to acknowledge"
        t.request("start")
        assert mon.command(t, "wake") == "you sent wake: done, the pod is AWAKE"
        assert mon.command(t, "ack") == "you sent ack: done, the pod is AWAKE"  # answered (#11)
        t.request("stop")
    con = Console(width=120, record=True, file=open(os.devnull, "w"))
    con.print(mon.render())
    text = con.export_text()
    assert "you sent ack: refused, there is no alarm to acknowledge" in text
    assert "you sent wake: done" in text and "w: send wake  a: send ack" in text


def test_monitor_json_is_the_pods_own_lines(server):
    import json
    p = subprocess.run([sys.executable, "-m", "host_tools.cli", "--port", server.port, "--json",
                        "monitor", "--seconds", "3"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    msgs = [json.loads(ln) for ln in p.stdout.splitlines()]
    tel = [m for m in msgs if m["t"] == "tel"]
    assert len(tel) >= 10 and {"white", "vol", "bpm", "state"} <= set(tel[-1])  # raw fields, 20x
