"""podctl: flash, deploy, watch and command a bedtime pod over its USB serial port.

Works the same against a real pod and against `pod-sim serve` (give --port the path it prints).
When the pod refuses a command, podctl says why.
"""
from __future__ import annotations

import argparse
import json
import sys

from host_tools import clikit
from host_tools import deploy as dep
from host_tools.clikit import UsageError
from host_tools.commands import (
    cmd_config_get,
    cmd_config_set,
    cmd_logs_pull,
    cmd_maintenance,
    cmd_ports,
    cmd_program_check,
    cmd_program_info,
    cmd_program_pull,
    cmd_program_push,
    cmd_reset,
    cmd_status,
    cmd_time,
    core_cmd,
)
from host_tools.deploy_run import cmd_deploy, cmd_flash
from host_tools.monitor_view import cmd_monitor
from host_tools.transport import CommandFailed, PodError, ValidationFailed


def _err(msg: str) -> None:
    print("podctl: %s" % msg, file=sys.stderr)


# -- main -----------------------------------------------------------------------------------
def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of seconds" % text) from None
    if not 0 < v <= 3600:
        raise argparse.ArgumentTypeError("%s: give a number of seconds above 0 (at most 3600)" % text)
    return v


def build_parser() -> argparse.ArgumentParser:
    p = clikit.Parser(prog="podctl", description=__doc__, epilog=clikit.EXIT_RULE,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    clikit.add_version(p)
    p.add_argument("--port", help="serial port (default: $PODCTL_PORT, else the one likely pod)")
    p.add_argument("--timeout", type=_seconds, default=3.0, help="seconds to wait for each reply (default 3)")
    p.add_argument("--json", action="store_true", help="print replies, and errors, as JSON")
    sub = p.add_subparsers(dest="cmd", required=True)

    common = clikit.Parser(add_help=False)  # the same options after the command
    common.add_argument("--port", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--timeout", type=_seconds, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    def add(name, fn, help, parent=None):
        s = (parent or sub).add_parser(name, help=help, parents=[common])
        s.set_defaults(fn=fn)
        return s

    add("ports", cmd_ports, "list serial ports, pointing out likely pods")
    add("status", cmd_status, "the pod's state, lights, sound and heart rate")
    add("wake", core_cmd("wake"), "wake the pod now (lights up; a sunrise is skipped)")
    add("ack", core_cmd("ack"), "acknowledge a fail-safe alarm")
    add("start", core_cmd("start"), "start the night's program")
    add("stop", core_cmd("stop"), "stop (switch off)")
    add("reset", cmd_reset, "restart the pod (refused during a night, an alarm or a sounding wake)")
    add("maintenance", cmd_maintenance, "reboot once into a plain REPL without the watchdog")
    tm = add("time", cmd_time, "the pod's clock")
    tm.add_argument("op", choices=("sync", "get"), help="sync: set it to this computer's local time")
    m = add("monitor", cmd_monitor, "live view of the pod's telemetry")
    m.add_argument("--seconds", type=float, help="stop after this long (default: until Ctrl-C)")
    m.add_argument("--plain", action="store_true", help="one line per message, no live view")
    pr = sub.add_parser("program", help="sleep programs: check, push, pull")
    prs = pr.add_subparsers(dest="op", required=True)
    c = prs.add_parser("check", parents=[common], help="validate a program file with the firmware's rules")
    c.add_argument("file")
    c.set_defaults(fn=cmd_program_check)
    c = prs.add_parser("push", parents=[common], help="check, then upload a program (used from the next night)")
    c.add_argument("file")
    c.set_defaults(fn=cmd_program_push)
    c = prs.add_parser("info", parents=[common], help="the pod's program: name, size, and its "
                       "source (the file, the previous one, or the built-in default)")
    c.set_defaults(fn=cmd_program_info)
    c = prs.add_parser("pull", parents=[common], help="read the pod's program")
    c.add_argument("--out", help="write it to this file (default: print it)")
    c.set_defaults(fn=cmd_program_pull)
    lg = sub.add_parser("logs", help="the pod's journal")
    lgs = lg.add_subparsers(dest="op", required=True)
    c = lgs.add_parser("pull", parents=[common], help="copy the journal files and decode them")
    c.add_argument("--out", required=True, help="folder for the files")
    c.set_defaults(fn=cmd_logs_pull)
    cf = sub.add_parser("config", help="the pod's settings: get, set KEY=VALUE ...")
    cfs = cf.add_subparsers(dest="op", required=True)
    c = cfs.add_parser("get", parents=[common], help="print the pod's settings")
    c.set_defaults(fn=cmd_config_get)
    c = cfs.add_parser("set", parents=[common], help="change settings, e.g. wake_level=650 "
                       "(pod_name, wake_level 300..1000, cap_min 60..720, hr_low, hr_high)")
    c.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    c.set_defaults(fn=cmd_config_set)
    from host_tools.pair import add_parser as add_pair
    add_pair(sub, common)
    from host_tools.household import add_parser as add_household
    add_household(sub, common)
    d = add("deploy", cmd_deploy, "compile firmware/ and copy it to the pod with mpremote")
    d.add_argument("--dry-run", action="store_true",
                   help="print the commands; only lists the pod's files (read-only) to show the "
                   "stale ones a deploy would remove")
    d.add_argument("--build", default="build/deploy", help="build folder (default build/deploy)")
    f = add("flash", cmd_flash, "erase the board and write MicroPython with esptool")
    f.add_argument("--firmware", required=True, metavar="FILE.bin")
    f.add_argument("--chip", default="esp32", choices=sorted(dep.FLASH_OFFSETS))
    f.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    f.add_argument("--yes", action="store_true", help="erase even a pod with a night under way")
    return p


def _fail(a: argparse.Namespace, e: Exception, rc: int) -> int:
    """One error: a line on stderr; with --json also an object on stdout."""
    _err(str(e))
    if getattr(a, "json", False):
        err: dict = {"kind": type(e).__name__, "message": str(e), "exit": rc}
        if isinstance(e, CommandFailed):
            err.update(code=e.code, reason=e.reason, pod_message=e.pod_message)
        if isinstance(e, ValidationFailed):
            err["errors"] = e.errors
        print(json.dumps({"ok": False, "error": err}))
    return rc


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    a = argparse.Namespace(json="--json" in args)

    def body() -> int:
        nonlocal a
        try:
            a = build_parser().parse_args(args)
            return a.fn(a)
        except UsageError as e:
            return _fail(a, e, clikit.EXIT_USAGE)
        except PodError as e:  # ValidationFailed, CommandFailed (refusals) included
            return _fail(a, e, clikit.EXIT_FAILED)
    return clikit.run("podctl", body)


if __name__ == "__main__":
    sys.exit(main())
