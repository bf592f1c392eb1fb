"""`pod-sim family`: a household's night, several pods on one simulated air (simulator/family.py)."""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from host_tools.clikit import UsageError


def add_parser(sub, clock_arg) -> None:
    f = sub.add_parser("family", help="simulate a household's night: several pods on one radio")
    f.add_argument("--pods", default="parent:parent,kid1:child,kid2:child",
                   metavar="NAME:ROLE,...", help="the pods and their roles (parent or child)")
    f.add_argument("--program", action="append", default=[], metavar="NAME=FILE",
                   help="a pod's own sleep program (repeatable; default: the built-in one)")
    f.add_argument("--fault", action="append", default=[], metavar="NAME:KIND[:ARG]@[+]HH:MM[:SS]",
                   help="inject a fault of pod-sim night into one pod (repeatable)")
    f.add_argument("--ask", action="append", default=[],
                   metavar="NAME:{wake_all,bedtime[:MIN],ack}@[+]HH:MM[:SS]",
                   help="a host's request on one pod's serial link: the household's wake_all or "
                   "bedtime (MIN 0..240), or ack (repeatable)")
    f.add_argument("--press", action="append", default=[], metavar="NAME:N@[+]HH:MM[:SS]",
                   help="N quick taps on one pod's button, 0.5 s apart (4 on a parent's pod "
                   "from off: wake everyone) (repeatable)")
    f.add_argument("--radio", action="append", default=[], metavar="KIND@FROM-TO",
                   help="loss:PCT@FROM-TO, down@FROM-TO or hostile@FROM-TO (repeatable)")
    f.add_argument("--start", default="22:30", type=clock_arg,
                   help="clock time the night starts (default 22:30)")
    f.add_argument("--seed", type=int, default=1, help="seed of the sleepers and the air")
    f.add_argument("--duration", help="how long to simulate (HH:MM[:SS]); default: until "
                   "every pod's morning is over")
    f.add_argument("--alone", action="store_true",
                   help="the same pods with no household (to compare)")
    f.add_argument("--json", action="store_true", help="print one JSON object, not timelines")
    f.add_argument("--plot", metavar="PNG", help="write one picture: a lane per pod, relays marked")
    f.set_defaults(fn=cmd_family)


def cmd_family(a: argparse.Namespace) -> int:
    from simulator import family
    from simulator.cli import _check_plot_path, _load_program
    from simulator.night import parse_duration, parse_fault
    try:
        pods = family.parse_pods(a.pods)
        radio = [family.parse_radio(r, a.start) for r in a.radio]
        duration = parse_duration(a.duration)
    except ValueError as e:
        raise UsageError(str(e)) from None
    byname = {p.name: p for p in pods}
    for text in a.program:
        name, sep, path = text.partition("=")
        if not sep or name not in byname:
            raise UsageError("--program %r: expected NAME=FILE with NAME one of %s"
                             % (text, ", ".join(byname)))
        byname[name].program = _load_program(path)
    for flag, texts, form, parse, into in (
            ("--fault", a.fault, "KIND[:ARG]@TIME", parse_fault, "faults"),
            ("--ask", a.ask, "WHAT[:ARG]@TIME", family.parse_ask, "asks"),
            ("--press", a.press, "N@TIME", family.parse_press, "presses")):
        for text in texts:  # NAME:REST, REST as the parser takes it (times as --fault's)
            name, sep, rest = text.partition(":")
            if not sep or name not in byname:
                raise UsageError("%s %r: expected NAME:%s with NAME one of %s"
                                 % (flag, text, form, ", ".join(byname)))
            try:
                getattr(byname[name], into).append(parse(rest, a.start))
            except ValueError as e:
                raise UsageError("%s %s: %s" % (flag, name, e)) from None
    if a.plot:
        _check_plot_path(a.plot)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pod-sim-family-", ignore_cleanup_errors=True) as wd:
        fam = family.Family(pods, radio, start_clock=a.start, seed=a.seed,
                            household=not a.alone, workdir=Path(wd))
        fr = fam.run(duration)
    wall = time.perf_counter() - t0
    if a.json:
        out = family.result_json(fr)
        out["wall_s"] = round(wall, 3)
        print(json.dumps(out))
    else:
        print(family.format_family(fr))
        print("\nSimulated %d pods for %.1f h in %.1f s of wall time." % (
            len(pods), max(r.duration_ms for r in fr.pods.values()) / 3.6e6, wall))
    if a.plot:
        family.plot_family(fr, a.plot)
        if not a.json:
            print("Picture of the night: %s" % a.plot)
    return 0
