"""What a fail-safe soak saw: how close each wake bound came to failing (margins) and which
corners it reached (coverage), per worker process, merged into build/soak-report.{md,json}.

The safety monitor (simulator/failsafe.py) calls a `Recorder` as things happen to the pod (an
action, a fault, an obligation settled); the property test (tests/test_property_failsafe.py)
adds the scheduled wake and steers hypothesis with `target()`. The rows of the margins table
come from TRIGGERS: a bound a new issue adds is one more row here (an obligation whose trigger
is not listed still gets its own row, named after it).

`python -m simulator.soakreport DIR --wall S` merges the per-worker files that a soak wrote
into DIR (one JSON line per example) and writes the two reports.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path

from simulator.faults import KINDS

# key -> (the Safety table's trigger, its bound in words). The order is the report's order.
TRIGGERS: dict[str, tuple[str, str]] = {
    "button": ("button press, any state the firmware is running in", "lit <= 250 ms"),
    "serial wake": ("`wake` over the serial link", "lit <= 250 ms"),
    "scheduled wake": ("scheduled wake: the sunrise starts on time (lateness against the program)",
                       "to the 100 ms loop tick, checked to 0.2 s"),
    "morning wake": ("every night's morning wake comes (lateness against the wake time the "
                     "night started with)", "by the wake time + 2 s"),
    "unanswered wake": ("a scheduled, smart or host wake nobody answers",
                        "fail-safe ALARM by the answer window + 2 s"),
    "cap": ("session cap, 12 h (the longest session against it)", "at the cap (+ 2 s)"),
    "hr-low": ("heart rate below the safe band for the hold time", "<= hold + 1 s"),
    "hr-high": ("heart rate above the safe band for the hold time", "<= hold + 1 s"),
    "no signal": ("no valid heart-rate signal while asleep, for the grace time", "<= grace + 1 s"),
    "crash": ("an exception escaping the loop", "lit <= 1 s"),
    "hang": ("a hang: the watchdog resets the board", "lit <= 5 s + 1 s"),
    "power-cut": ("a power cut during a night", "lit <= 1 s after power returns"),
    "boot-crash": ("a crash while booting (1 or 2 boots)", "lit <= a boot per crash + 1 s"),
    "boot loop": ("boot loop: 3 boots in a row that crash", "lit <= about 5 s"),
}

NIGHT_LAMPS = ("button", "command")  # AWAKE in the night that the night goes on under
SCHEDULED_EARLY_MS = 100   # tests/test_night.py: the sunrise starts within -100..+200 ms
SCHEDULED_LATE_MS = 200

# Coverage tables: (row, column) pairs with counts. The report lists these rows and columns
# even where the soak never reached them ("." in the table).
FAULT_TABLE = "state at fault x fault kind"
GESTURE_TABLE = "state x gesture or command"
STATES = ("OFF", "BOOT", "HUNG", "IDLE", "AWAKE", "WIND_DOWN", "SLEEP", "WAKE_RAMP", "ALARM")
COLUMNS = {FAULT_TABLE: tuple(k for k in KINDS if k not in ("button", "serial-wake")),
           GESTURE_TABLE: ("tap", "hold", "serial wake", "serial ack", "serial start",
                           "serial stop", "serial time set")}


def trigger_of(ob) -> str:
    """The TRIGGERS key of a monitor obligation (simulator.failsafe.Obligation)."""
    t = getattr(ob, "trigger", "")
    if t:
        return t
    if ob.why == "button press":
        return "button"
    if ob.why.startswith("no signal"):
        return "no signal"
    return ob.kind or ob.why


def pod_state(mon) -> str:
    """What the pod is doing, as a person would see it: the firmware's state, or OFF (no
    power), BOOT (the board is booting), HUNG (stuck until the watchdog)."""
    pod = mon.pod
    if mon._power_cuts and not mon._powered(mon.now):
        return "OFF"
    if pod.board.hung:
        return "HUNG"
    if not pod.running:
        return "BOOT"
    return mon._fw_state


class Recorder:
    """One example's margins and coverage; `example()` folds it into the process's totals."""

    def __init__(self):
        self.margins: dict[str, dict] = {}
        self.coverage: dict[str, Counter] = {FAULT_TABLE: Counter(), GESTURE_TABLE: Counter()}
        self.worst_ratio: dict[str, float] = {}   # latency / bound, this example, per trigger

    # -- hooks called by the monitor ------------------------------------------------------------
    def action(self, mon, what: str, fault: bool = False) -> None:
        table = FAULT_TABLE if fault else GESTURE_TABLE
        self.coverage[table]["%s/%s" % (pod_state(mon), what)] += 1

    def settled(self, mon, ob, lit: int | None, sound: int | None, need_sound: bool) -> None:
        """An obligation's deadline has passed: first lit, and first sounding (when it had to
        sound: a fail-safe wake nobody had answered yet), at these times, or never (None)."""
        done = lit
        if need_sound and done is not None:
            done = None if sound is None else max(done, sound)
        bound = ob.due - ob.t
        latency = (done - ob.t) if done is not None else max(bound + 1, mon.now - ob.t)
        self.latency(trigger_of(ob), latency, bound)

    # -- margins --------------------------------------------------------------------------------
    def latency(self, key: str, latency_ms: int, bound_ms: int) -> None:
        """One case of a trigger: the worst is the case closest to (or furthest past) its bound."""
        m = self.margins.get(key)
        slack = bound_ms - latency_ms
        if m is None:
            self.margins[key] = {"worst_ms": latency_ms, "bound_ms": bound_ms, "n": 1,
                                 "slack_ms": slack}
        else:
            m["n"] += 1
            if slack < m["slack_ms"] or (slack == m["slack_ms"] and latency_ms > m["worst_ms"]):
                m.update(worst_ms=latency_ms, bound_ms=bound_ms, slack_ms=slack)
        ratio = latency_ms / bound_ms if bound_ms > 0 else 0.0
        self.worst_ratio[key] = max(self.worst_ratio.get(key, ratio), ratio)

    def novelty(self, seen: dict[str, Counter]) -> float:
        """How new this example's pairs are against `seen`: each pair scores 1/(1 + times seen)."""
        score = 0.0
        for table, pairs in self.coverage.items():
            before = seen.get(table, Counter())
            for pair in pairs:
                score += 1.0 / (1 + before.get(pair, 0))
        return score


