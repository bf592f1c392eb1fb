"""Heart-rate cases and their scoring, with no reference library: the cases' signals with their
truth, the per-second contract for every estimator, and the scoring. `make bench-hr`
(simulator/bench_hr.py) runs them; tests/test_bench_hr.py checks them on small inputs.

Every estimator is read through the same per-second contract as `pod-sim hr`: at each whole
second T after the first sample, one estimate (bpm or None) computed from samples before T.

Per-second labels (what the second is scored for):
  "on"   contact, settled: counts for coverage and MAE;
  "warm" contact, but within WARM_S of contact starting or of a movement: an estimate there
         still counts for MAE (a wrong guess always costs), a missing one is not held against
         coverage (no estimator knows a rate before it saw beats);
  "off"  no contact: any estimate is a false one;
  "edge" the EDGE_S seconds after contact was lost: not scored.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from simulator.hw.sleeper import Sleeper

FS = 100            # Hz, the `pod-sim hr` CSV rate
WARM_S = 10
EDGE_S = 2
TRUTH_WINDOW_MS = 5000  # the true rate at T: mean beat interval of the beats in (T-5 s, T]
SETTLE_TOL = 5.0    # bpm: settled when within this of the new rate...
SETTLE_HOLD = 5     # ...for this many consecutive seconds
FULL_SCALE = 0x3FFFF


@dataclass
class Case:
    name: str
    what: str
    t_ms: np.ndarray
    ir: np.ndarray
    red: np.ndarray
    beats_ms: np.ndarray                       # true beat times (contact segments)
    contact: np.ndarray                        # bool per sample: skin on the sensor
    moving: np.ndarray                         # bool per sample: motion artefact
    steps: list = field(default_factory=list)  # (t_ms, new bpm) of abrupt rate changes

    @property
    def seconds(self) -> float:
        return (int(self.t_ms[-1]) - int(self.t_ms[0])) / 1000.0


# ---------------------------------------------------------------- truth and labels

def report_times(t_ms: np.ndarray) -> list[int]:
    """The whole seconds the contract reports at: t0+1000, t0+2000, ... up to the last sample."""
    t0 = int(t_ms[0])
    n = (int(t_ms[-1]) - t0) // 1000
    return [t0 + 1000 * (k + 1) for k in range(n)]


def truth_at(beats_ms: np.ndarray, t: int, window_ms: int = TRUTH_WINDOW_MS) -> float | None:
    """Mean rate of the beat intervals that ended in (t - window, t], None without one."""
    b = beats_ms[beats_ms <= t]
    if len(b) < 2:
        return None
    iv = np.diff(b)
    ends = b[1:]
    sel = iv[ends > t - window_ms]
    if len(sel) == 0:
        sel = iv[-1:]
    if sel.mean() > 2500:  # an interval across a contact gap is no heart rate
        return None
    return 60000.0 / float(sel.mean())


def labels(case: Case) -> list[tuple[int, str, float | None]]:
    """(T, label, true bpm) for every report time of a case."""
    out = []
    t = case.t_ms
    last_on = None      # when contact last started
    last_off = None     # when it was last lost
    last_move = None    # last moving sample
    i = 0
    n = len(t)
    prev = bool(case.contact[0])
    last_on = int(t[0]) if prev else None
    last_off = None if prev else -10 ** 9
    for T in report_times(t):
        while i < n and t[i] < T:
            c = bool(case.contact[i])
            if c and not prev:
                last_on = int(t[i])
            if prev and not c:
                last_off = int(t[i])
            if case.moving[i]:
                last_move = int(t[i])
            prev = c
            i += 1
        if not prev:
            lab = "edge" if last_off is not None and T - last_off <= EDGE_S * 1000 else "off"
            out.append((T, lab, None))
            continue
        true = truth_at(case.beats_ms[case.beats_ms >= (last_on or 0)], T)
        warm = (last_on is not None and T - last_on < WARM_S * 1000) or \
            (last_move is not None and T - last_move < WARM_S * 1000) or true is None
        out.append((T, "warm" if warm else "on", true))
    return out


# ---------------------------------------------------------------- scoring

def score(case: Case, est: list[dict]) -> dict:
    """Scores of one estimator's per-second output on one case (sums, so cases can pool)."""
    labs = labels(case)
    by_t = {int(r["t_ms"]): r.get("bpm") for r in est}
    err = 0.0
    n_err = 0
    on = on_est = off = off_est = 0
    for T, lab, true in labs:
        b = by_t.get(T)
        if lab in ("on", "warm") and b is not None and true is not None:
            err += abs(b - true)
            n_err += 1
        if lab == "on":
            on += 1
            on_est += b is not None
        elif lab == "off":
            off += 1
            off_est += b is not None
    return {"abs_err": err, "n_err": n_err, "on": on, "on_est": on_est, "off": off,
            "off_est": off_est, "settle_s": settling(case.steps, est, int(case.t_ms[-1]))}


