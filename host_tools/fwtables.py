"""The firmware's own tables, read from its source on the host.

The host names what the pod writes (states, wake reasons, reset causes, program sources,
journal record types) with the firmware's tables, not with copies that drift. The firmware
cannot be imported here (it needs `machine` and `micropython`), and importing the simulator to
get them would start a board; so each table is read from the module's source with `ast`, as a
literal: a tuple of names, a dict of names, or a group of `NAME = const(N)` lines.

Every reader fails loudly (FirmwareTableError) when the firmware no longer has the table in the
expected shape, so a rename in firmware/ breaks a test instead of the host's words.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

FIRMWARE_DIR = Path(__file__).resolve().parent.parent / "firmware"


class FirmwareTableError(RuntimeError):
    """The firmware source does not hold the table the host looks for."""


@lru_cache(maxsize=None)
def _assignments(module: str) -> dict[str, ast.expr]:
    """Module-level `NAME = value` of firmware/pod/<module>.py, by name ("link" is
    firmware/pod/link/__init__.py; "link" the package, firmware/pod/link/__init__.py)."""
    path = FIRMWARE_DIR / "pod" / (module.replace(".", "/") + ".py")
    if not path.exists() and (path.with_suffix("") / "__init__.py").exists():
        path = path.with_suffix("") / "__init__.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except OSError as e:
        raise FirmwareTableError("cannot read %s: %s" % (path, e)) from None
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found[target.id] = node.value
    return found


def _value(module: str, name: str) -> object:
    node = _assignments(module).get(name)
    if node is None:
        raise FirmwareTableError("firmware/pod/%s.py has no %s" % (module, name))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "const"
            and len(node.args) == 1):
        node = node.args[0]
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise FirmwareTableError("firmware/pod/%s.py: %s is not a literal" % (module, name)) from None


def names(module: str, name: str) -> tuple[str, ...]:
    """A tuple of names indexed by code, e.g. names("core", "STATE_NAMES")."""
    v = _value(module, name)
    if not isinstance(v, tuple) or not all(isinstance(x, str) for x in v):
        raise FirmwareTableError("firmware/pod/%s.py: %s is not a tuple of names" % (module, name))
    return v


def named_codes(module: str, name: str) -> dict[int, str]:
    """A dict {code: name}, e.g. named_codes("app", "RESET_NAMES")."""
    v = _value(module, name)
    if not isinstance(v, dict) or not all(isinstance(k, int) and isinstance(x, str)
                                          for k, x in v.items()):
        raise FirmwareTableError("firmware/pod/%s.py: %s is not a dict of codes" % (module, name))
    return v


def consts(module: str, prefix: str) -> dict[str, int]:
    """{NAME: value} of every `NAME = const(N)` in the module whose name starts with prefix."""
    out: dict[str, int] = {}
    for n in _assignments(module):
        if n.startswith(prefix):
            v = _value(module, n)
            if isinstance(v, int):
                out[n] = v
    if not out:
        raise FirmwareTableError("firmware/pod/%s.py has no %s* constants" % (module, prefix))
    return out


def states() -> tuple[str, ...]:
    return names("core", "STATE_NAMES")


def reasons() -> tuple[str, ...]:
    """Wake reasons by code, lower case as the pod prints them."""
    return names("reasons", "REASON_NAMES")


def reset_causes() -> dict[int, str]:
    """machine.reset_cause() values on the ESP32, as the pod journals and names them."""
    return named_codes("app", "RESET_NAMES")


def program_sources() -> tuple[str, ...]:
    """Where the running program came from: file, previous or default."""
    return names("file_spec", "SOURCES")


def journal_types() -> dict[int, str]:
    """Journal record types by code: _T_BOOT = 1 -> "boot"."""
    return {v: n[3:].lower() for n, v in consts("journal", "_T_").items()}


def answer_hows() -> tuple[str, ...]:
    """How a person answered a wake, by the code the core gives it (0: none): _HOW_TAP = 1 ->
    "tap"."""
    codes = {v: n[5:].lower() for n, v in consts("core", "_HOW_").items()}
    if sorted(codes) != list(range(1, len(codes) + 1)):
        raise FirmwareTableError("firmware/pod/core.py: the _HOW_* codes are not 1..n")
    return ("none",) + tuple(codes[i] for i in range(1, len(codes) + 1))