SESSION_STATES = ("WIND_DOWN", "SLEEP", "WAKE_RAMP")
CAP_MS = 12 * 3600 * 1000


def sessions(events: list[dict], now: int) -> list[tuple[int, int | None, list[dict]]]:
    """(start ms, end ms or None if still running, the session's events after its start).

    A night goes on under a lamp (a tap) or a host's wake (#11): AWAKE for the button or a
    command does not end it; the night goes back to sleep afterwards, on the same schedule."""
    out: list[tuple[int, int | None, list[dict]]] = []
    cur = None
    prev = "OFF"
    for e in events:
        st = e.get("state", "")
        if cur is None:
            if st in SESSION_STATES and prev not in SESSION_STATES:
                cur = (e["sim_ms"], [])
        else:
            cur[1].append(e)
            if st not in SESSION_STATES and not (st == "AWAKE"
                                                 and e.get("reason") in NIGHT_LAMPS):
                out.append((cur[0], e["sim_ms"], cur[1]))
                cur = None
        prev = st
    if cur is not None:
        out.append((cur[0], None, cur[1]))
    return out


def scheduled_wakes(mon, program: dict, start_clock_s: int) -> list[tuple[int, int, int]]:
    """Each scheduled sunrise of an undisturbed session: (expected ms, started ms, lateness ms).

    Undisturbed: no fault at all before the sunrise (a power cut loses the clock, a corrupt
    program changes the plan), no clock set by a host, and nobody acted during the session. The pod's clock is then the
    simulation's: start_clock_s at 0 ms. Expected as firmware/pod/core.py plans it: the wake
    time (`at` on the clock, or `after_min` after the start), never past the cap less a minute,
    less the sunrise."""
    wake = program["wake"]
    out = []
    for s, _end, evs in sessions(mon.pod.res.events, mon.now):
        ramp = None
        for e in evs:
            if e.get("state") in ("WIND_DOWN", "SLEEP"):
                continue
            if e.get("state") == "WAKE_RAMP" and e.get("reason") == "scheduled":
                ramp = e["sim_ms"]
            break
        if ramp is None:
            continue
        if (any(t <= ramp for _, t in mon.faults) or any(s + 3000 < u <= ramp for u in mon.user)
                or any(t <= ramp for t in mon.clock_sets)):  # a clock set: not the simulation's
            continue
        if "at" in wake:
            hh, mm = (int(x) for x in wake["at"].split(":"))
            c = start_clock_s * 1000 + s
            target = max(0, ((hh * 3600 + mm * 60 - c // 1000) % 86400) * 1000 - c % 1000)
        else:
            target = wake["after_min"] * 60000
        target = min(target, CAP_MS - 60000)
        expected = s + max(0, target - wake.get("sunrise_min", 30) * 60000)
        out.append((expected, ramp, ramp - expected))
    return out


def session_margins(rec: Recorder, mon, program: dict, start_clock_s: int) -> None:
    """At the end of an example: the scheduled wakes' lateness and the longest session."""
    for _exp, _got, late in scheduled_wakes(mon, program, start_clock_s):
        rec.latency("scheduled wake", late, SCHEDULED_LATE_MS)
    for s, end, _ in sessions(mon.pod.res.events, mon.now):
        rec.latency("cap", (mon.now if end is None else end) - s, CAP_MS + 2000)


def merge_into(total: dict, one: dict) -> dict:
    """Fold one example's (or one worker's) record into a running total, in place."""
    total["examples"] = total.get("examples", 0) + one.get("examples", 1)
    total["sim_ms"] = total.get("sim_ms", 0) + one.get("sim_ms", 0)
    margins = total.setdefault("margins", {})
    for key, m in one.get("margins", {}).items():
        t = margins.get(key)
        if t is None:
            margins[key] = dict(m)
            continue
        n = t["n"] + m["n"]
        if m["slack_ms"] < t["slack_ms"] or (m["slack_ms"] == t["slack_ms"]
                                              and m["worst_ms"] > t["worst_ms"]):
            t.update(m)
        t["n"] = n
    cov = total.setdefault("coverage", {})
    for table, pairs in one.get("coverage", {}).items():
        c = cov.setdefault(table, {})
        for pair, k in pairs.items():
            c[pair] = c.get(pair, 0) + k
    return total


class Soak:
    """The process's side of a soak: a Recorder per example, totals for steering, and (with
    POD_SOAK_DIR set) one JSON line per example in DIR/worker-PID.jsonl."""

    def __init__(self, out_dir: str | None = None):
        self.out_dir = out_dir if out_dir is not None else os.environ.get("POD_SOAK_DIR")
        self.seen: dict[str, Counter] = {FAULT_TABLE: Counter(), GESTURE_TABLE: Counter()}

    def example(self, rec: Recorder, sim_ms: int) -> None:
        for table, pairs in rec.coverage.items():
            self.seen.setdefault(table, Counter()).update(pairs)
        if not self.out_dir:
            return
        line = {"sim_ms": sim_ms, "margins": rec.margins,
                "coverage": {k: dict(v) for k, v in rec.coverage.items()},
                "worker": os.environ.get("PYTEST_XDIST_WORKER", "main")}
        os.makedirs(self.out_dir, exist_ok=True)
        with open(os.path.join(self.out_dir, "worker-%d.jsonl" % os.getpid()), "a") as f:
            f.write(json.dumps(line) + "\n")


# -- the merged report --------------------------------------------------------------------------
def collect(out_dir: Path, wall_s: float) -> dict:
    total: dict = {"examples": 0, "sim_ms": 0, "margins": {}, "coverage": {}}
    workers = set()
    for p in sorted(Path(out_dir).glob("worker-*.jsonl")):
        for line in p.read_text().splitlines():
            if not line.strip():
                continue
            one = json.loads(line)
            workers.add(one.get("worker", p.stem))
            merge_into(total, one)
    wall = max(wall_s, 1e-9)
    margins = {}
    for key in list(TRIGGERS) + sorted(k for k in total["margins"] if k not in TRIGGERS):
        m = total["margins"].get(key)
        margins[key] = ({"worst_ms": m["worst_ms"], "bound_ms": m["bound_ms"], "n": m["n"]}
                        if m else {"worst_ms": None, "bound_ms": None, "n": 0})
    return {
        "examples": total["examples"],
        "sim_hours": round(total["sim_ms"] / 3.6e6, 1),
        "wall_s": round(wall_s, 1),
        "workers": len(workers),
        "examples_per_s": round(total["examples"] / wall, 3),
        "margins": margins,
        "coverage": {t: dict(sorted(c.items())) for t, c in sorted(total["coverage"].items())},
    }


def _s(ms) -> str:
    return "-" if ms is None else "%.2f s" % (ms / 1000)


def markdown(rep: dict) -> str:
    out = ["# Fail-safe soak report", "",
           "%d examples (simulated nights, shrinking replays included), %.1f simulated hours, "
           "%.0f s wall on %d workers: %.2f examples/s (%.3f per worker)." % (
               rep["examples"], rep["sim_hours"], rep["wall_s"], rep["workers"],
               rep["examples_per_s"], rep["examples_per_s"] / max(1, rep["workers"])),
           "", "## Margins", "",
           "The worst case of each trigger is the one closest to its bound (each case's bound "
           "is the monitor's deadline for it: a hold time, a power cut's length and a fault "
           "deferred past a reboot all add to it).", "",
           "| trigger | bound | worst | of | slack | cases |", "|---|---|---|---|---|---|"]
    for key, m in rep["margins"].items():
        bound_words = TRIGGERS.get(key, (key, ""))[1]
        slack = (None if m["worst_ms"] is None or m["bound_ms"] is None
                 else m["bound_ms"] - m["worst_ms"])
        out.append("| %s | %s | %s | %s | %s | %d |" % (
            key, bound_words, _s(m["worst_ms"]), _s(m["bound_ms"]), _s(slack), m["n"]))
    never = [k for k, m in rep["margins"].items() if not m["n"]]
    if never:
        out += ["", "Never reached: %s." % ", ".join(never)]
    for table, pairs in rep["coverage"].items():
        seen_rows = {p.split("/", 1)[0] for p in pairs}
        rows = [r for r in STATES if r in seen_rows or r not in ("HUNG",)]
        rows += sorted(seen_rows - set(rows))
        cols = sorted({p.split("/", 1)[1] for p in pairs} | set(COLUMNS.get(table, ())))
        out += ["", "## Coverage: %s" % table, "",
                "| state | " + " | ".join(cols) + " |",
                "|---|" + "---|" * len(cols)]
        for r in rows:
            out.append("| %s | " % r + " | ".join(
                str(pairs.get("%s/%s" % (r, c), "")) or "." for c in cols) + " |")
    return "\n".join(out) + "\n"


def write(rep: dict, stem: Path) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(rep, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(rep))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("dir", type=Path, help="where the soak's workers wrote their records")
    when = ap.add_mutually_exclusive_group(required=True)
    when.add_argument("--wall", type=float, help="the soak's wall time, s")
    when.add_argument("--since", type=float, help="when the soak started (time.time()): "
                      "its wall time is from then to now")
    ap.add_argument("--out", type=Path, default=Path("build/soak-report"),
                    help="writes OUT.md and OUT.json (default build/soak-report)")
    a = ap.parse_args(argv)
    rep = collect(a.dir, a.wall if a.wall is not None else time.time() - a.since)
    write(rep, a.out)
    m = rep["margins"]
    print("soak: %d examples (simulated nights), %.0f simulated hours, %.0f s wall, %d workers, "
          "%.2f examples/s" % (rep["examples"], rep["sim_hours"], rep["wall_s"], rep["workers"],
                               rep["examples_per_s"]))
    for key, v in m.items():
        if v["n"]:
            print("  %-15s worst %s of %s, %d cases" % (key, _s(v["worst_ms"]), _s(v["bound_ms"]),
                                                       v["n"]))
        else:
            print("  %-15s never reached" % key)
    print("reports: %s, %s" % (a.out.with_suffix(".md"), a.out.with_suffix(".json")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
