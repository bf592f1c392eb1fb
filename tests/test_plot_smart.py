"""The night picture's marks for the wake window, lighter sleep found (smart wake) and snoozes,
and its zoom on part of the night."""
import pytest

from simulator import plot
from simulator.night import NightSpec, parse_fault, run_night, wake_window_ms

M = 60000
PROG = {"version": 1, "name": "windowed nap", "wind_down": {"minutes": 5},
        "wake": {"after_min": 60, "window_min": 20, "sunrise_min": 15, "sound_lead_min": 5,
                 "snooze_min": 5, "max_snoozes": 1}}


@pytest.fixture(scope="module")
def night():
    # the window is 14:40-15:00; lighter sleep at 14:45; a tap at 14:55 snoozes
    spec = NightSpec(program=PROG, start_clock="14:00", sleeper="light@14:45",
                     faults=[parse_fault("button@+00:55")])
    res, _ = run_night(spec)
    return res


def test_markers_name_the_smart_wake_and_the_snooze(night):
    marks = plot._markers(night)
    labels = [m[1] for m in marks]
    assert [w.reason for w in night.wakes][:1] == ["smart"]
    smart = [m for m in marks if m[2] == "smart"]
    assert len(smart) == 1 and smart[0][1].startswith("lighter sleep")
    hour = lambda ms: (night.start_clock_s + ms / 1000) / 3600  # noqa: E731
    assert hour(45 * M) < smart[0][0] < hour(50 * M)  # found a few minutes after it began
    assert "snooze" in labels
    snooze = [m for m in marks if m[2] == "snooze"][0]
    assert abs(snooze[0] - hour(55 * M)) < 1 / 600  # at the tap


def test_window_and_zoom_picture(night, tmp_path):
    win = wake_window_ms(PROG, "14:00")
    assert win is not None and win[1] - win[0] == 20 * M
    out = plot.plot_night(night, tmp_path / "zoom.png", window=win, zoom=(35 * M, 70 * M))
    assert out.stat().st_size > 20000
    part = plot._part(night, 35 * M, 70 * M)
    assert part.samples[0].t_ms >= 35 * M and part.samples[-1].t_ms <= 70 * M
    assert all(35 * M <= e["sim_ms"] <= 70 * M for e in part.events)
    assert len(part.samples) < len(night.samples)