def settling(steps: list, est: list[dict], t_end: int) -> list[float]:
    """Seconds from each step until the estimate stays within SETTLE_TOL of the new rate for
    SETTLE_HOLD seconds in a row; a step it never settles after counts as the time to the next
    step (or the end), so it is never better than the truth."""
    out = []
    for k, (ts, bpm) in enumerate(steps):
        t_next = steps[k + 1][0] if k + 1 < len(steps) else t_end
        rows = [r for r in est if ts < r["t_ms"] <= t_next]
        run = 0
        found = None
        for r in rows:
            b = r.get("bpm")
            if b is not None and abs(b - bpm) <= SETTLE_TOL:
                run += 1
                if run == SETTLE_HOLD:
                    found = (r["t_ms"] - (SETTLE_HOLD - 1) * 1000 - ts) / 1000.0
                    break
            else:
                run = 0
        out.append(found if found is not None else (t_next - ts) / 1000.0)
    return out


def pool(scores: list[dict], cpu_s: float, signal_s: float) -> dict:
    """Totals over cases: the benchmark's figures for one estimator."""
    err = sum(s["abs_err"] for s in scores)
    n_err = sum(s["n_err"] for s in scores)
    on = sum(s["on"] for s in scores)
    on_est = sum(s["on_est"] for s in scores)
    off = sum(s["off"] for s in scores)
    off_est = sum(s["off_est"] for s in scores)
    st = sorted(x for s in scores for x in s["settle_s"])
    return {
        "mae_bpm": round(err / n_err, 2) if n_err else None,
        "coverage_pct": round(100.0 * on_est / on, 1) if on else None,
        "no_contact_estimates_pct": round(100.0 * off_est / off, 1) if off else None,
        "settle_median_s": float(np.median(st)) if st else None,
        "settle_worst_s": float(max(st)) if st else None,
        "cpu_s_per_hour": round(cpu_s * 3600.0 / signal_s, 2) if signal_s else None,
        "contact_seconds": on, "no_contact_seconds": off, "steps": len(st),
    }


# ---------------------------------------------------------------- estimators

def ours(case: Case, fw_dir=None) -> list[dict]:
    """The firmware's pod.hr, fed exactly as `pod-sim hr` feeds it (fw_dir: another firmware
    tree's, for the "before" column)."""
    from simulator.hrcsv import estimate
    return estimate(list(zip(case.t_ms.tolist(), case.ir.tolist(), case.red.tolist())), fw_dir)


def sliding(fn, case: Case, window_s: float = 10.0, min_s: float = 4.0) -> list[dict]:
    """A batch estimator through the per-second contract: at each T, fn(window, fs) on the
    samples in [T - window_s, T). fn returns bpm or None; any exception reads as None. The
    signal is handed over right way up (pulse upwards), as a careful user of these libraries
    would, since the MAX30102's raw counts are inverted."""
    t = case.t_ms
    x = -case.ir.astype(float)
    out = []
    for T in report_times(t):
        lo = int(np.searchsorted(t, T - window_s * 1000))
        hi = int(np.searchsorted(t, T))
        bpm = None
        if (hi - lo) >= min_s * FS:
            try:
                v = fn(x[lo:hi], FS)
                if v is not None and math.isfinite(v) and v > 0:
                    bpm = float(v)
            except Exception:  # noqa: BLE001 - a library refusing a window is "no estimate"
                bpm = None
        out.append({"t_ms": T, "bpm": bpm})
    return out


