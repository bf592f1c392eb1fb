"""`pod-sim run`'s live view, driven without a terminal: advance, keys, and what it renders."""
import io

from rich.console import Console

from simulator import cli
from simulator.faults import KINDS
from simulator.live import FAULT_KEYS, SPEEDS, LiveView, sparkline

M = 60000


def screen(view) -> str:
    con = Console(file=io.StringIO(), width=140, record=True, color_system="truecolor")
    con.print(view.render())
    return con.export_text()


def test_every_fault_kind_has_a_key():
    assert len(FAULT_KEYS) == len(set(FAULT_KEYS)) == len(KINDS)


def test_sparkline():
    assert sparkline([40, 70, 100, None, 200, 0], 40, 100) == "\u2581\u2585\u2588 \u2588\u2581"


def test_live_night_shows_phase_strip_heart_and_watchdog():
    view = LiveView(speed=1000)
    try:
        view.advance(0.06)  # 60 s at 1000x: the night has started
        text = screen(view)
        assert "WIND_DOWN: sleep in 29 min" in text
        assert "Default night" in text
        assert "watchdog" in text and "fed" in text
        assert "\u2588\u2588" in text  # the strip's cells
        for _ in range(30):
            view.advance(0.1)
        text = screen(view)
        assert "SLEEP: sunrise in" in text
        assert "bpm" in text and "safe band 40-130" in text
        assert view.pod.last_tel.get("bpm") is not None
    finally:
        view.pod.close()


def test_keys_tap_wakes_hold_switches_off_and_speed_changes():
    view = LiveView(speed=300)
    try:
        view.advance(1.0)  # 5 min in: winding down
        assert view.pod.state == "WIND_DOWN"
        view.handle_key(" ")
        view.speed = 1
        view.advance(1.0)
        assert view.pod.state == "AWAKE"
        assert "AWAKE (button)" in screen(view)
        view.handle_key("h")
        view.advance(3.0)
        assert view.pod.state == "WIND_DOWN"  # switched off: back to the night (#11)
        view.handle_key(">")
        assert view.speed == SPEEDS[1]
        view.handle_key("<")
        view.handle_key("<")
        assert view.speed == SPEEDS[0]
        view.handle_key("q")
        assert view.quit
    finally:
        view.pod.close()


def test_fault_keys_inject_and_the_alarm_needs_an_ack():
    view = LiveView(speed=60)
    try:
        view.advance(1.0)
        view.handle_key(FAULT_KEYS[KINDS.index("hang")])
        view.advance(0.2)  # 12 s: the watchdog has reset the board and it woke into ALARM
        text = screen(view)
        assert view.pod.state == "ALARM"
        assert "ALARM (watchdog)" in text and "reset: watchdog" in text
        assert "1, last watchdog" in text
        view.handle_key("w")  # a host's wake does not end an alarm
        view.advance(0.05)
        assert view.pod.state == "ALARM"
        view.handle_key("a")
        view.advance(0.05)
        assert view.pod.state == "AWAKE"
        text = screen(view)
        assert "host sends ack" in text and "pod: ack done, AWAKE" in text  # the pod's reply
        assert "pod: wake done, ALARM" in text
        view.handle_key("a")  # nothing left to acknowledge: the refusal, in words
        view.advance(0.05)
        assert "pod refused ack: there is no alarm to acknowledge" in screen(view)
    finally:
        view.pod.close()


def test_run_refuses_without_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["run", "--speed", "60"]) == 2
    assert "needs a terminal" in capsys.readouterr().err


def test_every_key_is_listed_and_no_key_help_wraps_mid_phrase():
    from simulator.live import HELP
    view = LiveView(speed=60, start_night=False)
    try:
        for width in (60, 100, 140):
            con = Console(file=io.StringIO(), width=width, record=True)
            con.print(view.render())
            lines = con.export_text().splitlines()
            for k, what in HELP + list(zip(FAULT_KEYS, KINDS)):
                # each key and its words whole on one line
                assert any("%s %s" % (k, what) in ln for ln in lines), (width, k, what)
    finally:
        view.pod.close()


def test_the_heart_rate_shows_dashes_when_the_pod_stops_reporting_it():
    """Safe mode (or a board rebooting) prints no telemetry: no rate, not the last one seen."""
    view = LiveView(speed=60)
    try:
        for _ in range(30):
            view.advance(0.1)  # 3 minutes: a rate is shown
        assert view.bpm() is not None and "-- bpm" not in screen(view)
        view.pod.inject("boot-crash", view.pod.now_ms + 1, 3)  # a boot loop: safe mode
        for _ in range(10):
            view.advance(0.1)
        assert any(e.get("ev") == "safe_mode" for e in view.pod.res.events)
        assert view.pod.last_tel.get("bpm") is not None  # what the pod said before
        assert view.bpm() is None and "-- bpm" in screen(view)
    finally:
        view.pod.close()
