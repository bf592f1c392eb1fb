"""pod-sim: run the pod's firmware on a simulated board.

Times: @HH:MM (in --fault and --zoom) is a clock time, as every time pod-sim prints and as
--sleeper light@06:25; @+HH:MM is the time since the night started. Example, a night from
22:30: --fault hang@03:00 and --fault hang@+04:30 are the same moment."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from host_tools import clikit
from host_tools.clikit import UsageError
from simulator.night import (
    SLEEPERS,
    NightSpec,
    describe_when,
    night_end_ms,
    parse_clock,
    parse_duration,
    parse_fault,
    parse_sleeper,
    parse_when,
    result_json,
    run_night,
    wake_cap_note,
    wake_window_ms,
)
from simulator.sandbox import firmware_module


def _load_program(path: str | None) -> dict | None:
    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise UsageError("cannot read program %s: %s" % (path, e.strerror)) from None
    except ValueError as e:
        raise UsageError("%s is not valid JSON: %s" % (path, e)) from None
    errs = firmware_module("pod.program").validate(data)
    if errs:
        raise UsageError("%s is not a valid sleep program:\n  %s" % (path, "\n  ".join(errs)))
    return data


def clock_arg(text: str) -> str:
    """--start: a clock time HH:MM, 00:00 to 23:59."""
    try:
        parse_clock(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a clock time HH:MM (00:00 to 23:59)" % text) from None
    if len(text.split(":")) != 2:
        raise argparse.ArgumentTypeError("%r: give HH:MM" % text)
    return "%02d:%02d" % tuple(int(x) for x in text.split(":"))


def _check_plot_path(path: str) -> None:
    """--plot: its folder must exist, and matplotlib must write its extension."""
    p = Path(path)
    if not p.parent.is_dir():
        raise UsageError("--plot %s: no folder %s" % (path, p.parent))
    from matplotlib.backend_bases import FigureCanvasBase
    kinds = FigureCanvasBase.get_supported_filetypes()
    ext = p.suffix.lower().lstrip(".")
    if ext not in kinds:
        raise UsageError("--plot %s: matplotlib cannot write %s; use one of %s" % (
            path, "a file without an extension" if not ext else "." + ext,
            ", ".join("." + k for k in sorted(kinds))))


def cmd_night(a: argparse.Namespace) -> int:
    try:
        faults = [parse_fault(f, a.start) for f in a.fault]
        duration = parse_duration(a.duration)
        parse_sleeper(a.sleeper, a.start)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if a.plot:
        _check_plot_path(a.plot)
    spec = NightSpec(program=_load_program(a.program), start_clock=a.start, seed=a.seed,
                     faults=faults, duration_ms=duration, get_up=not a.stay_in_bed,
                     sleeper=a.sleeper, answer_then_sleep=a.answer_then_sleep)
    end = night_end_ms(spec)
    end_clock = describe_when(end, a.start)[0]
    for text, f in zip(a.fault, faults):
        if f.at_ms > end:
            raise UsageError("fault %r comes at %s, %s: after the night ends (%s, %s)" % (
                (text,) + describe_when(f.at_ms, a.start) + (end_clock, describe_when(end, a.start)[1])))
    zoom = None
    if a.zoom:
        lo, sep, hi = a.zoom.partition("-")
        try:
            if not sep:
                raise ValueError("expected HH:MM-HH:MM (clock times) or +HH:MM-+HH:MM")
            zoom = (parse_when(lo, a.start), parse_when(hi, a.start))
        except ValueError as e:
            raise UsageError("--zoom %s: %s" % (a.zoom, e)) from None
        if zoom[0] >= zoom[1]:
            raise UsageError("--zoom %s: the end comes before the start (%s, then %s)" % (
                a.zoom, describe_when(zoom[0], a.start)[0], describe_when(zoom[1], a.start)[0]))
        if zoom[1] > end:
            raise UsageError("--zoom %s: ends after the night does (%s to %s)" % (
                a.zoom, a.start, end_clock))
        if not a.plot:
            raise UsageError("--zoom pictures part of the night: give --plot too")
    t0 = time.perf_counter()
    # the flash folder is ours, so a Ctrl-C mid-night removes it without a word
    with tempfile.TemporaryDirectory(prefix="pod-sim-", ignore_cleanup_errors=True) as wd:
        res, pod = run_night(spec, Path(wd))
        pod.close()
    wall = time.perf_counter() - t0
    DEFAULT = firmware_module("pod.program").DEFAULT
    name = (spec.program or DEFAULT).get("name", "")
    capped = wake_cap_note(spec.program or DEFAULT, spec.start_clock)
    if a.json:
        out = result_json(res, name)
        out["wall_s"] = round(wall, 3)
        out["wake_moved_by_cap"] = capped
        print(json.dumps(out))
    else:
        from simulator.timeline import format_timeline, summary
        print(format_timeline(res))
        print()
        print(summary(res))
        if capped:
            print("note: %s" % capped)
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
    from simulator.live import SPEEDS, LiveView, run
    try:
        parse_sleeper(a.sleeper, a.start)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if a.speed not in SPEEDS:
        raise UsageError("--speed %s: the live view runs at %s times real time" % (
            a.speed, ", ".join(map(str, SPEEDS))))
    view = LiveView(_load_program(a.program), start_clock=a.start, seed=a.seed, speed=a.speed,
                    sleeper=a.sleeper, start_night=not a.idle)
    return run(view)


def cmd_hr(a: argparse.Namespace) -> int:
    from simulator.hrcsv import read_csv, run_csv
    try:
        read_csv(a.csv)  # every line checked before any work
    except ValueError as e:
        raise UsageError(str(e)) from None
    return run_csv(a.csv, sys.stdout, sys.stderr)


def cmd_serve(a: argparse.Namespace) -> int:
    from simulator.serve import serve
    if a.link and not Path(a.link).parent.is_dir():
        raise UsageError("--link %s: no folder %s" % (a.link, Path(a.link).parent))
    if a.speed <= 0:
        raise UsageError("--speed %s: give a number above 0" % a.speed)
    try:
        faults = [parse_fault(f, a.start) for f in a.fault]
    except ValueError as e:
        raise UsageError(str(e)) from None
    pod_id = None
    if a.pod_id is not None:
        try:
            pod_id = bytes.fromhex(a.pod_id)
        except ValueError:
            pod_id = b""
        if len(pod_id) != 6:
            raise UsageError("--pod-id %s: give 12 hex digits, e.g. 240ac45eb002" % a.pod_id)
    return serve(speed=a.speed, link=a.link, program=_load_program(a.program), start=a.start,
                 seed=a.seed, workdir=a.workdir, echo=a.echo, faults=faults, pod_id=pod_id)


def main(argv: list[str] | None = None) -> int:
    p = clikit.Parser(prog="pod-sim", description=__doc__, epilog=clikit.EXIT_RULE,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    clikit.add_version(p)
    sub = p.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("night", help="simulate a whole night of a sleep program")
    n.add_argument("--program", help="a sleep program JSON file (default: the built-in one)")
    n.add_argument("--start", default="22:30", type=clock_arg,
                   help="clock time the night starts (HH:MM)")
    n.add_argument("--seed", type=int, default=1, help="seed of the simulated sleeper")
    n.add_argument("--fault", action="append", default=[], metavar="KIND[:ARG]@[+]HH:MM[:SS]",
                   help="inject a fault at a clock time (@03:00) or a time since the night "
                   "started (@+04:30); repeatable")
    n.add_argument("--duration", help="how long to simulate (HH:MM[:SS]); default: until "
                   "shortly after the sleeper gets up (with --stay-in-bed: until shortly after "
                   "the wake's answer window)")
    n.add_argument("--stay-in-bed", action="store_true",
                   help="the sleeper never presses the button to switch off after waking")
    n.add_argument("--answer-then-sleep", action="store_true",
                   help="the sleeper taps the morning wake a minute after it calls, then stays "
                   "in the pod asleep (see wake.check_min)")
    n.add_argument("--sleeper", default="default", metavar="PROFILE",
                   help="the simulated sleeper's heart-rate profile: %s" % SLEEPERS)
    n.add_argument("--zoom", metavar="HH:MM-HH:MM", help="picture only this part of the night "
                   "(clock times, or +HH:MM since the start, like --fault)")
    n.add_argument("--json", action="store_true", help="print one JSON object, not a timeline")
    n.add_argument("--plot", metavar="PNG", help="write a picture of the night")
    n.set_defaults(fn=cmd_night)
    r = sub.add_parser("run", help="the simulated pod live in the terminal, with keys")
    r.add_argument("--program", help="a sleep program JSON file (default: the built-in one)")
    r.add_argument("--start", default="22:30", type=clock_arg,
                   help="clock time the simulation starts (HH:MM)")
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
    v.add_argument("--start", default="22:30", type=clock_arg,
                   help="the pod's clock at start (HH:MM)")
    v.add_argument("--seed", type=int, default=1, help="seed of the simulated sleeper")
    v.add_argument("--workdir", metavar="DIR", help="keep the pod's flash in this folder "
                   "(default: a temporary one)")
    v.add_argument("--echo", action="store_true", help="also print the pod's output to stderr")
    v.add_argument("--pod-id", metavar="HEX", help="the pod's unique id, 12 hex digits (its "
                   "base MAC; default 240ac45eb001): several served pods to pair in a household")
    v.add_argument("--fault", action="append", default=[], metavar="KIND[:ARG]@[+]HH:MM[:SS]",
                   help="inject a fault at a clock time or since the start (repeatable)")
    v.set_defaults(fn=cmd_serve)
    from simulator.familycli import add_parser as add_family
    add_family(sub, clock_arg)
    def body() -> int:
        a = p.parse_args(argv)
        return a.fn(a)
    return clikit.run("pod-sim", body)


if __name__ == "__main__":
    sys.exit(main())