def timed(fn, *args):
    t0 = time.process_time()
    r = fn(*args)
    return r, time.process_time() - t0


# ---------------------------------------------------------------- signals

def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _clip(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, FULL_SCALE).astype(np.int64)


def from_pulse(name: str, what: str, pulse: np.ndarray, beats_ms: np.ndarray, seed: int,
               dc: float = 150000.0, amp_frac: float = 0.005, noise: float = 20.0) -> Case:
    """A case from a clean blood-volume pulse (up = more blood): scaled to MAX30102 counts,
    inverted (more blood, less reflected light), with breathing, slow drift and sensor noise."""
    r = _rng(seed)
    n = len(pulse)
    t_ms = np.arange(n, dtype=np.int64) * (1000 // FS)
    p = (pulse - pulse.min()) / max(1e-9, float(np.ptp(pulse)))
    amp = dc * amp_frac
    ts = t_ms / 1000.0
    breath = 0.25 * amp * np.sin(2 * np.pi * 0.23 * ts + r.uniform(0, 6.28))
    drift = np.cumsum(r.normal(0, amp * 0.002, n))
    ir = dc - amp * p + breath + drift + r.normal(0, noise, n)
    red = 0.8 * dc - 0.6 * amp * p + 0.6 * breath + r.normal(0, noise, n)
    ones = np.ones(n, dtype=bool)
    return Case(name, what, t_ms, ir, red, beats_ms, ones, ~ones)


def nk_pulse(seconds: int, bpm: int, seed: int, fm: float = 0.1):
    """neurokit2's ppg_simulate without its own noise; truth beats are its systolic peaks."""
    import neurokit2 as nk  # pyright: ignore[reportMissingImports]
    from scipy.signal import find_peaks  # pyright: ignore[reportMissingImports]
    x = nk.ppg_simulate(duration=seconds, sampling_rate=FS, heart_rate=bpm,
                        frequency_modulation=fm, ibi_randomness=0.1, drift=0,
                        motion_amplitude=0, powerline_amplitude=0, burst_number=0,
                        random_state=seed)
    x = np.asarray(x, dtype=float)
    pk, _ = find_peaks(x, distance=max(1, int(FS * 60 / bpm * 0.55)),
                       prominence=0.3 * float(np.ptp(x)))
    return x, pk * (1000 // FS)


def sleeper_pulse(seconds: int, seed: int, t0_min: float = 0.0, profile=None, setup=None,
                  moves=()):
    """The simulator's sleeper at FS: (ir, red, beat times, moving). A beat is a wrap of its
    phase. setup(sleeper) switches on its optional effects; moves: (second, duration s)."""
    s = Sleeper(seed, profile)
    if setup is not None:
        setup(s)
    n = seconds * FS
    ir = np.zeros(n)
    red = np.zeros(n)
    moving = np.zeros(n, dtype=bool)
    beats = []
    t0 = int(t0_min * 60000)
    s.t_ms = t0
    s._t_hr = t0
    prev = s.phase
    todo = sorted(moves)
    for i in range(n):
        t = t0 + (i + 1) * (1000 // FS)
        if todo and t - t0 >= todo[0][0] * 1000:
            s.move(t, todo.pop(0)[1])
        moving[i] = t < s.move_until
        red[i], ir[i] = s.sample(t)
        if s.phase < prev:
            beats.append((i + 1) * (1000 // FS))
        prev = s.phase
    return ir, red, np.array(beats, dtype=np.int64), moving


def sleeper_case(name: str, what: str, seconds: int, seed: int, t0_min: float = 0.0,
                 profile=None, steps=None, setup=None, moves=()) -> Case:
    ir, red, beats, moving = sleeper_pulse(seconds, seed, t0_min, profile, setup, moves)
    n = len(ir)
    t_ms = np.arange(n, dtype=np.int64) * (1000 // FS)
    ones = np.ones(n, dtype=bool)
    return Case(name, what, t_ms, ir, red, beats, ones, moving, steps or [])


def _restless(s: Sleeper) -> None:
    s.hrv = 0.04
    s.rsa = 0.05
    s.set_perfusion(0.5)


def step_profile(rates: Sequence[float], every_s: float):
    def prof(m):
        k = int(m * 60 / every_s)
        return rates[min(k, len(rates) - 1)]
    return prof


def add_motion(c: Case, seed: int, every_s: int = 45, dur_s: int = 4) -> Case:
    """Movement: the baseline jumps and sways at 1-3 Hz, in the heart-rate band, for dur_s."""
    r = _rng(seed)
    amp = float(np.ptp(c.ir[: 5 * FS])) or 1000.0
    for start in range(every_s // 2, int(c.seconds) - dur_s, every_s):
        a = start * FS
        b = a + dur_s * FS
        f = r.uniform(1.0, 3.0)
        k = np.arange(b - a) / FS
        c.ir[a:b] += 3 * amp * np.sin(2 * np.pi * f * k) + r.uniform(-0.03, 0.03) * c.ir[a]
        c.red[a:b] += 2 * amp * np.sin(2 * np.pi * f * k)
        c.moving[a:b] = True
    return c


def add_motion_bouts(c: Case, seed: int, every_s: int = 30, dur_s=(4, 8)) -> Case:
    """Movement in bouts of dur_s[0]..dur_s[1] s about every every_s s: a 1-3 Hz sway of 3 to 8
    times the pulse, and the baseline shifted by up to 8 % (a hand pressing or turning)."""
    r = _rng(seed)
    amp = float(np.ptp(c.ir[: 5 * FS])) or 1000.0
    start = every_s // 2
    while start < int(c.seconds) - dur_s[1]:
        d = float(r.uniform(dur_s[0], dur_s[1]))
        a = int(start * FS)
        b = a + int(d * FS)
        f = r.uniform(1.0, 3.0)
        k = np.arange(b - a) / FS
        sway = r.uniform(3, 8) * amp * np.sin(2 * np.pi * f * k + r.uniform(0, 6.28))
        shift = r.uniform(-0.08, 0.08) * c.ir[a] * np.minimum(1.0, k / 0.5)
        c.ir[a:b] += sway + shift
        c.red[a:b] += 0.8 * (sway + shift)
        c.moving[a:b] = True
        start += int(r.uniform(0.7, 1.3) * every_s)
    return c


def add_posture(c: Case, seed: int, every_s: int = 60, ramp_s: int = 20,
                frac: float = 0.3) -> Case:
    """Slow posture changes: the light path changes and the whole signal (DC and pulse alike)
    drifts by frac over ramp_s seconds, down then back up, every every_s seconds."""
    r = _rng(seed)
    gain = np.ones(len(c.ir))
    level = 1.0
    sign = -1.0
    for start in range(every_s // 3, int(c.seconds) - ramp_s, every_s):
        a = start * FS
        b = a + ramp_s * FS
        new = level * (1 + sign * frac * r.uniform(0.9, 1.1))
        gain[a:b] = level + (new - level) * (np.arange(b - a) / (b - a))
        gain[b:] = new
        level = new
        sign = -sign
    c.ir = c.ir * gain
    c.red = c.red * gain
    return c


def add_glitch_bursts(c: Case, seed: int, every_s: float = 6.0, n=(3, 10)) -> Case:
    """I2C errors in bursts: n[0]..n[1] samples in a row, about every every_s s, each burst read
    as zeros, as full scale (0x3FFFF, the bus held high) or as garbage (a frame read out of
    step), in both channels."""
    r = _rng(seed)
    t = int(every_s * FS * r.uniform(0.2, 1.0))
    while t < len(c.ir) - n[1]:
        k = int(r.integers(n[0], n[1] + 1))
        kind = r.integers(0, 3)
        for ch in (c.ir, c.red):
            if kind == 0:
                ch[t:t + k] = 0
            elif kind == 1:
                ch[t:t + k] = FULL_SCALE
            else:
                ch[t:t + k] = r.integers(0, FULL_SCALE, k)
        t += int(every_s * FS * r.uniform(0.3, 1.7))
    return c


def _weak(s: Sleeper) -> None:
    s.hrv = 0.03
    s.rsa = 0.04
    s.set_perfusion(0.0833)  # 75 counts on a 150,000-count DC: 0.05 %


def add_glitches(c: Case, seed: int, frac: float = 0.01) -> Case:
    """I2C glitches: a sample read as 0 or as full scale (0x3FFFF)."""
    r = _rng(seed)
    idx = r.choice(len(c.ir), int(len(c.ir) * frac), replace=False)
    c.ir[idx] = np.where(r.random(len(idx)) < 0.5, 0, FULL_SCALE)
    return c


def add_finger_off(c: Case, seed: int, spans: list[tuple[int, int, str]]) -> Case:
    """No contact from a to b seconds: "air" (the LED sees nothing: ~1000 counts), "sheet"
    (a bed sheet a few mm away: ~25000 counts, swaying with breathing and fidgeting) or
    "sheet:LEVEL" (a brighter sheet, as bright as skin: the same sway scaled to LEVEL counts).
    The sheet's red follows its IR (0.8 of it, as skin's DC does): light scattered by cloth
    changes alike at both wavelengths, where blood's pulse is weaker in red."""
    r = _rng(seed)
    for a_s, b_s, kind in spans:
        a = a_s * FS
        b = b_s * FS
        k = np.arange(b - a) / FS
        if kind == "air":
            x = 1000 + 200 * np.sin(2 * np.pi * 0.05 * k) + r.normal(0, 30, b - a)
        else:
            x = (25000 + 600 * np.sin(2 * np.pi * 0.25 * k) + 250 * np.sin(2 * np.pi * 1.1 * k)
                 + np.cumsum(r.normal(0, 15, b - a)) + r.normal(0, 40, b - a))
            if kind.startswith("sheet:"):
                x = x * (int(kind[6:]) / 25000.0)
        c.ir[a:b] = x
        c.red[a:b] = 0.8 * x
        c.contact[a:b] = False
    keep = np.ones(len(c.beats_ms), dtype=bool)
    for a_s, b_s, _ in spans:
        keep &= ~((c.beats_ms >= a_s * 1000) & (c.beats_ms < b_s * 1000))
    c.beats_ms = c.beats_ms[keep]
    return c


def add_flicker(c: Case, seed: int) -> Case:
    """Room light leaking past the ambient cancellation: 100 Hz mains flicker sampled at 100
    sps by a clock 0.3 % off aliases to 0.3 Hz; a 120 Hz lamp aliases to 20 Hz."""
    r = _rng(seed)
    amp = float(np.ptp(c.ir[: 5 * FS])) or 1000.0
    ts = c.t_ms / 1000.0
    c.ir = c.ir + 0.6 * amp * np.sin(2 * np.pi * 0.3 * ts + r.uniform(0, 6.28)) \
        + 0.3 * amp * np.sin(2 * np.pi * 20 * ts)
    return c


def finish(c: Case) -> Case:
    c.ir = _clip(c.ir)
    c.red = _clip(c.red)
    return c


def build_cases(seconds: int = 300, with_nk: bool = True, seed: int = 0) -> list[Case]:
    """The benchmark set, reproducible (fixed seeds, shifted by `seed` to draw another set).
    With with_nk=False (neurokit2 missing) only the sleeper-model cases."""
    cases = []
    z = seed
    cases.append(sleeper_case("sleeper-evening", "sleeper model, first minutes of the night",
                              seconds, 11 + z, 0.0))
    cases.append(sleeper_case("sleeper-rem", "sleeper model, 4 h in (REM, faster)", seconds, 12 + z,
                              240.0))
    cases.append(sleeper_case(
        "sleeper-restless", "sleeper model: beat-to-beat variability, breathing in the rate, "
        "half perfusion, 4 s of movement a minute", seconds, 14 + z, 120.0, setup=_restless,
        moves=[(k, 4) for k in range(30, seconds - 4, 60)]))
    every = max(10, seconds // 6)
    rates = [60, 130, 60, 130, 60, 130]
    steps = [(int(k * every * 1000), float(rates[k])) for k in range(1, len(rates))
             if k * every < seconds]
    cases.append(sleeper_case("steps-60-130", "sleeper model, abrupt steps 60<->130 bpm every "
                              "%d s" % every, seconds, 13 + z, 0.0, step_profile(rates, every), steps))
    cases.append(sleeper_case("sleeper-weak", "sleeper model, pulse 0.05 % of DC (75 counts), "
                              "variability and breathing in the rate", seconds, 15 + z, 60.0,
                              setup=_weak))
    if not with_nk:
        return [finish(c) for c in cases]
    x, b = nk_pulse(seconds, 62, 21 + z)
    cases.append(from_pulse("nk-rest-62", "neurokit2 ppg_simulate, 62 bpm, DC 150k", x, b, 21 + z))
    x, b = nk_pulse(seconds, 40, 22 + z)
    cases.append(from_pulse("nk-brady-40", "bradycardia 35-45 bpm, DC 120k", x, b, 22 + z,
                            dc=120000))
    x, b = nk_pulse(seconds, 170, 23 + z)
    cases.append(from_pulse("nk-tachy-170", "tachycardia 150-190 bpm, DC 180k", x, b, 23 + z,
                            dc=180000))
    x, b = nk_pulse(seconds, 66, 24 + z)
    cases.append(from_pulse("nk-low-perfusion", "66 bpm, pulse 0.1 % of DC (150 counts)", x, b,
                            24 + z, amp_frac=0.001))
    x, b = nk_pulse(seconds, 72, 25 + z)
    cases.append(add_motion(from_pulse("nk-motion", "72 bpm, 4 s of movement every 45 s", x, b,
                                       25 + z, dc=160000), 25 + z))
    x, b = nk_pulse(seconds, 70, 26 + z)
    cases.append(add_glitches(from_pulse("nk-i2c-glitch", "70 bpm, 1 % samples 0 or 0x3FFFF",
                                         x, b, 26 + z, dc=110000), 26 + z))
    x, b = nk_pulse(seconds, 65, 27 + z)
    q = seconds // 5
    cases.append(add_finger_off(from_pulse(
        "nk-finger-off", "65 bpm; finger off in air, later over a bed sheet", x, b, 27 + z,
        dc=140000), 27 + z, [(q, 2 * q, "air"), (3 * q, 4 * q, "sheet")]))
    x, b = nk_pulse(seconds, 66, 28 + z)
    cases.append(add_flicker(from_pulse("nk-lamp-flicker", "66 bpm, lamp flicker aliased to "
                                        "0.3 Hz and 20 Hz", x, b, 28 + z, dc=190000), 28 + z))
    # The harder conditions of issue #15
    x, b = nk_pulse(seconds, 68, 29 + z)
    cases.append(add_glitch_bursts(from_pulse(
        "nk-glitch-bursts", "68 bpm, I2C bursts of 3-10 bad samples (0, 0x3FFFF or garbage) "
        "every ~6 s", x, b, 29 + z, dc=130000), 29 + z))
    x, b = nk_pulse(seconds, 58, 30 + z)
    cases.append(from_pulse("nk-perfusion-005", "58 bpm, pulse 0.05 % of DC (75 counts)", x, b,
                            30 + z, amp_frac=0.0005))
    x, b = nk_pulse(seconds, 64, 31 + z)
    cases.append(add_motion_bouts(from_pulse(
        "nk-move-bouts", "64 bpm, bouts of 4-8 s of movement (sway 3-8x the pulse, baseline "
        "+-8 %) every ~30 s", x, b, 31 + z, dc=150000), 31 + z))
    x, b = nk_pulse(seconds, 60, 32 + z)
    cases.append(add_posture(from_pulse(
        "nk-posture-drift", "60 bpm, DC (and pulse) drifting 30 % over 20 s, every 60 s", x, b,
        32 + z, dc=160000), 32 + z))
    x, b = nk_pulse(seconds, 65, 33 + z)
    f = seconds // 15
    cases.append(add_finger_off(from_pulse(
        "nk-sheet-bright", "65 bpm; finger off over a bright sheet at 60k, 75k and 90k counts "
        "swaying at 1.1 Hz", x, b, 33 + z, dc=140000), 33 + z,
        [(2 * f, 5 * f, "sheet:60000"), (7 * f, 10 * f, "sheet:75000"),
         (12 * f, seconds, "sheet:90000")]))
    return [finish(c) for c in cases]
    return [finish(c) for c in cases]


def write_csv(case: Case, path) -> None:
    with open(path, "w") as f:
        f.write("t_ms,ir,red\n")
        for t, i, r in zip(case.t_ms.tolist(), case.ir.tolist(), case.red.tolist()):
            f.write("%d,%d,%d\n" % (t, i, r))
