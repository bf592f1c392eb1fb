"""A night as a picture: one PNG with lanes sharing a clock-time axis.

    from simulator.plot import plot_night
    plot_night(res, "night.png")   # res: a NightResult from SimPod.run()

Lanes, top to bottom: the pod's state; the LED strip's colour (even pixels, and odd pixels in a
thin row below, which differ only in the ALARM pattern); strip and white-LED brightness; the
speaker's volume coloured by what it plays; the heart rate (firmware estimate and the simulated
sleeper's true rate) against the safe band. Faults, resets and wakes are vertical lines across
all lanes, labelled above the top one.

Uses matplotlib's Agg canvas directly (no pyplot), so it never opens a window or changes the
caller's backend.
"""
from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from simulator.timeline import (
    DIM_LIFT,
    STATE_ORDER,
    clock_s,
    duration,
    hhmmss,
    state_times,
    wake_at_ms,
)

STATE_COLOURS = {
    "OFF": "#111111",
    "BOOT": "#7f8c8d",
    "IDLE": "#c8ced3",
    "WIND_DOWN": "#8e5bb5",
    "SLEEP": "#23357a",
    "WAKE_RAMP": "#e8892b",
    "AWAKE": "#f4d03f",
    "ALARM": "#d62c1f",
}
STATE_HELP = {
    "OFF": "no power",
    "BOOT": "rebooting",
    "IDLE": "standby, lights off",
    "WIND_DOWN": "dimming warm light, soft sound",
    "SLEEP": "dark or night-light, heart rate watched",
    "WAKE_RAMP": "sunrise light, then melody",
    "AWAKE": "daylight on",
    "ALARM": "fail-safe alarm until acknowledged",
}
# What the speaker plays, by tone: (upper bound Hz, name, colour).
SOUND_KINDS = (
    (500, "wind-down tone or noise", "#8e5bb5"),
    (1500, "wake melody", "#e8892b"),
    (math.inf, "alarm siren", "#d62c1f"),
)
MARKERS = {
    "fault": ("#c0392b", (0, (5, 3))),
    "reset": ("#6c3483", (0, (1, 2))),
    "wake": ("#1e8449", "solid"),
    "smart": ("#17a589", (0, (2, 1))),
    "snooze": ("#7f8c8d", (0, (2, 2))),
    "answer": ("#2471a3", (0, (4, 1, 1, 1))),
}
WINDOW_COLOUR = "#e59866"
NOTE = ("Strip colours: hue from the RGB ratios, brightness\non the perceived scale (lifted so "
        "dim colours\nstay visible). Odd pixels: one step dimmer at\nmost (dithering), except "
        "the ALARM pattern.")
HR_BAND = (40, 130)  # firmware defaults, pod.program sleep.hr_low / hr_high
MAX_COLUMNS = 1600  # about one image column per pixel of a 1600 px wide figure
SOUND_COLUMN_MS = 12000  # the wind-down tone swells every 10 s


def _perceived(linear: np.ndarray) -> np.ndarray:
    """Linear light 0..1 -> perceived lightness 0..1 (CIE L*), as the firmware's brightness scale."""
    y = np.clip(linear, 0.0, 1.0)
    return np.where(y > 216 / 24389, 116 * np.cbrt(y) - 16, y * 24389 / 27) / 100


def _display_colour(rgb: np.ndarray) -> np.ndarray:
    """Strip bytes (N, 3; linear PWM 0..255) -> screen colours 0..1 that look like the LEDs do.

    The strip's bytes are linear duty, a screen's are not: shown raw, a light at 50 % perceived
    brightness would look 18 % bright and a whole sunrise would be black, then brown. So the hue
    comes from the channel ratios and the brightness from the perceived level of the brightest
    channel, lifted a little (DIM_LIFT) so dim colours keep their hue on a screen. The same as
    simulator.timeline.display_rgb, for whole arrays."""
    peak = rgb.max(axis=1, keepdims=True).astype(float)
    hue = np.divide(rgb, peak, out=np.zeros(rgb.shape), where=peak > 0)
    return hue * _perceived(peak / 255) ** DIM_LIFT


