"""Reading a table never starts the simulator: importing any host tool (podctl and what it is made
of) loads no module of the simulator, and running podctl's own checks never loads the runner.

The one kind of host code that may use the simulator does so on demand, with the import inside
the function: the firmware's own program and settings rules (host_tools.podfiles, loaded in the
simulator's sandbox, never simulator.sim) and the link benchmark (host_tools.bench_link, which
talks to `pod-sim serve`). Each module is imported in a fresh interpreter, since this test
process has long since imported the simulator.
"""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = ROOT / "host_tools"
MODULES = sorted("host_tools." + p.stem for p in HOST.glob("*.py") if p.stem != "__init__")

# Print the simulator modules loaded after running the given code in a fresh interpreter.
PROBE = ("import sys\n{code}\nimport json\n"
         "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'simulator')))")


def simulator_modules_after(code: str) -> list[str]:
    p = subprocess.run([sys.executable, "-c", PROBE.format(code=code)], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_every_host_tool_is_found():
    assert {"host_tools.cli", "host_tools.commands", "host_tools.monitor_view",
            "host_tools.deploy_run", "host_tools.journal"} <= set(MODULES)


@pytest.mark.parametrize("module", ["host_tools"] + MODULES)
def test_importing_a_host_tool_loads_no_simulator_module(module):
    assert simulator_modules_after("import %s" % module) == []


def test_podctl_help_and_a_journal_decode_load_no_simulator_module():
    code = ("import contextlib, io\n"
            "from host_tools import cli, journal\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            "        cli.main(['--help'])\n"
            "    except SystemExit:\n"
            "        pass\n"
            "journal.decode_files([])\n")
    assert simulator_modules_after(code) == []


def test_checking_a_program_and_settings_never_loads_the_runner():
    """podctl runs the firmware's own rules in the sandbox: no SimPod, no recorder."""
    code = ("from host_tools import podfiles\n"
            "assert podfiles.validate_program({'version': 1}) is not None\n"
            "assert podfiles.check_settings({'wake_level': 5}) != []\n")
    loaded = simulator_modules_after(code)
    assert "simulator.sandbox" in loaded  # the check really ran the firmware's code
    assert "simulator.sim" not in loaded and "simulator.recorder" not in loaded, loaded


def _simulator_imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at module level) of each import of the simulator in a source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def walk(node, top):
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            names = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module] + [child.module + "." + a.name for a in child.names]
            for n in names:
                if n.split(".")[0] == "simulator":
                    found.append((n, top))
            walk(child, inner)

    walk(tree, True)
    return found


def test_host_tools_import_the_simulator_only_inside_functions_and_never_the_runner():
    for path in sorted(HOST.glob("*.py")):
        for name, top in _simulator_imports(path):
            assert not top, "%s imports %s at module level" % (path.name, name)
            assert not name.startswith(("simulator.sim", "simulator.recorder")) and \
                name != "simulator.SimPod", "%s imports the runner (%s)" % (path.name, name)


def test_the_import_check_sees_a_module_level_and_a_lazy_import(tmp_path):
    """The source check above is not blind: it tells an import at the top from one in a function."""
    f = tmp_path / "x.py"
    f.write_text("from simulator.sim import SimPod\n"
                 "def g():\n    import simulator.sandbox\n")
    assert _simulator_imports(f) == [("simulator.sim", True), ("simulator.sim.SimPod", True),
                                     ("simulator.sandbox", False)]
