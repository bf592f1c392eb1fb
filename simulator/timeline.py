"""A night as text: a timeline table and a short summary, for reading a simulated night in a terminal.

    from simulator.timeline import format_timeline, summary
    print(format_timeline(res))   # res: a NightResult from SimPod.run()
    print(summary(res))

format_timeline() is plain text with aligned columns; print_timeline() shows the same rows with
rich, with the light's colour as a swatch.
"""
from __future__ import annotations

import bisect
import colorsys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

DAY_S = 86400
STATE_ORDER = ("OFF", "BOOT", "IDLE", "WIND_DOWN", "SLEEP", "WAKE_RAMP", "AWAKE", "ALARM")
# Colour names from warm to cool, in the order a sunrise goes through them.
WARM_NAMES = ("deep red", "red", "orange", "amber", "warm white", "soft white", "daylight", "white")
SOUND_WINDOW = 3  # samples: a melody has rests, so "what is playing" is the loudest of a few seconds


# -- units ---------------------------------------------------------------------------------------
def perceived(linear: float) -> float:
    """Linear light (0..1, a PWM duty) to perceived lightness (0..1), CIE 1976 L*.

    The firmware maps its brightness levels through the same curve (pod.light._CIE), so a
    level of 400 permille reads back as 40 %."""
    if linear <= 0:
        return 0.0
    if linear >= 1:
        return 1.0
    if linear > 216 / 24389:
        return (116 * linear ** (1 / 3) - 16) / 100
    return linear * 24389 / 27 / 100


def strip_percent(rgb: Sequence[int]) -> float:
    """Perceived strip brightness in %, from its brightest channel (the colour tables peak at 255)."""
    return 100 * perceived(max(rgb) / 255)


def white_percent(duty: int) -> float:
    """Perceived brightness of the white LED in %, from its 16-bit PWM duty."""
    return 100 * perceived(duty / 65535)


def clock_s(res, t_ms: int) -> float:
    """Seconds since midnight at simulated time t_ms (wraps at 24 h)."""
    return (res.start_clock_s + t_ms / 1000) % DAY_S


def hhmmss(sec: float) -> str:
    s = int(sec) % DAY_S
    return "%02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


