"""What podctl and pod-sim share as command-line tools: one exit-code rule, one-line errors,
--version, and a quiet end on a closed pipe or Ctrl-C."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib import metadata

EXIT_OK = 0        # it worked
EXIT_FAILED = 1    # it failed, or the pod refused (the reason is given)
EXIT_USAGE = 2     # the command line is wrong: nothing was done
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_RULE = ("exit status: 0 success; 1 a failure or a refusal (the reason is printed); "
             "2 usage: a wrong option, value or file on the command line, nothing done; "
             "130 interrupted (Ctrl-C)")


class UsageError(Exception):
    """A wrong command line: one line on stderr, exit status 2, nothing done."""


def version() -> str:
    try:
        return metadata.version("bedtime-pod")
    except metadata.PackageNotFoundError:
        return "unknown"


class Parser(argparse.ArgumentParser):
    """argparse whose errors are a UsageError: one line (no usage block), exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError("%s (see %s --help)" % (message, self.prog))


def add_version(p: argparse.ArgumentParser) -> None:
    p.add_argument("--version", action="version", version="%s %s" % (p.prog, version()))


def run(tool: str, body: Callable[[], int]) -> int:
    """Run a tool's main body: a UsageError is one line and exit status 2; a closed pipe
    (`| head`) and Ctrl-C end quietly."""
    try:
        try:
            rc = body()
        except SystemExit:  # argparse's --help, --version and usage errors: flushed here too
            sys.stdout.flush()
            raise
        sys.stdout.flush()
        return rc
    except UsageError as e:
        print("%s: %s" % (tool, e), file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        _quiet_stdout()
        return EXIT_INTERRUPTED


def _quiet_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so Python's exit flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
