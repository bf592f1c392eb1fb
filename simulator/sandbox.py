"""Loads the firmware's own files into a fresh namespace for each simulated boot.

The firmware's `import machine`, `import time`, `open()`, `print()`... resolve to the simulated
board here; everything else (json, struct, array, math...) is CPython's own module. A new
Sandbox per boot is what makes a reset lose RAM: no module object survives it.
"""
from __future__ import annotations

import ast
import builtins
import io
import tempfile
import traceback
import types
from pathlib import Path

from simulator import FIRMWARE_DIR
from simulator.hw import espnow as fake_espnow
from simulator.hw import machine as fake_machine
from simulator.hw import neopixel as fake_neopixel
from simulator.hw import network as fake_network
from simulator.hw import serialsim, simstate
from simulator.hw import time as fake_time
from simulator.hw.flash import FlashFS

# Virtual time a module import costs on a real board (compiling a .py from flash).
IMPORT_MS = 15

_code_cache: dict[tuple[str, float], types.CodeType] = {}


def _consts(tree: ast.Module) -> dict[str, int]:
    """The module's `NAME = const(value)` names, as MicroPython's compiler knows them: a
    module-level assignment of const() of an integer expression (of earlier consts too), the
    name never assigned anywhere else in the module."""
    found: dict[str, int] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "const"
                and len(node.value.args) == 1 and not node.value.keywords):
            continue
        try:
            expr = _Fold(found).visit(ast.Expression(node.value.args[0]))
            value = eval(compile(ast.fix_missing_locations(expr), "<const>", "eval"),  # noqa: S307
                         {"__builtins__": {}})
        except Exception:  # noqa: BLE001 - not a constant expression: left as it is
            continue
        if type(value) is int:
            found[node.targets[0].id] = value
    if not found:
        return found
    bound: dict[str, int] = {}  # how many times each name is bound anywhere in the module
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names = [node.id]
        elif isinstance(node, ast.arg):
            names = [node.arg]
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names = list(node.names) * 2
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names = [node.name]
        elif isinstance(node, ast.alias):
            names = [(node.asname or node.name).partition(".")[0]]
        for n in names:
            bound[n] = bound.get(n, 0) + 1
    return {k: v for k, v in found.items() if bound.get(k) == 1}


class _Fold(ast.NodeTransformer):
    """Each load of a const name becomes its value (MicroPython inlines them when compiling)."""

    def __init__(self, consts: dict[str, int]):
        self.consts = consts

    def visit_Name(self, node: ast.Name):
        if isinstance(node.ctx, ast.Load) and node.id in self.consts:
            return ast.copy_location(ast.Constant(self.consts[node.id]), node)
        return node


def compile_firmware(path: Path) -> types.CodeType:
    """A firmware file's code, with its const() names inlined as MicroPython's compiler does
    (a name lookup less each time the hot loops use one: the same values, the same results)."""
    key = (str(path), path.stat().st_mtime)
    code = _code_cache.get(key)
    if code is None:
        tree = ast.parse(path.read_text(), str(path))
        consts = _consts(tree)
        if consts:
            tree = ast.fix_missing_locations(_Fold(consts).visit(tree))
        code = compile(tree, str(path), "exec")
        _code_cache[key] = code
    return code


def _micropython_module(board: simstate.Board) -> types.ModuleType:
    m = types.ModuleType("micropython")
    m.kbd_intr = lambda c: setattr(board, "kbd_char", c)  # type: ignore[attr-defined]
    m.const = lambda x: x  # type: ignore[attr-defined]
    m.heap_lock = lambda: 0  # type: ignore[attr-defined]
    m.heap_unlock = lambda: 0  # type: ignore[attr-defined]
    m.mem_info = lambda *a: None  # type: ignore[attr-defined]
    m.opt_level = lambda *a: 0  # type: ignore[attr-defined]
    m.alloc_emergency_exception_buf = lambda n: None  # type: ignore[attr-defined]
    m.schedule = lambda fn, arg: fn(arg)  # type: ignore[attr-defined]
    return m


def _gc_module() -> types.ModuleType:
    m = types.ModuleType("gc")
    m.collect = lambda: None  # type: ignore[attr-defined]
    m.enable = lambda: None  # type: ignore[attr-defined]
    m.disable = lambda: None  # type: ignore[attr-defined]
    m.mem_free = lambda: 60000  # type: ignore[attr-defined]
    m.mem_alloc = lambda: 40000  # type: ignore[attr-defined]
    m.threshold = lambda *a: -1  # type: ignore[attr-defined]
    return m


def _select_module() -> types.ModuleType:
    """select with poll() over the board's serial streams (simulator/hw/serialsim.py)."""
    m = types.ModuleType("select")
    m.poll = serialsim.Poll  # type: ignore[attr-defined]
    m.POLLIN = serialsim.POLLIN  # type: ignore[attr-defined]
    m.POLLOUT = serialsim.POLLOUT  # type: ignore[attr-defined]
    m.POLLERR = serialsim.POLLERR  # type: ignore[attr-defined]
    m.POLLHUP = serialsim.POLLHUP  # type: ignore[attr-defined]
    return m