def duration(ms: float) -> str:
    """A span for people: '850 ms', '42.0 s', '12 min 5 s', '8 h 30 min'."""
    if ms < 1000:
        return "%d ms" % ms
    s = ms / 1000
    if s < 120:
        return "%.1f s" % s
    s = round(s)
    if s < 3600:
        return "%d min %d s" % (s // 60, s % 60) if s % 60 else "%d min" % (s // 60)
    m = round(s / 60)
    return "%d h %d min" % (m // 60, m % 60) if m % 60 else "%d h" % (m // 60)


# -- colours -------------------------------------------------------------------------------------
DIM_LIFT = 0.6  # screen brightness = perceived ** DIM_LIFT, so a dim red still reads as red


def display_rgb(rgb: Sequence[int]) -> tuple[int, int, int]:
    """A strip colour as a screen should show it to look like the LEDs: hue from the channel
    ratios, brightness from the perceived level (the strip's bytes are linear PWM duty, a
    screen's are not), lifted by DIM_LIFT so dim colours keep their hue."""
    peak = max(rgb)
    if peak <= 0:
        return (0, 0, 0)
    k = 255 * perceived(peak / 255) ** DIM_LIFT / peak
    return tuple(min(255, round(c * k)) for c in rgb)  # type: ignore[return-value]


def hex_colour(rgb: Sequence[int]) -> str:
    return "#%02X%02X%02X" % tuple(rgb)


def colour_name(rgb: Sequence[int]) -> str:
    """A rough name for an LED colour: 'off', 'deep red', 'amber', 'warm white', 'daylight'...

    Judged on hue and saturation only, so (40, 21, 0) and (255, 134, 0) are both 'amber';
    'dim ' is prefixed when the strip is below 10 % perceived brightness."""
    r, g, b = rgb
    if max(rgb) == 0:
        return "off"
    h, s, _ = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    h *= 360
    if s < 0.12:
        name = "white" if b <= r else "cool white"
    elif h < 70 or h >= 345:  # the warm side, where black-body colours live
        if s < 0.30:
            name = "daylight"
        elif s < 0.55:
            name = "soft white"
        elif s < 0.80:
            name = "warm white"
        elif h >= 345 or h < 9:
            name = "deep red"
        elif h < 17:
            name = "red"
        elif h < 25:
            name = "orange"
        elif h < 48:
            name = "amber"
        else:
            name = "yellow"
    elif h < 160:
        name = "green"
    elif h < 200:
        name = "cyan"
    elif h < 260:
        name = "blue"
    elif h < 300:
        name = "purple"
    else:
        name = "pink"
    if strip_percent(rgb) < 10:
        name = "dim " + name
    return name


def warm_rank(name: str) -> int:
    """Position of a colour name on the red -> white scale (WARM_NAMES), -1 if off or not warm."""
    base = name.removeprefix("dim ")
    return WARM_NAMES.index(base) if base in WARM_NAMES else -1


def sound_text(tone: int, volume: int) -> str:
    if not tone or volume <= 0:
        return "silent"
    return "%d Hz %d%%" % (tone, round(volume / 10))


def hr_text(bpm: float | None, hr_true: float) -> str:
    est = "--" if bpm is None else "%.0f bpm" % bpm
    true = "(%.1f)" % hr_true if hr_true > 0 else "(no contact)"
    return "%s %s" % (est, true)


# -- rows ----------------------------------------------------------------------------------------
@dataclass
class Row:
    t_ms: int
    index: int  # of the sample the values come from
    notes: list[str] = field(default_factory=list)


def _state_reason(res, t_ms: int, state: str, prev_t_ms: int) -> str:
    """The reason the firmware gave for entering `state` shortly before t_ms, or ''."""
    for ev in reversed(res.events):
        at = ev.get("sim_ms", 0)
        if at > t_ms:
            continue
        if at < prev_t_ms:
            break
        if ev.get("state") == state:
            r = ev.get("reason", "none")
            return "" if r in (None, "none") else r
    return ""


def _latency(ms: int | None, trigger_ms: int) -> str:
    return "never" if ms is None else "+" + duration(ms - trigger_ms)


SUNRISE_WAKES = ("scheduled", "smart")  # wakes that come with a sunrise before full light


def wake_at_ms(w) -> int:
    """What every tool calls "wake at": full light at the wake time for a wake with a sunrise
    (which starts at w.trigger_ms), else the trigger."""
    return w.lit_ms if w.reason in SUNRISE_WAKES and w.lit_ms is not None else w.trigger_ms


def wake_note(w) -> str:
    parts = ["wake: %s" % w.reason]
    if w.event_ms != w.trigger_ms:
        parts.append("firmware %s" % _latency(w.event_ms, w.trigger_ms))
    parts.append("lit %s" % _latency(w.lit_ms, w.trigger_ms))
    parts.append("sound %s" % _latency(w.sound_ms, w.trigger_ms))
    return parts[0] + " (" + ", ".join(parts[1:]) + ")"


def timeline_rows(res, every_min: float | None = 30) -> list[Row]:
    """The rows of a timeline: state changes, a row every `every_min` minutes of clock time,
    and one row for each fault, reset and wake. Rows that land on the same sample are merged."""
    samples = res.samples
    if not samples:
        return []
    times = [s.t_ms for s in samples]
    rows: dict[int, Row] = {}

    def add(i: int, t_ms: int, note: str | None = None, first: bool = False) -> None:
        i = max(0, min(i, len(samples) - 1))
        row = rows.setdefault(i, Row(samples[i].t_ms, i))
        if note:
            if first:
                row.notes.insert(0, note)
            else:
                row.notes.append(note)

    def at(t_ms: int) -> int:  # the first sample at or after t_ms
        return bisect.bisect_left(times, t_ms)

    prev = None
    prev_t = 0
    lamp = False  # lit by a tap or a host's wake in the night: a night state after it goes on
    for i, s in enumerate(samples):
        if s.state != prev:
            reason = _state_reason(res, s.t_ms, s.state, prev_t)
            if prev == "AWAKE" and s.state in ("WIND_DOWN", "SLEEP", "WAKE_RAMP"):
                # the firmware still names the wake's reason: a morning wake's is a snooze, a
                # lamp's (or an answered host wake's) the night going on
                if lamp:
                    reason = "back to the night"
                elif s.state == "SLEEP" and reason in ("scheduled", "smart"):
                    reason = "snooze"
            lamp = s.state == "AWAKE" and reason in ("button", "command")
            note = "start" if prev is None else "-> %s" % s.state
            add(i, s.t_ms, note + (" (%s)" % reason if reason else ""), first=True)
            prev = s.state
        prev_t = s.t_ms
    if every_min:
        step = int(every_min * 60)
        first_clock = res.start_clock_s + times[0] / 1000
        last_clock = res.start_clock_s + times[-1] / 1000
        c = (int(first_clock) // step + 1) * step
        while c <= last_clock:
            add(at(int((c - res.start_clock_s) * 1000)), 0)
            c += step
    add(len(samples) - 1, times[-1], None)
    for f in res.faults:
        add(at(f.at_ms), f.at_ms, "fault: %s%s (%s)" % (f.kind, " (%d)" % f.arg if f.arg else "",
                                                       _fault_when(res, f.at_ms)[1]))
    for r in res.resets:
        add(at(r["t_ms"]), r["t_ms"], "reset: %s" % r["cause"])
    for w in res.wakes:
        i = at(w.trigger_ms)
        # a sample taken at the trigger's very ms shows the state the pod is leaving: the note
        # goes with the change in the next sample
        if (i + 1 < len(samples) and times[i] == w.trigger_ms
                and samples[i + 1].state != samples[i].state):
            i += 1
        add(i, w.trigger_ms, wake_note(w))
    answer_t = None  # the morning's wake answered, the pod quiet since (lit or off)
    for e in res.events:  # a person answered a wake (#11), and the wake-up check called again
        t = e["sim_ms"]
        if e.get("ev") == "answer":
            add(at(t), t, "answered (%s)" % e.get("msg"))
            answer_t = t if e.get("reason") in ("scheduled", "smart") else None
        elif e.get("ev") == "state" and answer_t is not None and t > answer_t:
            if e.get("state") == "AWAKE" and e.get("reason") in ("scheduled", "smart"):
                add(at(t), t, "calls again: the wake-up check found the sleeper asleep")
            if e.get("state") != "IDLE":
                answer_t = None
    prev_state = None
    for e in res.events:  # a smart wake under way in the sunrise: the state does not change
        if e.get("state") == "WAKE_RAMP" and e.get("reason") == "smart" and prev_state == "WAKE_RAMP":
            add(at(e["sim_ms"]), e["sim_ms"], "lighter sleep: wake brought forward")
        prev_state = e.get("state")
    return [rows[k] for k in sorted(rows)]


def _sound_index(samples, i: int) -> int:
    """The loudest of the next few samples in the same state (melodies have rests)."""
    best = i
    for j in range(i, min(i + SOUND_WINDOW, len(samples))):
        if samples[j].state != samples[i].state:
            break
        if samples[j].tone and samples[j].volume > samples[best].volume:
            best = j
    return best


COLUMNS = ("TIME", "STATE", "LIGHT", "STRIP", "WHITE", "SOUND", "HEART RATE est (true)", "EVENTS")


def two_colours(a: Sequence[int], b: Sequence[int]) -> bool:
    """Whether even and odd pixels show two colours (the alarm's alternating pattern), not one
    colour dithered across them (the firmware's half steps: no channel differs by more than 1)."""
    return any(abs(x - y) > 1 for x, y in zip(a, b))


def row_cells(res, row: Row) -> list[str]:
    s = res.samples[row.index]
    snd = res.samples[_sound_index(res.samples, row.index)]
    light = "%s %s" % (hex_colour(s.rgb), colour_name(s.rgb))
    if two_colours(s.rgb, s.rgb2):
        light += " / %s %s" % (hex_colour(s.rgb2), colour_name(s.rgb2))
    return [
        hhmmss(clock_s(res, s.t_ms)),
        s.state,
        light,
        "%d%%" % round(strip_percent(s.rgb)),
        "%d%%" % round(white_percent(s.white)),
        sound_text(snd.tone, snd.volume),
        hr_text(s.bpm, s.hr_true),
        "; ".join(row.notes),
    ]


def format_timeline(res, every_min: float | None = 30) -> str:
    """The night as an aligned plain-text table, one line per row of timeline_rows().

    STRIP and WHITE are perceived brightness (the firmware's own scale); SOUND is the loudest
    tone within a few seconds of the row; HEART RATE is the firmware's estimate with the
    simulated sleeper's true rate in parentheses."""
    table = [list(COLUMNS)] + [row_cells(res, r) for r in timeline_rows(res, every_min)]
    right = {3, 4}  # numbers line up on the right
    widths = [max(len(r[c]) for r in table) for c in range(len(COLUMNS))]
    lines = []
    for n, cells in enumerate(table):
        out = []
        for c, text in enumerate(cells):
            if c == len(cells) - 1:
                out.append(text)
            elif c in right:
                out.append(text.rjust(widths[c]))
            else:
                out.append(text.ljust(widths[c]))
        lines.append("  ".join(out).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_timeline(res, console=None, every_min: float | None = 30) -> None:
    """format_timeline() as a rich table, with the strip's colour shown as a swatch (as the eye
    would see it, see display_rgb(); the hex code is the pixel's actual value)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    table = Table(title="bedtime-pod night from %s" % hhmmss(res.start_clock_s), header_style="bold")
    for c in COLUMNS:
        table.add_column(c, justify="right" if c in ("STRIP", "WHITE") else "left",
                         no_wrap=c != "EVENTS")
    for row in timeline_rows(res, every_min):
        cells: list[Any] = list(row_cells(res, row))
        s = res.samples[row.index]
        light = Text()
        for rgb in (s.rgb, s.rgb2) if two_colours(s.rgb, s.rgb2) else (s.rgb,):
            if light:
                light.append(" ")
            light.append("\u2588\u2588", style="rgb(%d,%d,%d)" % display_rgb(rgb) if max(rgb) else "grey15")
        light.append(" " + cells[2])
        cells[2] = light
        table.add_row(*cells, style="bold red" if s.state == "ALARM" else None)
    console.print(table)


# -- summary -------------------------------------------------------------------------------------
def state_times(res) -> dict[str, int]:
    """ms spent in each state, judged from the samples (each counts until the next one)."""
    out: dict[str, int] = {}
    sm = res.samples
    for i, s in enumerate(sm):
        if i + 1 < len(sm):
            dt = sm[i + 1].t_ms - s.t_ms
        else:
            dt = max(0, res.duration_ms - s.t_ms) if res.duration_ms else 0
        out[s.state] = out.get(s.state, 0) + dt
    return out


def summary(res) -> str:
    """A few lines: length, time in each state, wakes, resets, faults, heart rate."""
    sm = res.samples
    if not sm:
        return "empty night (no samples)"
    span = (res.duration_ms or sm[-1].t_ms) - 0
    lines = ["night: %s -> %s (%s), ends in %s" % (
        hhmmss(res.start_clock_s), hhmmss(clock_s(res, span)), duration(span), res.final_state)]
    times = state_times(res)
    total = sum(times.values()) or 1
    order = [s for s in STATE_ORDER if s in times] + sorted(set(times) - set(STATE_ORDER))
    lines.append("states: " + ", ".join(
        "%s %s (%d%%)" % (s, duration(times[s]), round(100 * times[s] / total)) for s in order))
    if res.wakes:
        for w in res.wakes:
            if wake_at_ms(w) != w.trigger_ms:
                # "wake at" is full light at the wake time; the sunrise starts before it
                lines.append("wake at %s: %s (full light; sunrise from %s, %s)" % (
                    hhmmss(clock_s(res, wake_at_ms(w))), w.reason, hhmmss(clock_s(res, w.trigger_ms)),
                    wake_note(w).split(" (", 1)[1].rstrip(")")))
            else:
                lines.append("wake at %s: %s" % (hhmmss(clock_s(res, w.trigger_ms)),
                                                 wake_note(w).removeprefix("wake: ")))
    else:
        lines.append("wakes: none")
    if res.resets:
        lines.append("resets: " + ", ".join(
            "%s at %s" % (r["cause"], hhmmss(clock_s(res, r["t_ms"]))) for r in res.resets))
    else:
        lines.append("resets: none")
    if res.faults:
        lines.append("faults injected: " + ", ".join(
            "%s at %s (%s)" % ((f.kind,) + _fault_when(res, f.at_ms)) for f in res.faults))
    est = [s.bpm for s in sm if s.bpm is not None]
    if est:
        none = len(sm) - len(est)
        lines.append("heart rate (estimate): min %.0f, mean %.0f, max %.0f bpm%s" % (
            min(est), sum(est) / len(est), max(est),
            "; no estimate for %s" % duration(none * span / len(sm)) if none else ""))
    else:
        lines.append("heart rate (estimate): none")
    return "\n".join(lines)


def _fault_when(res, at_ms: int) -> tuple[str, str]:
    """A fault's time both ways: ("03:00", "4 h 30 min after start")."""
    from simulator.night import describe_when
    c = res.start_clock_s
    return describe_when(at_ms, "%02d:%02d" % (c // 3600, c // 60 % 60))
