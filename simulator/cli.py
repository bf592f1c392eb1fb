"""pod-sim: run the pod's firmware on a simulated board."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from simulator.night import (
    SLEEPERS,
    NightSpec,
    parse_fault,
    parse_offset,
    parse_sleeper,
    result_json,
    run_night,
    wake_window_ms,
)
from simulator.sim import firmware_module


def _load_program(path: str | None) -> dict | None:
    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise SystemExit("pod-sim: cannot read program %s: %s" % (path, e.strerror)) from None
    except ValueError as e:
        raise SystemExit("pod-sim: %s is not valid JSON: %s" % (path, e)) from None
    errs = firmware_module("pod.program").validate(data)
    if errs:
        raise SystemExit("pod-sim: %s is not a valid sleep program:\n  %s" % (path, "\n  ".join(errs)))
    return data


def cmd_night(a: argparse.Namespace) -> int:
    try:
        faults = [parse_fault(f) for f in a.fault]
        duration = parse_offset(a.duration) if a.duration else None
        parse_sleeper(a.sleeper, a.start)
        zoom = None
        if a.zoom:
            lo, sep, hi = a.zoom.partition("-")
            if not sep:
                raise ValueError("--zoom %r: expected HH:MM-HH:MM" % a.zoom)
            zoom = (parse_offset(lo), parse_offset(hi))
    except ValueError as e:
        print("pod-sim: %s" % e, file=sys.stderr)
        return 2
    spec = NightSpec(program=_load_program(a.program), start_clock=a.start, seed=a.seed,
                     faults=faults, duration_ms=duration, get_up=not a.stay_in_bed,
                     sleeper=a.sleeper)
    t0 = time.perf_counter()
    res, _pod = run_night(spec)
    wall = time.perf_counter() - t0
    DEFAULT = firmware_module("pod.program").DEFAULT
    name = (spec.program or DEFAULT).get("name", "")
    if a.json:
        out = result_json(res, name)
        out["wall_s"] = round(wall, 3)
        print(json.dumps(out))
    else:
        from simulator.timeline import format_timeline, summary
        print(format_timeline(res))
        print()
        print(summary(res))
        print("\nSimulated %.1f h in %.1f s of wall time (%.0fx real time)." % (
            res.duration_ms / 3.6e6, wall, res.duration_ms / 1000 / max(wall, 1e-9)))
    if a.plot:
        from simulator.plot import plot_night
        plan = firmware_module("pod.program").load(spec.program or DEFAULT)
        plot_night(res, a.plot, title="bedtime-pod: %s" % name,
                   window=wake_window_ms(spec.program or DEFAULT, spec.start_clock),
                   hr_band=(plan.hr_low, plan.hr_high), zoom=zoom)
        if not a.json:
            print("Picture of the night: %s" % a.plot)
    return 0


def cmd_run(a: argparse.Namespace) -> int:
    from simulator.live import LiveView, run
    try:
        parse_sleeper(a.sleeper, a.start)
    except ValueError as e:
        print("pod-sim: %s" % e, file=sys.stderr)
        return 2
    view = LiveView(_load_program(a.program), start_clock=a.start, seed=a.seed, speed=a.speed,
                    sleeper=a.sleeper, start_night=not a.idle)
    return run(view)


def cmd_hr(a: argparse.Namespace) -> int:
    from simulator.hrcsv import run_csv
    return run_csv(a.csv, sys.stdout)


def cmd_serve(a: argparse.Namespace) -> int:
    from simulator.serve import serve
    return serve(speed=a.speed, link=a.link, program=_load_program(a.program), start=a.start,
                 seed=a.seed, workdir=a.workdir, echo=a.echo)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="pod-sim", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("night", help="simulate a whole night of a sleep program")
    n.add_argument("--program", help="a sleep program JSON file (default: the built-in one)")
    n.add_argument("--start", default="22:30", help="clock time the night starts (HH:MM)")
    n.add_argument("--seed", type=int, default=1, help="seed of the simulated sleeper")
    n.add_argument("--fault", action="append", default=[], metavar="KIND[:ARG]@HH:MM[:SS]",
                   help="inject a fault at a time since the night started (repeatable)")
    n.add_argument("--duration", help="how long to simulate (HH:MM[:SS]); default: until "
                   "shortly after the sleeper gets up")
    n.add_argument("--stay-in-bed", action="store_true",
                   help="the sleeper never presses the button to switch off after waking")
    n.add_argument("--sleeper", default="default", metavar="PROFILE",
                   help="the simulated sleeper's heart-rate profile: %s" % SLEEPERS)
    n.add_argument("--zoom", metavar="HH:MM-HH:MM", help="picture only this part of the night "
                   "(times since it started, like --fault)")
    n.add_argument("--json", action="store_true", help="print one JSON object, not a timeline")
    n.add_argument("--plot", metavar="PNG", help="write a picture of the night")
    n.set_defaults(fn=cmd_night)
    r = sub.add_parser("run", help="the simulated pod live in the terminal, with keys")
    r.add_argument("--program", help="a sleep program JSON file (default: the built-in one)")
    r.add_argument("--start", default="22:30", help="clock time the simulation starts (HH:MM)")
    r.add_argument("--seed", type=int, default=1, help="seed of the simulated sleeper")
    r.add_argument("--speed", type=int, default=60, help="simulated seconds per wall second "
                   "(1, 10, 60, 300, 1000, 3000, 10000; < and > change it while running)")
    r.add_argument("--sleeper", default="default", metavar="PROFILE",
                   help="the simulated sleeper's heart-rate profile: %s" % SLEEPERS)
    r.add_argument("--idle", action="store_true",
                   help="do not start the night: the pod waits for a hold (key h)")
    r.set_defaults(fn=cmd_run)
    h = sub.add_parser("hr", help="run the firmware's heart-rate estimator on a CSV recording")
    h.add_argument("csv", help="CSV with header t_ms,ir,red")
    h.set_defaults(fn=cmd_hr)
    v = sub.add_parser("serve", help="run the simulated pod in real time, its serial link on a pseudo-terminal")
    v.add_argument("--speed", type=float, default=1.0, help="times real time (default 1)")
    v.add_argument("--link", metavar="PATH", help="also place a symlink to the port here")
    v.add_argument("--program", help="a sleep program JSON file stored on the pod at start")
    v.add_argument("--start", default="22:30", help="the pod's clock at start (HH:MM)")
    v.add_argument("--seed", type=int, default=1, help="seed of the simulated sleeper")
    v.add_argument("--workdir", metavar="DIR", help="keep the pod's flash in this folder "
                   "(default: a temporary one)")
    v.add_argument("--echo", action="store_true", help="also print the pod's output to stderr")
    v.set_defaults(fn=cmd_serve)
    a = p.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