class _Console(io.TextIOBase):
    """The board's USB serial output: whole lines go to the board's on_console callback."""

    def __init__(self, board: simstate.Board):
        self.board = board
        self.pending = ""

    def write(self, s: str) -> int:
        if not self.pending and s.find("\n") == len(s) - 1:  # one whole line, as print() makes
            self.board.on_console(s[:-1])
            return len(s)
        self.pending += s
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            self.board.on_console(line)
        return len(s)


class Sandbox:
    """One boot's worth of firmware modules."""

    def __init__(self, fw_dir: Path, board: simstate.Board, fs: FlashFS):
        self.fw_dir = Path(fw_dir)
        self.board = board
        self.modules: dict[str, types.ModuleType] = {}
        self.console = _Console(board)
        sys_mod = types.ModuleType("sys")
        sys_mod.stdout = self.console  # type: ignore[attr-defined]
        sys_mod.stderr = self.console  # type: ignore[attr-defined]
        sys_mod.stdin = serialsim.Stream(board)  # type: ignore[attr-defined]
        sys_mod.print_exception = self._print_exception  # type: ignore[attr-defined]
        sys_mod.modules = self.modules  # type: ignore[attr-defined]
        sys_mod.platform = "esp32"  # type: ignore[attr-defined]
        sys_mod.maxsize = 2**31 - 1  # type: ignore[attr-defined]
        sys_mod.implementation = types.SimpleNamespace(name="micropython", version=(1, 29, 0))  # type: ignore[attr-defined]
        self.fakes: dict[str, types.ModuleType] = {
            "machine": fake_machine,
            "neopixel": fake_neopixel,
            "time": fake_time,
            "utime": fake_time,
            "micropython": _micropython_module(board),
            "gc": _gc_module(),
            "sys": sys_mod,
            "os": fs.os_module(),
            "select": _select_module(),
            "espnow": fake_espnow,
            "network": fake_network,
        }
        self.builtins = dict(builtins.__dict__)
        self.builtins["__import__"] = self._import
        self.builtins["open"] = fs.open
        self.builtins["print"] = self._print

    def _print(self, *args, sep=" ", end="\n", file=None):
        if file is None and len(args) == 1 and type(args[0]) is str:  # the firmware's lines
            self.console.write(args[0] + end)
            return
        (file or self.console).write(sep.join(str(a) for a in args) + end)

    def _print_exception(self, exc, file=None):
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        (file or self.console).write(text)

    def _find(self, name: str) -> Path | None:
        rel = Path(*name.split("."))
        pkg = self.fw_dir / rel / "__init__.py"
        if pkg.exists():
            return pkg
        mod = self.fw_dir / rel.with_suffix(".py")
        return mod if mod.exists() else None

    def _load(self, name: str) -> types.ModuleType | None:
        if name in self.modules:
            return self.modules[name]
        path = self._find(name)
        if path is None:
            return None
        if "." in name:
            parent_name, _, leaf = name.rpartition(".")
            parent = self._load(parent_name)
        else:
            parent, leaf = None, name
        code = compile_firmware(path)
        mod = types.ModuleType(name)
        mod.__file__ = str(path)
        mod.__dict__["__builtins__"] = self.builtins
        if path.name == "__init__.py":
            mod.__path__ = [str(path.parent)]  # type: ignore[attr-defined]
        self.modules[name] = mod
        try:
            self.board.advance_us(IMPORT_MS * 1000)
            exec(code, mod.__dict__)
        except BaseException:
            # as MicroPython does: a module whose import failed is not left half-made
            self.modules.pop(name, None)
            raise
        if parent is not None:
            setattr(parent, leaf, mod)
        return mod

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level:
            raise ImportError("MicroPython firmware must use absolute imports: " + name)
        fake = self.fakes.get(name)
        if fake is not None:
            return fake
        top = name.partition(".")[0]
        if self._find(top) is not None:
            mod = self._load(name)
            if mod is None:
                raise ImportError("no module named '%s'" % name)
            if fromlist:
                for item in fromlist:
                    if not hasattr(mod, item):
                        self._load(name + "." + item)
                return mod
            return self.modules[top]
        return builtins.__import__(name, globals, locals, fromlist, level)

    def run_file(self, filename: str) -> None:
        """Run boot.py or main.py as the board would (as __main__-like top-level scripts)."""
        path = self.fw_dir / filename
        if not path.exists():
            return
        g = {"__name__": "__main__", "__file__": str(path), "__builtins__": self.builtins}
        exec(compile_firmware(path), g)


def firmware_module(name: str, fw_dir: Path = FIRMWARE_DIR) -> types.ModuleType:
    """Load one pure firmware module (pod.light, pod.program...) for host-side use."""
    board = simstate.current
    if board is None:
        simstate.current = board = simstate.Board()
    sb = Sandbox(fw_dir, board, FlashFS(Path(tempfile.gettempdir()) / "pod-sim-scratch"))
    saved = board.us
    mod = sb._load(name)
    board.us = saved
    if mod is None:
        raise ImportError(name)
    return mod
