"""Toolchain checks for the MicroPython firmware.

- every firmware/*.py compiles with mpy-cross for the ESP32 (xtensawin);
- firmware/ imports no module that MicroPython lacks;
- pyright, configured as tools/pyright-firmware.json, checks against the ESP32 stubs
  (a known-bad call is flagged, known-good MicroPython APIs are accepted) and the real
  firmware passes it.

The pyright tests need the stubs that `make venv` installs into build/mpy-typings.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
FIRMWARE_PYRIGHT_CONFIG = ROOT / "tools" / "pyright-firmware.json"
TYPINGS = ROOT / "build" / "mpy-typings"
EMPTY_VENV = ROOT / "build" / "empty-venv"

# Venv bin dir: do not resolve symlinks, sys.executable is .venv/bin/python.
VENV_BIN = Path(sys.executable).parent

# Modules that MicroPython (ESP32 port and unix port 1.29) does not have. `typing` and
# `typing_extensions` are allowed inside a `try:` body or under `if TYPE_CHECKING:`.
# `from __future__ import annotations` also fails at run time on MicroPython.
MISSING_MODULES = {
    "__future__",
    "abc",
    "collections.abc",
    "dataclasses",
    "enum",
    "functools",
    "logging",
    "pathlib",
    "subprocess",
    "threading",
    "typing",
    "typing_extensions",
}
TYPING_MODULES = {"typing", "typing_extensions"}


def _firmware_files() -> list[Path]:
    return sorted(p for p in FIRMWARE.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def _tool(name: str) -> str:
    exe = VENV_BIN / name
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found:
        return found
    pytest.fail(f"{name} not found next to {sys.executable} nor on PATH; run `make venv`")


FIRMWARE_FILES = _firmware_files()


# --- (a) mpy-cross ---------------------------------------------------------------------


@pytest.mark.parametrize("path", FIRMWARE_FILES, ids=[_rel(p) for p in FIRMWARE_FILES])
def test_firmware_compiles_with_mpy_cross(path: Path, tmp_path: Path) -> None:
    out = tmp_path / (path.stem + ".mpy")
    proc = subprocess.run(
        [_tool("mpy-cross"), "-march=xtensawin", "-o", str(out), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"mpy-cross rejected {_rel(path)}:\n{proc.stdout}{proc.stderr}"
    assert out.exists()


# --- (b) imports MicroPython lacks --------------------------------------------------------


def _is_type_checking_test(test: ast.expr) -> bool:
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return True
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return True
    return isinstance(test, ast.Constant) and test.value is False


def _imported_modules(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def _missing(module: str) -> str | None:
    """The entry of MISSING_MODULES that `module` hits, if any."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in MISSING_MODULES:
            return prefix
    return None


def _bad_imports(tree: ast.Module) -> list[tuple[int, str]]:
    bad: list[tuple[int, str]] = []

    def visit(node: ast.AST, guarded: bool) -> None:
        if isinstance(node, ast.stmt):
            for module in _imported_modules(node):
                hit = _missing(module)
                if hit is None:
                    continue
                if hit in TYPING_MODULES and guarded:
                    continue
                bad.append((node.lineno, module))
        if isinstance(node, ast.Try):
            for child in node.body:
                visit(child, True)
            for handler in node.handlers:
                visit(handler, guarded)
            for child in node.orelse + node.finalbody:
                visit(child, guarded)
            return
        if isinstance(node, ast.If) and _is_type_checking_test(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, guarded)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, guarded)

    visit(tree, False)
    return bad


def test_import_checker_self_check() -> None:
    src = (
        "import dataclasses\n"
        "from enum import Enum\n"
        "from __future__ import annotations\n"
        "import logging.handlers\n"
        "import os, abc\n"
        "from collections.abc import Callable\n"
        "from collections import deque\n"
        "from . import typing\n"
        "try:\n"
        "    from typing import TYPE_CHECKING\n"
        "except ImportError:\n"
        "    TYPE_CHECKING = False\n"
        "if TYPE_CHECKING:\n"
        "    from typing import Any\n"
        "from typing import List\n"
        "def f():\n"
        "    import threading\n"
    )
    found = _bad_imports(ast.parse(src))
    assert found == [
        (1, "dataclasses"),
        (2, "enum"),
        (3, "__future__"),
        (4, "logging.handlers"),
        (5, "abc"),
        (6, "collections.abc"),
        (15, "typing"),
        (17, "threading"),
    ]


def test_firmware_imports_only_micropython_modules() -> None:
    if not FIRMWARE_FILES:
        pytest.skip("firmware/ has no .py files yet")
    problems = []
    for path in FIRMWARE_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, module in _bad_imports(tree):
            problems.append(f"{_rel(path)}:{lineno}: imports {module!r}, which MicroPython lacks")
    assert not problems, "\n".join(problems)


# --- (c) pyright against the ESP32 stubs ------------------------------------------------------


def _require_typings() -> None:
    if not (TYPINGS / "machine.pyi").exists():
        pytest.skip(f"{_rel(TYPINGS)} is missing: run `make venv` to install the ESP32 stubs")


def _run_pyright(config: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYRIGHT_PYTHON_IGNORE_WARNINGS="1")
    return subprocess.run(
        [_tool("pyright"), "-p", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )


BAD_SNIPPET = """\
import dataclasses

import machine


def arm() -> None:
    wdt = machine.WDT(timeout=2000)
    wdt.stop()
"""

GOOD_SNIPPET = """\
import machine
import neopixel
import time
from micropython import const

_PIN = const(5)


def blink() -> int:
    np = neopixel.NeoPixel(machine.Pin(_PIN, machine.Pin.OUT), 8)
    np[0] = (1, 2, 3)
    np.write()
    t0 = time.ticks_ms()
    machine.WDT(timeout=2000).feed()
    return time.ticks_diff(time.ticks_ms(), t0)
"""


def test_pyright_firmware_config_flags_micropython_errors(tmp_path: Path) -> None:
    _require_typings()
    src = tmp_path / "src"
    src.mkdir()
    (src / "bad.py").write_text(BAD_SNIPPET)
    (src / "good.py").write_text(GOOD_SNIPPET)

    # Same settings as tools/pyright-firmware.json, with absolute paths to build/.
    config = json.loads(FIRMWARE_PYRIGHT_CONFIG.read_text())
    config.pop("exclude", None)
    config.update(
        include=[str(src)],
        extraPaths=[str(src)],
        typeshedPath=str(TYPINGS),
        stubPath=str(TYPINGS),
        venvPath=str(EMPTY_VENV.parent),
        venv=EMPTY_VENV.name,
    )
    cfg = tmp_path / "pyrightconfig.json"
    cfg.write_text(json.dumps(config, indent=2))

    proc = _run_pyright(cfg)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "stop" in out, out
    # Without the empty venv pyright falls back to CPython's stdlib and accepts this.
    assert "dataclasses" in out, out
    assert "good.py" not in out, f"pyright rejected valid MicroPython code:\n{out}"


def test_firmware_passes_pyright() -> None:
    _require_typings()
    if not FIRMWARE_FILES:
        pytest.skip("firmware/ has no .py files yet")
    proc = _run_pyright(FIRMWARE_PYRIGHT_CONFIG)
    assert proc.returncode == 0, proc.stdout + proc.stderr
