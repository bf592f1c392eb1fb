"""`podctl flash` and `podctl deploy`, step by step: build, ask the pod for maintenance, copy,
remove stale files, verify, reset. The command lines each step runs come from host_tools.deploy;
--dry-run prints them instead.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from host_tools import deploy as dep
from host_tools.clikit import UsageError
from host_tools.commands import enter_maintenance, port_or_find
from host_tools.transport import (
    CommandFailed,
    NotAnswering,
    PodError,
    ProtocolMismatch,
    Transport,
)


def _run(cmd: list[str], capture: bool = False) -> subprocess.CompletedProcess:
    try:
        p = subprocess.run(cmd, capture_output=capture, text=True)
    except FileNotFoundError:
        raise PodError("%s is not installed: run `make venv`" % cmd[0]) from None
    if p.returncode != 0:
        detail = ((p.stderr or "") + (p.stdout or "")).strip().splitlines()[-3:] if capture else []
        raise PodError("this step failed (exit %d): %s%s" % (p.returncode, dep.show(cmd[:6]) + " ...",
                                                             "\n  " + "\n  ".join(detail) if detail else ""))
    return p


def cmd_flash(a: argparse.Namespace) -> int:
    if not Path(a.firmware).is_file():
        raise UsageError("no firmware file %s: download ESP32_GENERIC-*.bin from "
                         "https://micropython.org/download/ESP32_GENERIC/" % a.firmware)
    port = port_or_find(a)
    try:
        cmds = dep.flash_commands(port, a.firmware, a.chip)
    except ValueError as e:
        raise PodError(str(e)) from None
    if a.dry_run:
        for c in cmds:
            print(dep.show(c))
        return 0
    if not a.yes:
        _ask_before_erasing(a, port)
    for c in cmds:
        print("$ " + dep.show(c), flush=True)
        _run(c)
    print("flash: MicroPython is on the board. Next: `podctl deploy --port %s`" % port)
    return 0


def _dry_run_stale(port: str, names: list[str]) -> None:
    """Lists the board's firmware files (read-only) to show what a deploy would remove."""
    listing = dep.list_command(port)
    print(dep.show(listing))
    if port == "PORT":
        print("# stale files: give --port to list the pod's files")
        return
    try:
        on_pod = dep.parse_listing(_run(listing, capture=True).stdout or "")
    except PodError:
        print("# stale files: unknown, the pod's files can be listed only at a REPL: on a fresh "
              "board, or after `podctl maintenance` (then run this dry run again)")
        return
    stale = dep.stale_files(on_pod, names)
    if not stale:
        print("# stale files: none (%d firmware files on the pod)" % len(on_pod))
        return
    print("# stale files on the pod, removed after the copy: %s" % ", ".join(stale))
    print(dep.show(dep.remove_command(port, stale)))


def _ask_before_erasing(a: argparse.Namespace, port: str) -> None:
    """A board that answers as a pod with a night (or an alarm, or a wake) under way is not
    erased without a yes: on a person's terminal podctl asks, elsewhere it refuses."""
    try:
        with Transport.connect(port, timeout=min(a.timeout, 2.0)) as t:
            st = t.request("status", retries=0)
    except PodError:
        return  # no pod firmware answering (a new board, a bare REPL): nothing to lose
    state = st.get("state")
    if state in (None, "IDLE") or (state == "AWAKE" and st.get("reason") in ("button", "none")):
        return
    q = "the pod on %s is in %s (%s): a night may be under way. Erase it anyway?" % (
        port, state, st.get("reason"))
    if sys.stdin.isatty() and not a.json:
        if input("%s [y/N] " % q).strip().lower() in ("y", "yes"):
            return
    raise PodError("flash: not erasing: %s Give --yes to erase it all the same" % q.replace(
        " Erase it anyway?", ""))


def cmd_deploy(a: argparse.Namespace) -> int:
    port = port_or_find(a)
    build = Path(a.build)
    compile_cmds = dep.compile_commands(build)
    names = [str(dep.target_name(r)) for r in dep.firmware_files()]
    copy_cmds = dep.copy_commands(port, build)
    verify = dep.verify_command(port, names)
    reset = dep.reset_command(port)
    if a.dry_run:
        print("# build %s: compile firmware/pod/*.py, copy boot.py and main.py as they are" % build)
        for c in compile_cmds:
            print(dep.show(c))
        for n in dep.KEEP_SOURCE:
            print(dep.show(["cp", str(dep.FIRMWARE_DIR / n), str(build / n)]))
        print('# podctl: send {"cmd":"maintenance"} on %s and wait for the maintenance boot '
              "(no watchdog); skipped if the pod firmware does not answer (a fresh board)" % port)
        for c in copy_cmds:
            print(dep.show(c))
        _dry_run_stale(port, names)
        for c in [verify, reset]:
            print(dep.show(c))
        return 0
    if build.exists():
        shutil.rmtree(build)
    (build / "pod").mkdir(parents=True)
    for c in compile_cmds:
        _run(c, capture=True)
    for n in dep.KEEP_SOURCE:
        shutil.copy2(dep.FIRMWARE_DIR / n, build / n)
    print("deploy: compiled %d modules into %s" % (len(compile_cmds), build), flush=True)
    a.port = port
    try:
        enter_maintenance(a)
        print("deploy: the pod is in maintenance (no watchdog)", flush=True)
    except (NotAnswering, ProtocolMismatch):
        print("deploy: the pod firmware does not answer: assuming a plain MicroPython REPL "
              "(a freshly flashed board)", flush=True)
    except CommandFailed as e:
        raise PodError("the pod refused maintenance: %s. Deploy when no night or alarm is under "
                       "way (acknowledge or stop it first)" % e.pod_message) from None
    try:
        stale = dep.stale_files(dep.parse_listing(_run(dep.list_command(port), capture=True).stdout or ""),
                                names)
        for c in copy_cmds:
            _run(c)
        if stale:
            _run(dep.remove_command(port, stale))
            print("deploy: removed %d stale files: %s" % (len(stale), ", ".join(stale)), flush=True)
        p = _run(verify, capture=True)
    except PodError as e:
        raise PodError("%s\nThe pod is still in maintenance (no watchdog, the pod firmware not "
                       "running; it resets itself within 10 minutes): run `podctl deploy` again, "
                       "or press EN to go back to what it had" % e) from None
    want = dep.local_hashes(build, names)
    sums = dep.parse_sums(p.stdout or "")
    got = dict(zip(names, sums)) if len(sums) == len(names) else {}
    bad = [n for n in names if got.get(n) != want[n]]
    if bad:
        raise PodError("verification failed, these files differ on the pod: %s. Run deploy again"
                       % ", ".join(bad))
    print("deploy: %d files verified (SHA-256)" % len(names), flush=True)
    _run(reset)
    print("deploy: done, the pod restarted. Watch it with `podctl monitor`")
    return 0