def _hour_formatter(x: float, _pos=None) -> str:
    m = int(round(x * 60))
    return "%02d:%02d" % (m // 60 % 24, m % 60)


def _tick_step(span_h: float) -> tuple[float, float]:
    """Major and minor tick steps (hours) for a night of span_h hours."""
    for limit, major, minor in ((1.5, 1 / 6, 1 / 12), (3, 0.25, 1 / 12), (6, 0.5, 0.25),
                                (14, 1, 0.25), (30, 2, 1)):
        if span_h <= limit:
            return major, minor
    return 4, 1


class _Arrays:
    """The samples as numpy arrays, plus per-column (binned) reductions for drawing."""

    def __init__(self, res, columns: int = MAX_COLUMNS):
        sm = res.samples
        n = len(sm)
        t = np.fromiter((s.t_ms for s in sm), float, n)
        dt = float(np.median(np.diff(t))) if n > 1 else 1000.0
        self.x = (res.start_clock_s + t / 1000) / 3600  # hours since the first midnight
        self.x_end = self.x[-1] + dt / 3.6e6
        self.dt_h = dt / 3.6e6
        self.rgb = np.array([s.rgb for s in sm], dtype=float).reshape(n, 3)
        self.rgb2 = np.array([s.rgb2 for s in sm], dtype=float).reshape(n, 3)
        self.white = np.fromiter((s.white for s in sm), float, n)
        self.tone = np.fromiter((s.tone for s in sm), float, n)
        self.vol = np.fromiter((s.volume if s.tone else 0 for s in sm), float, n) / 10
        self.bpm = np.fromiter((np.nan if s.bpm is None else s.bpm for s in sm), float, n)
        self.hr_true = np.fromiter((s.hr_true if s.hr_true > 0 else np.nan for s in sm), float, n)
        self.states = [s.state for s in sm]
        self.idx, self.edges = self.columns(columns)
        self.mid = (self.edges[:-1] + self.edges[1:]) / 2

    def columns(self, count: int, min_ms: float = 0) -> tuple[np.ndarray, np.ndarray]:
        """Start index of each of about `count` columns (each at least min_ms long), and the
        columns' edges in hours."""
        n = len(self.x)
        if min_ms:
            count = min(count, int((self.x_end - self.x[0]) * 3.6e6 / min_ms))
        idx = np.unique(np.linspace(0, n, max(1, min(n, count)) + 1).astype(int)[:-1])
        return idx, np.append(self.x[idx], self.x_end)

    def mean(self, v: np.ndarray) -> np.ndarray:
        """Per-column mean, ignoring NaN (NaN where a column has no value)."""
        ok = ~np.isnan(v)
        s = np.add.reduceat(np.where(ok, v, 0.0), self.idx, axis=0)
        c = np.add.reduceat(ok.astype(float), self.idx, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(c > 0, s / np.maximum(c, 1), np.nan)

    def max(self, v: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        return np.maximum.reduceat(v, self.idx if idx is None else idx, axis=0)

    def segments(self) -> list[tuple[str, float, float]]:
        """(state, start, end) runs, from every sample (not the columns), so short states show."""
        out = []
        start = 0
        for i in range(1, len(self.states) + 1):
            if i == len(self.states) or self.states[i] != self.states[start]:
                end = self.x[i] if i < len(self.states) else self.x_end
                out.append((self.states[start], self.x[start], end))
                start = i
        return out


def _markers(res) -> list[tuple[float, str, str]]:
    """(x hours, label, kind) for faults, resets and wakes, in time order."""
    h = lambda t_ms: (res.start_clock_s + t_ms / 1000) / 3600
    out = [(h(f.at_ms), "fault: %s" % f.kind, "fault") for f in res.faults]
    out += [(h(r["t_ms"]), "reset: %s" % r["cause"], "reset") for r in res.resets]
    for w in res.wakes:
        lat = ["never" if at is None else "+" + duration(at - w.trigger_ms)
               for at in (w.lit_ms, w.sound_ms)]
        bits = "lit & sound %s" % lat[0] if lat[0] == lat[1] else "lit %s, sound %s" % tuple(lat)
        if wake_at_ms(w) != w.trigger_ms:  # at full light, as "wake at" everywhere
            out.append((h(wake_at_ms(w)), "wake: %s, full light (sunrise from %s)" % (
                w.reason, hhmmss(clock_s(res, w.trigger_ms))[:5]), "wake"))
        else:
            out.append((h(w.event_ms), "wake: %s (%s)" % (w.reason, bits), "wake"))
    prev = None
    prev_why = None
    for e in res.events:
        st, why = e.get("state"), e.get("reason")
        if e.get("ev") == "answer":  # a person answered a wake (#11)
            out.append((h(e["sim_ms"]), "answered: %s" % e.get("msg"), "answer"))
            continue
        if st == "WAKE_RAMP" and why == "smart" and prev == "WAKE_RAMP":
            out.append((h(e["sim_ms"]), "lighter sleep: wake brought forward", "smart"))
        elif st == "WAKE_RAMP" and why == "smart":
            out.append((h(e["sim_ms"]), "lighter sleep: short sunrise", "smart"))
        elif st == "SLEEP" and prev == "AWAKE" and prev_why in ("scheduled", "smart") \
                and why in ("scheduled", "smart"):
            out.append((h(e["sim_ms"]), "snooze", "snooze"))
        elif st in ("WIND_DOWN", "SLEEP", "WAKE_RAMP") and prev == "AWAKE" \
                and prev_why in ("button", "command"):
            out.append((h(e["sim_ms"]), "back to the night", "snooze"))
        prev = st
        prev_why = why
    out.sort(key=lambda m: m[0])
    return out


def _cluster(markers, span: float) -> list[tuple[float, str, str]]:
    """Merge runs of identical labels close together (a boot loop) into one 'label x3'."""
    out: list[list] = []
    for x, label, kind in markers:
        if out and out[-1][1] == label and x - out[-1][3] < 0.01 * span:
            out[-1][3] = x
            out[-1][4] += 1
        else:
            out.append([x, label, kind, x, 1])
    return [(x, label + (" \u00d7%d" % n if n > 1 else ""), kind) for x, label, kind, _, n in out]


MAX_LEVELS = 6


def _label_layout(markers, x0: float, x1: float, width_in: float):
    """Where each marker's label goes above the top lane: (x, label, kind, level, right_side).

    Labels are stacked on up to MAX_LEVELS rows so that no two overlap and no marker's leader
    line crosses another's label. They are placed from right to left, so a cluster of markers
    becomes a staircase with the earliest label on top. A label too close to the right edge is
    written leftwards from its line."""
    span = x1 - x0
    char = 0.072 / width_in  # axes fraction taken by one bold 8 pt character
    boxes: list[tuple[int, float, float]] = []  # (level, left, right) of the labels placed
    leaders: list[tuple[int, float]] = []  # (level, x): a leader crosses every level below
    out = []

    def clashes(level: int, lo: float, hi: float, f: float) -> int:
        # text over text is unreadable; a thin leader line across a label is only untidy
        n = 10 * sum(1 for lv, a, b in boxes if lv == level and a < hi + char and lo < b + char)
        n += sum(1 for lv, a, b in boxes if lv < level and a + char / 2 < f < b)
        n += sum(1 for lv, g in leaders if level < lv and lo - char / 2 <= g <= hi + char / 2)
        return n

    for x, label, kind in reversed(markers):
        f = (x - x0) / span
        w = (len(label) + 1) * char
        right_side = f + w > 1.0
        lo, hi = (f - w, f) if right_side else (f, f + w)
        counts = [clashes(lv, lo, hi, f) for lv in range(MAX_LEVELS)]
        level = counts.index(min(counts))  # the lowest level with the fewest clashes (0 if any)
        boxes.append((level, lo, hi))
        leaders.append((level, f))
        out.append((x, label, kind, level, right_side))
    out.reverse()
    return out


def _draw_labels(ax, layout) -> None:
    for x, label, kind, level, right_side in layout:
        colour = MARKERS[kind][0]
        ax.annotate(label, xy=(x, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(-3 if right_side else 3, 3 + 11 * level), textcoords="offset points",
                    ha="right" if right_side else "left", va="bottom", fontsize=8, color=colour,
                    fontweight="bold", annotation_clip=False,
                    arrowprops=dict(arrowstyle="-", color=colour, lw=0.8, shrinkA=0, shrinkB=0,
                                    relpos=(1, 0) if right_side else (0, 0)))


def plot_night(res, path, title: str | None = None, hr_band: tuple[float, float] = HR_BAND,
               size: tuple[float, float] = (16, 10), dpi: int = 100,
               window: tuple[int, int] | None = None,
               zoom: tuple[int, int] | None = None) -> Path:
    """Draw a NightResult to a PNG at `path` (about 1600 x 1000 px by default). Returns the path.

    window: the program's wake window (start, end) in ms since the night started, shaded.
    zoom: only this part of the night, (start, end) in ms since it started; the subtitle still
    sums up the whole night."""
    path = Path(path)
    whole = res
    if zoom is not None:
        res = _part(res, *zoom)
    if not res.samples:
        raise ValueError("the night has no samples to plot")
    a = _Arrays(res)
    x0, x1 = a.x[0], a.x_end
    span = x1 - x0

    markers = _cluster(_markers(res), span)
    left, right = 0.11, 0.80
    lanes_w = size[0] * (right - left)  # inches
    layout = _label_layout(markers, x0, x1, lanes_w)
    levels = max((lv for *_, lv, _ in layout), default=-1) + 1
    top = 0.875 - 0.0155 * levels * 10 / size[1]

    fig = Figure(figsize=size, dpi=dpi, facecolor="white")
    gs = fig.add_gridspec(5, 1, height_ratios=(0.55, 0.9, 1.3, 1.1, 1.7), hspace=0.14,
                          left=left, right=right, top=top, bottom=0.065)
    axes = [fig.add_subplot(gs[0])]
    axes += [fig.add_subplot(gs[i], sharex=axes[0]) for i in range(1, 5)]
    ax_state, ax_light, ax_bright, ax_sound, ax_hr = axes
    legend_kw: dict[str, Any] = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5,
                                     frameon=False, borderaxespad=0)

    # (a) state bands
    present = []
    segments = a.segments()
    for state, s0, s1 in segments:
        col = STATE_COLOURS.get(state, "#999999")
        ax_state.broken_barh([(s0, s1 - s0)], (0, 1), facecolors=col, edgecolors="none")
        if state not in present:
            present.append(state)
    present.sort(key=lambda s: STATE_ORDER.index(s) if s in STATE_ORDER else len(STATE_ORDER))
    for state, s0, s1 in segments:
        frac = (s1 - s0) / span
        for fs in (9, 7):  # the label at 9 pt, or 7 pt, or none if even that does not fit
            if frac > (len(state) + 0.6) * fs * 0.62 / 72 / lanes_w:
                dark = state in ("SLEEP", "WIND_DOWN", "ALARM", "OFF", "BOOT")
                ax_state.text((s0 + s1) / 2, 0.5, state, ha="center", va="center", fontsize=fs,
                              fontweight="bold", color="white" if dark else "#222222",
                              clip_on=True)
                break
    ax_state.set_ylim(0, 1)
    ax_state.set_yticks([])
    ax_state.legend(handles=[Patch(color=STATE_COLOURS.get(s, "#999999"),
                                   label="%s: %s" % (s, STATE_HELP.get(s, ""))) for s in present],
                    title="state", title_fontsize=9, **dict(legend_kw, fontsize=8, labelspacing=0.3))

    # (b) the strip's colour, as the eye would see it
    even = np.clip(a.mean(_display_colour(a.rgb)), 0, 1)[None, :, :]
    odd = np.clip(a.mean(_display_colour(a.rgb2)), 0, 1)[None, :, :]
    ax_light.set_facecolor("#0b0b0b")
    ax_light.imshow(even, aspect="auto", extent=(a.edges[0], a.edges[-1], 0.34, 1.0),
                    interpolation="nearest", origin="lower")
    ax_light.imshow(odd, aspect="auto", extent=(a.edges[0], a.edges[-1], 0.0, 0.26),
                    interpolation="nearest", origin="lower")
    ax_light.set_ylim(0, 1)
    ax_light.set_yticks([0.67, 0.13], ["even px", "odd px"], fontsize=8)
    ax_light.tick_params(axis="y", length=0)

    # (c) brightness: the brightest moment of each column, so a flash of a few seconds shows
    strip = a.max(100 * _perceived(a.rgb.max(axis=1) / 255))
    white = a.max(100 * _perceived(a.white / 65535))
    ax_bright.fill_between(a.mid, strip, color="#f0a030", alpha=0.25, lw=0)
    ax_bright.plot(a.mid, strip, color="#e08a00", lw=1.8, label="LED strip")
    ax_bright.plot(a.mid, white, color="#34495e", lw=1.4, ls=(0, (4, 2)), label="white LED")
    ax_bright.set_ylim(-3, 108)
    ax_bright.set_yticks([0, 25, 50, 75, 100])
    ax_bright.legend(title="perceived brightness", title_fontsize=9, **legend_kw)

    # (d) sound: loudest volume in each column, coloured by what is playing
    # Columns of at least SOUND_COLUMN_MS: the envelope, not every swell of the wind-down tone.
    sidx, sedges = a.columns(MAX_COLUMNS, SOUND_COLUMN_MS)
    handles = []
    lo = 0.0
    for hi, name, col in SOUND_KINDS:
        sel = (a.tone > lo) & (a.tone < hi)
        if sel.any():
            env = a.max(np.where(sel, a.vol, 0.0), sidx)
            ax_sound.stairs(env, sedges, fill=True, color=col, alpha=0.8, lw=0)
            tones = np.unique(a.tone[sel]).astype(int)
            hz = "%d Hz" % tones[0] if len(tones) == 1 else "%d\u2013%d Hz" % (tones[0], tones[-1])
            handles.append(Patch(color=col, alpha=0.8, label="%s (%s)" % (name, hz)))
        lo = hi
    if not handles:
        ax_sound.text(0.5, 0.5, "silent all night", transform=ax_sound.transAxes, ha="center",
                      va="center", color="#777777")
    ax_sound.set_ylim(0, 105)
    ax_sound.set_yticks([0, 50, 100])
    if handles:
        ax_sound.legend(handles=handles, title="speaker (loudest in each\ncolumn; tone in Hz)",
                        title_fontsize=9, **legend_kw)

    # (e) heart rate
    lo_b, hi_b = hr_band
    ax_hr.axhspan(lo_b, hi_b, color="#27ae60", alpha=0.09, lw=0)
    for y in hr_band:
        ax_hr.axhline(y, color="#27ae60", lw=0.8, ls=(0, (3, 3)))
    true = a.mean(a.hr_true)
    est = a.mean(a.bpm)
    ax_hr.plot(a.mid, est, ls="none", marker="o", ms=2.6, color="#e74c3c", alpha=0.45,
               mew=0, label="firmware estimate")
    ax_hr.plot(a.mid, true, color="#1b1b1b", lw=0.9, label="true rate (simulated sleeper)")
    none = np.isnan(est)
    vals = np.concatenate([v[~np.isnan(v)] for v in (true, est)] + [np.array(hr_band, float)])
    ymin, ymax = max(0.0, vals.min() - 12), vals.max() + 12
    if none.any():
        ax_hr.fill_between(a.mid, ymin, ymin + 0.04 * (ymax - ymin), where=none, step="mid",
                           color="#999999", lw=0, label="no estimate")
    ax_hr.set_ylim(ymin, ymax)
    hr_handles, _ = ax_hr.get_legend_handles_labels()
    hr_handles.append(Patch(color="#27ae60", alpha=0.2,
                            label="safe band %g\u2013%g bpm\n(alarm if outside too long)" % hr_band))
    ax_hr.legend(handles=hr_handles, title="heart rate", title_fontsize=9, markerscale=2.5,
                 **legend_kw)

    # shared x axis: clock time
    major, minor = _tick_step(span)
    ax_hr.xaxis.set_major_locator(MultipleLocator(major))
    ax_hr.xaxis.set_minor_locator(MultipleLocator(minor))
    ax_hr.xaxis.set_major_formatter(FuncFormatter(_hour_formatter))
    ax_hr.set_xlim(x0, x1)
    ax_hr.set_xlabel("clock time (HH:MM)", fontsize=10)
    labels = ("state", "light strip\n(as seen)", "brightness\n(%)", "sound\nvolume (%)",
              "heart rate\n(bpm)")
    for ax, label in zip(axes, labels):
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=10)
        ax.yaxis.set_label_coords(-0.058, 0.5)
        ax.tick_params(axis="both", labelsize=8.5)
        if ax is not ax_hr:
            ax.tick_params(axis="x", labelbottom=False)
        if ax not in (ax_state, ax_light):
            ax.grid(True, which="major", color="#dddddd", lw=0.6)
            ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)

    # the wake window: a smart wake may come anywhere in it, and never after its end
    if window is not None:
        w0, w1 = ((res.start_clock_s + t / 1000) / 3600 for t in window)
        for ax in (ax_bright, ax_sound, ax_hr):
            ax.axvspan(w0, w1, color=WINDOW_COLOUR, alpha=0.13, lw=0)
        ax_hr.axvline(w1, color=WINDOW_COLOUR, lw=1.0)
        ax_hr.text(w1, 0.97, "wake window %s–%s " % (_hour_formatter(w0), _hour_formatter(w1)),
                   transform=ax_hr.get_xaxis_transform(), ha="right", va="top", fontsize=8,
                   color="#a04000", fontweight="bold")

    # faults, resets and wakes across all lanes
    for x, _, kind in markers:
        colour, ls = MARKERS[kind]
        for ax in axes:
            ax.axvline(x, color=colour, ls=ls, lw=1.3, alpha=0.9)
    _draw_labels(ax_state, layout)
    if markers:
        kinds = [k for k in MARKERS if any(m[2] == k for m in markers)]
        fig.legend(handles=[_line_handle(k) for k in kinds], loc="lower left", ncol=min(3, len(kinds)),
                   bbox_to_anchor=(right + 0.005, top + 0.004), fontsize=8.5, frameon=False,
                   handlelength=2.5, columnspacing=1.2)
    ax_bright.text(1.01, 0.0, NOTE, transform=ax_bright.transAxes, fontsize=7.5,
                   color="#555555", ha="left", va="bottom", linespacing=1.3)

    # titles
    end_clock = hhmmss(clock_s(res, res.duration_ms or res.samples[-1].t_ms))[:5]
    fig.suptitle(title or "bedtime-pod \u2014 simulated night %s \u2192 %s"
                 % (hhmmss(res.start_clock_s)[:5], end_clock), fontsize=15, fontweight="bold",
                 x=left, ha="left", y=0.985)
    fig.text(left, 0.945, _subtitle(whole), fontsize=10, color="#444444", ha="left", va="top")
    fig.savefig(path, dpi=dpi, facecolor="white")
    return path


def _part(res, t0: int, t1: int):
    """A copy of a NightResult with only what happened between t0 and t1 (ms)."""
    part = copy.copy(res)
    part.samples = [x for x in res.samples if t0 <= x.t_ms <= t1]
    part.faults = [f for f in res.faults if t0 <= f.at_ms <= t1]
    part.resets = [r for r in res.resets if t0 <= r["t_ms"] <= t1]
    part.wakes = [w for w in res.wakes if t0 <= w.event_ms <= t1]
    part.events = [e for e in res.events if t0 <= e["sim_ms"] <= t1]
    return part


def _line_handle(kind: str):
    from matplotlib.lines import Line2D

    colour, ls = MARKERS[kind]
    return Line2D([], [], color=colour, ls=ls, lw=1.5, label=kind)


def _subtitle(res) -> str:
    times = state_times(res)
    total = sum(times.values()) or 1
    order = sorted(times, key=lambda s: STATE_ORDER.index(s) if s in STATE_ORDER else 99)
    bits = ["%s %s" % (s, duration(times[s])) for s in order if times[s] / total >= 0.01]
    wakes = ", ".join("%s at %s" % (w.reason, hhmmss(clock_s(res, wake_at_ms(w)))[:5])
                      for w in res.wakes) or "none"
    groups: list[list] = []  # [cause, HH:MM, count]: a boot loop is one entry
    for r in res.resets:
        at = hhmmss(clock_s(res, r["t_ms"]))[:5]
        if groups and groups[-1][:2] == [r["cause"], at]:
            groups[-1][2] += 1
        else:
            groups.append([r["cause"], at, 1])
    resets = ", ".join("%s%s at %s" % (c, " \u00d7%d" % n if n > 1 else "", at)
                       for c, at, n in groups) or "none"
    return ("%s long, ends in %s.  Wakes: %s.  Resets: %s.\nTime in states: %s."
            % (duration(res.duration_ms or res.samples[-1].t_ms), res.final_state, wakes, resets,
               ", ".join(bits)))
