"""Imports in firmware/ run one way (issue 12): no module imports another module's private
names, and no two modules import each other, directly or round a circle.

Every import is read from the source with `ast`, at any depth (imports inside functions
count: they are how the firmware loads rarely used code), and so is every module loaded by
name through pod.lazy ("pod.link.control"), which is an import too. Only imports of firmware
modules are followed; importing a package's module (pod.link.control) is an edge to that
module, not to its package.
"""
from __future__ import annotations

import ast
from pathlib import Path

from simulator import FIRMWARE_DIR

# calls that import the module named by their first argument
_LOADERS = {"lazy", "__import__"}


def module_names(root: Path) -> dict[str, Path]:
    """{dotted name: file} of every module under root (boot.py is "boot")."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(path: Path, modules: dict[str, Path]) -> list[tuple[str, str, int]]:
    """(module imported, name taken from it or "", line) for every import in the file that
    reaches a firmware module, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in modules:
                    found.append((a.name, "", node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                sub = node.module + "." + a.name
                if sub in modules:  # from pod import board: the module pod.board
                    found.append((sub, "", node.lineno))
                elif node.module in modules:  # from pod.core import ALARM
                    found.append((node.module, a.name, node.lineno))
        elif isinstance(node, ast.Call) and node.args:
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            arg = node.args[0]
            if (name in _LOADERS and isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    and arg.value in modules):
                found.append((arg.value, "", node.lineno))
    return found


def check(root: Path) -> tuple[list[str], list[list[str]]]:
    """(private names imported from another module, import circles) under root."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    private = []
    for mod, path in modules.items():
        for target, name, line in imports(path, modules):
            if target == mod:
                continue
            graph[mod].add(target)
            if name.startswith("_"):
                private.append("%s:%d imports %s from %s" % (
                    path.relative_to(root).as_posix(), line, name, target))
    return private, circles(graph)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import circle once, as the modules round it (the first one repeated at the end)."""
    found = []
    seen: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                loop = path[path.index(n):] + [n]
                key = frozenset(loop)
                if key not in seen:
                    seen.add(key)
                    found.append(loop)
            elif n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return found


def test_the_firmware_imports_run_one_way():
    private, loops = check(FIRMWARE_DIR)
    assert private == [], "private names imported from another module:\n" + "\n".join(private)
    assert loops == [], "import circles:\n" + "\n".join(" -> ".join(c) for c in loops)


def test_every_firmware_module_is_reached_by_its_name():
    """The walk sees the firmware as it is: the loaders' names are modules, and the modules a
    pod runs are reached from boot.py and main.py."""
    modules = module_names(FIRMWARE_DIR)
    assert {"boot", "main", "pod", "pod.link", "pod.link.control", "pod.serial_link"} <= set(modules)
    graph = {m: {t for t, _, _ in imports(p, modules)} for m, p in modules.items()}
    reached, todo = set(), ["boot", "main"]
    while todo:
        m = todo.pop()
        if m not in reached:
            reached.add(m)
            todo.extend(graph[m])
    # household runs only in a household (not from main.py yet); every other module is used
    unused = sorted(m for m in modules if m not in reached and not m.startswith("pod.household"))
    assert unused == [], unused


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_a_circle_through_an_import_inside_a_function_is_found(tmp_path):
    root = _tree(tmp_path, {
        "pod/__init__.py": "def lazy(name, fn, *args):\n    pass\n",
        "pod/a.py": "from pod import b\n",
        "pod/b.py": "def f():\n    from pod.c import g\n    return g\n",
        "pod/c.py": "from pod import lazy\n\n\ndef g():\n    return lazy('pod.a', 'x')\n",
        "pod/d.py": "import pod.a\n",
    })
    private, loops = check(root)
    assert private == []
    assert loops == [["pod.a", "pod.b", "pod.c", "pod.a"]]


def test_a_private_name_from_another_module_is_found(tmp_path):
    root = _tree(tmp_path, {
        "pod/__init__.py": "",
        "pod/core.py": "_to = 1\nTO = 2\n",
        "pod/smart.py": "def f():\n    from pod.core import TO, _to\n    return TO + _to\n",
        "pod/app.py": "from pod.core import TO\nfrom micropython import const\n_X = const(1)\n",
    })
    private, loops = check(root)
    assert private == ["pod/smart.py:2 imports _to from pod.core"]
    assert loops == []


def test_two_modules_importing_each_other_are_a_circle(tmp_path):
    root = _tree(tmp_path, {
        "pod/__init__.py": "",
        "pod/link/__init__.py": "from pod.link.upload import handle\n",
        "pod/link/upload.py": "from pod.link import ok\n",
    })
    assert check(root)[1] == [["pod.link", "pod.link.upload", "pod.link"]]
