"""Every bad input the tools can be given (issue 16's list), each checked before any work:
one line on stderr, no traceback, the documented exit status (2: usage), and nothing run first
(the night, the estimator, the server, the port: each replaced here by a tripwire)."""
import json
import signal
import subprocess
import sys
import time

import pytest

from host_tools import cli as podctl_cli
from host_tools import clikit, deploy_run
from simulator import cli as sim_cli

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def tripwire(what):
    def fn(*a, **kw):
        raise AssertionError("work was done before the input was checked: %s" % what)
    return fn


@pytest.fixture
def no_work(monkeypatch):
    """Anything that would start real work fails the test."""
    import host_tools.transport
    import simulator.hrcsv
    import simulator.live
    import simulator.serve
    monkeypatch.setattr(sim_cli, "run_night", tripwire("a simulated night"))
    monkeypatch.setattr(simulator.hrcsv, "estimate", tripwire("the heart-rate estimator"))
    monkeypatch.setattr(simulator.serve, "serve", tripwire("pod-sim serve"))
    monkeypatch.setattr(simulator.live, "LiveView", tripwire("the live view"))
    monkeypatch.setattr(host_tools.transport.Transport, "connect", tripwire("a serial port"))
    monkeypatch.setattr(deploy_run.Transport, "connect", tripwire("a serial port"))
    monkeypatch.setattr(deploy_run, "_run", tripwire("esptool"))


def write(path, text):
    path.write_text(text)
    return str(path)


def cases(tmp):
    """(tool, argv, what stderr must say). Every one is a usage error: exit status 2."""
    png = str(tmp / "night.png")
    return [
        ("pod-sim", ["night", "--start", "25:00"], "'25:00' is not a clock time HH:MM"),
        ("pod-sim", ["night", "--start", "7pm"], "'7pm' is not a clock time HH:MM"),
        ("pod-sim", ["run", "--start", "24:00"], "'24:00' is not a clock time"),
        ("pod-sim", ["serve", "--start", "12:60"], "'12:60' is not a clock time"),
        ("pod-sim", ["night", "--zoom", "07:00-06:00", "--plot", png], "the end comes before the start"),
        ("pod-sim", ["night", "--zoom", "06:00-12:00", "--plot", png], "ends after the night does"),
        ("pod-sim", ["night", "--zoom", "+01:00", "--plot", png], "expected HH:MM-HH:MM"),
        ("pod-sim", ["night", "--fault", "hang@+20:00"], "after the night ends (07:15"),
        ("pod-sim", ["night", "--fault", "hang@13:00"], "comes at 13:00, 14 h 30 min after start"),
        ("pod-sim", ["night", "--fault", "hr-low:500@03:00"], "hr-low's argument is 10..89 (bpm)"),
        ("pod-sim", ["night", "--fault", "power-cut:0@03:00"], "power-cut's argument is 1.."),
        ("pod-sim", ["night", "--fault", "hang:5@03:00"], "hang takes no argument"),
        ("pod-sim", ["night", "--plot", str(tmp / "nowhere" / "n.png")], "no folder"),
        ("pod-sim", ["night", "--plot", str(tmp / "n.xyz")], "matplotlib cannot write .xyz"),
        ("pod-sim", ["night", "--plot", str(tmp / "night")], "without an extension"),
        ("pod-sim", ["serve", "--link", str(tmp / "nowhere" / "pod")], "no folder"),
        ("pod-sim", ["hr", str(tmp / "missing.csv")], "cannot read"),
        ("pod-sim", ["hr", write(tmp / "h.csv", "t_ms,ir,red\n")], "no samples after its header"),
        ("pod-sim", ["hr", write(tmp / "u.csv", "t_ms,ir,red\n0,1,1\n10,1,1\n5,1,1\n")],
         "line 4: t_ms 5 does not come after 10"),
        ("pod-sim", ["hr", write(tmp / "x.csv", "t_ms,ir,red\n0,1,1\n10,1.5,1\n")],
         "line 3: '10,1.5,1': t_ms, ir and red must be whole numbers"),
        ("pod-sim", ["run", "--speed", "200"], "--speed 200: the live view runs at 1, 10, 60"),
        ("podctl", ["logs", "pull", "--out", write(tmp / "f.txt", "keep me")], "is a file: give a folder"),
        ("podctl", ["--timeout", "-1", "status"], "give a number of seconds above 0"),
        ("podctl", ["status", "--timeout", "0"], "give a number of seconds above 0"),
        ("podctl", ["flash", "--dry-run", "--firmware", str(tmp / "no.bin")], "no firmware file"),
        ("podctl", ["config", "set", "wake_level=600", "wake_level=700"],
         "wake_level is given twice (wake_level=600, wake_level=700)"),
        ("podctl", ["config", "set", "wake_level"], "give KEY=VALUE"),
    ]


def run_main(tool, argv):
    main = sim_cli.main if tool == "pod-sim" else podctl_cli.main
    try:
        return main(argv)
    except SystemExit as e:  # argparse's own errors
        return e.code


def test_every_bad_input_is_one_line_exit_2_and_no_work(tmp_path, capsys, no_work):
    for tool, argv, says in cases(tmp_path):
        rc = run_main(tool, argv)
        out, err = capsys.readouterr()
        what = "%s %s" % (tool, " ".join(argv))
        assert rc == clikit.EXIT_USAGE, (what, rc, err)
        assert err.count("\n") == 1 and err.startswith(tool), (what, err)  # one line
        assert "Traceback" not in err and says in err, (what, err)
        assert out == "", (what, out)  # nothing printed: no timeline, no reply
    assert (tmp_path / "f.txt").read_text() == "keep me"
    assert not (tmp_path / "night.png").exists()


def test_the_exit_rule_and_the_version_are_in_every_tools_help():
    for tool in ("pod-sim", "podctl"):
        mod = "simulator.cli" if tool == "pod-sim" else "host_tools.cli"
        p = subprocess.run([sys.executable, "-m", mod, "--help"], capture_output=True, text=True,
                           cwd=ROOT, timeout=60)
        assert p.returncode == 0 and "0 success; 1 a failure or a refusal" in " ".join(p.stdout.split())
        assert "2 usage" in p.stdout
        v = subprocess.run([sys.executable, "-m", mod, "--version"], capture_output=True,
                           text=True, cwd=ROOT, timeout=60)
        assert v.returncode == 0 and v.stdout.startswith(tool + " ") and v.stderr == ""


def test_a_bad_input_as_a_person_runs_it_in_a_shell(tmp_path):
    """The same check as a real process: exit status and a single line, no traceback."""
    p = subprocess.run([sys.executable, "-m", "simulator.cli", "night", "--fault", "hr-low:500@03:00"],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr == "pod-sim: fault 'hr-low:500@03:00': hr-low's argument is 10..89 (bpm)\n"


def test_a_closed_pipe_and_ctrl_c_end_quietly():
    # `pod-sim night | head`: the reader has gone before the night is printed
    p = subprocess.Popen([sys.executable, "-m", "simulator.cli", "night", "--duration", "00:20"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 0 and err == "", err
    # Ctrl-C in the middle of a night
    p = subprocess.Popen([sys.executable, "-m", "simulator.cli", "night", "--json", "--duration", "11:00"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    time.sleep(3)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == clikit.EXIT_INTERRUPTED and err == "" and out == "", err
    with pytest.raises(json.JSONDecodeError):  # nothing half-written
        json.loads(out)
