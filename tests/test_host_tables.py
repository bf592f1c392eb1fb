"""The host names what the firmware writes with the firmware's own tables (host_tools.fwtables):
every wake reason, state, reset cause and program source the pod can journal comes out of
`podctl logs pull` by name, never as unknown(N)."""
import ast
import re
from pathlib import Path
from typing import Any

import pytest

from host_tools import fwtables
from host_tools import journal as hj
from simulator import FIRMWARE_DIR
from simulator.hw import simstate
from simulator.hw.flash import FlashFS
from simulator.sandbox import Sandbox

TYPINGS_MACHINE = Path(__file__).resolve().parent.parent / "build" / "mpy-typings" / "machine.pyi"


def _consts(module, pattern):
    """{NAME: value} of the `NAME = const(N)` lines in firmware/pod/<module>.py matching pattern."""
    tree = ast.parse((FIRMWARE_DIR / "pod" / (module + ".py")).read_text())
    out = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and re.fullmatch(pattern, node.targets[0].id) and isinstance(node.value, ast.Call)):
            out[node.targets[0].id] = ast.literal_eval(node.value.args[0])
    return out


def test_every_reason_code_has_a_name():
    codes = _consts("reasons", r"R_[A-Z_]+")
    assert sorted(codes.values()) == list(range(len(codes)))
    assert len(fwtables.reasons()) == len(codes)
    for name, code in codes.items():
        assert fwtables.reasons()[code] == name[2:].lower()


def test_every_state_has_a_name():
    codes = _consts("core", r"(IDLE|WIND_DOWN|SLEEP|WAKE_RAMP|AWAKE|ALARM)")
    assert len(codes) == 6
    for name, code in codes.items():
        assert fwtables.states()[code] == name


def test_every_esp32_reset_cause_has_a_name():
    causes = fwtables.reset_causes()
    machine_values = {n: v for n, v in vars(simstate).items() if n.endswith("_RESET")}
    assert set(machine_values.values()) <= set(causes)
    if TYPINGS_MACHINE.exists():  # the ESP32 stubs, installed by `make venv`
        stub = dict(re.findall(r"^(\w+_RESET): Final\[int\] = (\d+)$", TYPINGS_MACHINE.read_text(), re.M))
        assert stub, "the ESP32 stubs name no reset causes"
        assert {int(v) for v in stub.values()} <= set(causes)


def test_program_sources_have_one_home_in_the_firmware():
    """program info (pod.link.program_read) and the host both name sources from
    pod.file_spec.SOURCES: no firmware module keeps a copy of the table."""
    homes = []
    for path in sorted((FIRMWARE_DIR / "pod").rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id.lstrip("_") == "SOURCES"):
                homes.append(path.relative_to(FIRMWARE_DIR).as_posix())
    assert homes == ["pod/file_spec.py"]
    assert fwtables.program_sources() == ("file", "previous", "default")
    assert fwtables.names("serial_link", "_CMDS") == ("wake", "ack", "start", "stop")
    assert fwtables.consts("link.file_read", "READ_MAX") == {"READ_MAX": 512}  # in a package


def test_a_table_that_is_gone_fails_loudly():
    with pytest.raises(fwtables.FirmwareTableError):
        fwtables.names("core", "NO_SUCH_TABLE")
    with pytest.raises(fwtables.FirmwareTableError):
        fwtables.names("no_such_module", "X")


def _journal(tmp_path) -> tuple[Any, FlashFS]:
    board = simstate.Board()
    simstate.current = board
    board.rtc_set(9823 * 86400 + 23 * 3600)
    fs = FlashFS(tmp_path)
    mod: Any = Sandbox(FIRMWARE_DIR, board, fs)._load("pod.journal")
    return mod.Journal(), fs


def test_logs_pull_names_everything_the_firmware_can_journal(tmp_path):
    """The firmware's own Journal writes a record for every reason, state, cause and source;
    the host decodes each by name."""
    j, fs = _journal(tmp_path)
    reasons = _consts("reasons", r"R_[A-Z_]+")
    states = _consts("core", r"(IDLE|WIND_DOWN|SLEEP|WAKE_RAMP|AWAKE|ALARM)")
    causes = sorted(fwtables.reset_causes())
    for src in range(len(fwtables.program_sources())):
        for cause in causes:
            j.boot(cause, reasons["R_NONE"], src, 0)
    for r in reasons.values():
        j.fault(r, "x")
        j.wake(r, 120)
        for s in states.values():
            j.phase(s, r)
    for how in range(1, len(fwtables.answer_hows())):
        j.answer(how)
    data = b"".join(p.read_bytes() for p in sorted(fs.root.glob("jr*.bin")))
    records, problems = hj.decode(data)
    assert problems == []
    text = hj.to_jsonl(records)
    assert "unknown" not in text
    assert {r["type"] for r in records} >= {"boot", "fault", "wake", "phase"}
    assert {r["reason"] for r in records if r["type"] == "wake"} == set(fwtables.reasons())
    assert {r["state"] for r in records if r["type"] == "phase"} == set(fwtables.states())
    assert {r["cause"] for r in records if r["type"] == "boot"} == set(fwtables.reset_causes().values())
    assert {r["source"] for r in records if r["type"] == "boot"} == set(fwtables.program_sources())
    assert {r["how"] for r in records if r["type"] == "answer"} == {"tap", "hold", "ack"}
    assert set(hj.TYPES.values()) >= {r["type"] for r in records}
