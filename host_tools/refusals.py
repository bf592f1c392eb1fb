"""Why the pod refused a command, in words a person can act on.

The pod sends only a number (`"reason"` in a refused reply); the numbers are the firmware's own
REF_* constants in firmware/pod/reasons.py, read from that file here (never copied), and the
words live here. A new refusal on the pod is a new REF_* number there and its words below;
tests/test_refusals.py fails until both exist.
"""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from host_tools import FIRMWARE_DIR

REASONS_FILE = FIRMWARE_DIR / "pod" / "reasons.py"

# The words for each REF_* name. {cmd} is the refused command.
WORDS = {
    "REF_OK": "no refusal",
    "REF_ALARM": "a fail-safe alarm is sounding, and only an acknowledgement ends it: "
                 "`podctl ack`, or hold the pod's button for 2 s",
    "REF_NO_ALARM": "there is no alarm to acknowledge",
    "REF_NIGHT": "a night is under way: {cmd} only when the pod is idle (`podctl stop` ends the night)",
    "REF_WAKE_CALLING": "a wake is still calling the sleeper, and only a person's answer ends "
                        "it: a tap on the pod, or `podctl ack`",
    "REF_NO_CLOCK": "the pod's clock is not set, and its program wakes at a time of day: "
                    "set the clock first (`podctl time sync`), then {cmd} again",
    "REF_NO_HOUSEHOLD": "this pod is in no household: pair it first (`podctl pair`, used from "
                        "its next boot); `podctl household status` says why a paired pod runs alone",
    "REF_NOT_PARENT": "only a parent's pod can do that, and this one is a child's "
                      "(`podctl household status` shows its role)",
}
# Where a command gives the same reason better words of its own.
CMD_WORDS = {
    ("start", "REF_NIGHT"): "a night is already under way (`podctl stop` ends it first)",
}


@cache
def firmware_table(path: Path = REASONS_FILE, prefix: str = "REF_") -> dict[int, str]:
    """{number: name} of every `NAME = const(N)` in the firmware file whose name starts with
    prefix, read from its syntax tree (the firmware is MicroPython: nothing of it runs here)."""
    table: dict[int, str] = {}
    for node in ast.parse(path.read_text()).body:
        # (a leading underscore, `_REF_X`, is a refusal no other firmware module imports: a
        # private const takes no heap on the pod; its name here is REF_X all the same)
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id.lstrip("_").startswith(prefix)
                and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
                and node.value.func.id == "const" and len(node.value.args) == 1
                and isinstance(node.value.args[0], ast.Constant)
                and isinstance(node.value.args[0].value, int)):
            table[node.value.args[0].value] = node.targets[0].id.lstrip("_")
    return table


def code_of(name: str) -> int:
    """The firmware's number for a REF_* name."""
    for n, nm in firmware_table().items():
        if nm == name:
            return n
    raise KeyError(name)


def words(reason: object, cmd: str) -> str:
    """Why `cmd` was refused, from the reply's reason number."""
    name = firmware_table().get(reason) if isinstance(reason, int) else None
    if name is None:
        return ("refused for a reason this podctl does not know (number %r): update podctl "
                "(git pull; make venv)" % (reason,))
    text = CMD_WORDS.get((cmd, name)) or WORDS.get(name) or name
    return text.format(cmd=cmd)
