"""Every refusal, end to end: the firmware's reason number through `pod-sim serve`'s pty, put
into words by podctl (host_tools/refusals.py reads the numbers from firmware/pod/reasons.py)."""
import json
import os
import time

import pytest
from podsim import Server

from host_tools import cli, refusals
from host_tools.transport import Transport

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs ptys")

# A short night: no wind-down, the wake 15 minutes after the start (a sunrise from the start).
PROGRAM = {"version": 1, "name": "short", "wind_down": {"minutes": 0},
           "wake": {"after_min": 15, "sunrise_min": 15, "sound_lead_min": 10}}
SPEED = 100


def test_every_refusal_reason_has_words_and_an_unknown_one_says_update():
    table = refusals.firmware_table()
    assert set(table.values()) >= {"REF_OK", "REF_ALARM", "REF_NO_ALARM", "REF_NIGHT",
                                   "REF_WAKE_CALLING"}
    assert table[0] == "REF_OK" and len(table) == len(set(table.values()))
    for name in table.values():  # a new number in the firmware fails here until it has words
        assert name in refusals.WORDS, name
    assert "does not know" in refusals.words(99, "start")


def podctl(port, *args):
    return cli.main(["--port", port, "--timeout", "5", *args])


def refused(capsys, port, cmd, *words):
    """podctl cmd exits 1 with one line on stderr: the pod refused it, and why."""
    assert podctl(port, cmd) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("podctl: the pod refused %s: " % cmd), err
    for w in words:
        assert w in err, err
    return err


def wait_for(port, pred, seconds):
    deadline = time.monotonic() + seconds
    with Transport.connect(port, timeout=5) as t:
        while time.monotonic() < deadline:
            st = t.request("status")
            if pred(st):
                return st
            time.sleep(0.3)
    raise AssertionError("status never matched: %r" % st)


def test_each_refusal_gives_its_real_reason(tmp_path, capsys):
    prog = tmp_path / "short.json"
    prog.write_text(json.dumps(PROGRAM))
    # the heart rate drops to 32 bpm 25 minutes in: during the second night below
    with Server("--program", str(prog), "--fault", "hr-low:32@+00:25", speed=SPEED) as s:
        p = s.port
        refused(capsys, p, "ack", "there is no alarm to acknowledge")
        assert podctl(p, "start") == 0
        capsys.readouterr()
        refused(capsys, p, "start", "a night is already under way")
        for cmd in ("reset", "maintenance"):
            refused(capsys, p, cmd, "a night is under way: %s only when the pod is idle" % cmd)
        # the scheduled wake: AWAKE and calling until a tap answers it
        wait_for(p, lambda st: st["state"] == "AWAKE" and st["reason"] == "scheduled", 120)
        for cmd in ("start", "stop", "reset", "maintenance"):
            refused(capsys, p, cmd, "a wake is still calling the sleeper", "a tap on the pod")
        assert podctl(p, "ack") == 0  # a person's answer (#11): the morning's wake is over
        assert podctl(p, "stop") == 0
        assert podctl(p, "start") == 0
        capsys.readouterr()
        # the fail-safe alarm: only an acknowledgement ends it
        wait_for(p, lambda st: st["state"] == "ALARM", 180)
        for cmd in ("start", "stop", "reset", "maintenance"):
            refused(capsys, p, cmd, "a fail-safe alarm is sounding", "podctl ack")
        assert podctl(p, "--json", "start") == 1  # --json: the error as an object too
        out = json.loads(capsys.readouterr().out)
        assert out["ok"] is False and out["error"]["code"] == "refused"
        assert out["error"]["reason"] == refusals.code_of("REF_ALARM")
        assert podctl(p, "ack") == 0
        assert "ack: ok, the pod is AWAKE" in capsys.readouterr().out
