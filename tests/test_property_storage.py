"""Property test of crash-safe storage: hypothesis cuts the simulated pod's power at a random
point of a flash write (which mutating file operation, and how many bytes of a cut write
reach the flash) while a program is uploaded and committed, while the journal is appended to
during a night, or while the settings are replaced; then the pod boots again and is checked.

`HYPOTHESIS_PROFILE=deep` (as `make soak` sets) runs many more examples."""
import base64
import binascii
import os

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from storagekit import CHUNK, Host, program_bytes, sealed

from host_tools import journal as hj
from simulator.sim import SimPod

settings.register_profile(
    "quick", max_examples=int(os.environ.get("POD_STORAGE_EXAMPLES", "40")), deadline=None,
    derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "deep", max_examples=int(os.environ.get("POD_STORAGE_EXAMPLES", "400")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

S = 1000
M = 60 * S
OLD = program_bytes("Old", wind_down={"minutes": 20})
NEW = program_bytes("New", wind_down={"minutes": 5, "volume": 35},
                    sleep={"night_light": 5, "hr_hold_s": 30}, wake={"after_min": 400,
                                                                      "sunrise_min": 20})


def _call_until_cut(host, pod, **req):
    """A request, or None if the power went before its reply."""
    cuts = len(pod.fs.cut_log)
    host.n += 1
    rid = host.n
    pod.send({"id": rid, **req})
    for _ in range(30):
        pod.advance(100)
        if len(pod.fs.cut_log) > cuts:
            return None
        for r in pod.replies:
            if r["id"] == rid:
                return r
    raise AssertionError("no reply to %r" % req)


def _upload(host, pod, data):
    """Upload and commit `data`; stops at a power cut. True if the commit was answered ok."""
    r = _call_until_cut(host, pod, cmd="program", op="begin", size=len(data),
                        crc=binascii.crc32(data))
    for off in range(0, len(data), CHUNK):
        if r is None:
            return False
        r = _call_until_cut(host, pod, cmd="program", op="chunk", off=off,
                            data=base64.b64encode(data[off:off + CHUNK]).decode())
    if r is None:
        return False
    r = _call_until_cut(host, pod, cmd="program", op="commit")
    return r is not None and r["ok"]


@given(operation=st.sampled_from(["program", "journal", "config"]),
       cut_op=st.integers(1, 16), cut_bytes=st.integers(0, 200), in_session=st.booleans())
def test_a_power_cut_at_any_point_of_a_write_loses_nothing_committed(
        operation, cut_op, cut_bytes, in_session):
    what = cut_and_check(operation, cut_op, cut_bytes, in_session)
    event("%s: cut at %s" % (operation, what.split(" bytes")[0]))


def test_a_power_cut_at_every_step_of_a_program_update():
    """The same checks, at each mutating file operation of an upload and commit in turn (the
    temporary file opened, each chunk, the seal, both renames), in a night and outside one."""
    seen = set()
    for in_session in (False, True):
        for k in range(1, 14):
            what = cut_and_check("program", k, 7, in_session)
            seen.add(what.split(" ")[0] + " " + what.split(" ")[-1])
    assert {"rename program.bak", "rename program.json", "write program.tmp",
            "open program.tmp"} <= seen, seen


def cut_and_check(operation, cut_op, cut_bytes, in_session):
    """After a power cut at any point of a program update, a journal append or a settings
    change, the pod boots again and:
    - runs a valid program, the old one or the new one, byte for byte, never a mix (and the new
      one if the commit had been answered);
    - reads back every journal record that was completely written before the cut, intact and in
      order (a torn record may be lost, nothing before it);
    - has valid settings, the old ones or the new ones;
    - gives the right fail-safe verdict: a power cut during a night wakes the sleeper (ALARM,
      reason power_cut, lit), and a power cut with no night under way does not."""
    pod = SimPod(start_clock="22:30")
    pod.fs.path("program.json").write_bytes(sealed(OLD))
    pod.advance(2 * S)
    host = Host(pod)
    if in_session:
        pod.press(pod.now_ms + 100, 2600)
        pod.advance(3 * M)  # a few heart-rate minutes in the journal already
        assert pod.state == "WIND_DOWN"
    before: dict[str, bytes] = {}
    night = []

    def snapshot(what):  # the flash just before the cut: what was committed
        before.update({p.name: p.read_bytes() for p in pod.fs.root.glob("jr*.bin")})
        # a night was under way: its flash marker written, or being written, when power went
        night.append(pod.fs.path("session.mark").exists() or "session.mark" in what)

    pod.fs.on_cut = snapshot
    pod.fs.arm_power_cut(cut_op, cut_bytes)
    committed = False
    if operation == "program":
        committed = _upload(host, pod, NEW)
    elif operation == "journal":
        if not in_session:
            pod.press(pod.now_ms + 100, 2600)  # the night's first records are the writes
        pod.advance(6 * M)
    else:
        r = _call_until_cut(host, pod, cmd="config", op="set", config={"wake_level": 555})
        committed = r is not None and r["ok"]
    cut = bool(pod.fs.cut_log)
    session_at_cut = cut and night[0]
    if in_session:
        assert session_at_cut or not cut
    pod.fs.arm_power_cut(0)
    pod.advance(5 * S)  # 2 s without power, then the boot

    # it booted and runs
    assert [r["cause"] for r in pod.res.resets] == (["power_on"] if cut else [])
    assert pod.running and pod.state in ("IDLE", "WIND_DOWN", "SLEEP", "ALARM"), pod.state
    # a whole program, old or new
    stored = host.read_program()
    info = host.info()
    assert (stored, info["name"]) in ((OLD, "Old"), (NEW, "New")), (info, stored)
    assert info["source"] == "file" and info["crc"] == binascii.crc32(stored)
    if committed and operation == "program":
        assert stored == NEW
    if operation != "program":
        assert stored == OLD
    # settings, old or new
    cfg = host.call(cmd="config", op="get")["config"]
    assert cfg["wake_level"] in ((800, 555) if operation == "config" else (800,))
    if committed and operation == "config":
        assert cfg["wake_level"] == 555
    # every journal record committed before the cut is still there, intact, in order
    if cut:
        for name, old in before.items():
            now = pod.fs.path(name).read_bytes()
            old_recs, old_probs = hj.decode(old, name)
            new_recs, _ = hj.decode(now, name)
            assert old_probs == []
            assert new_recs[:len(old_recs)] == old_recs, name
    # the verdict
    if session_at_cut:
        assert pod.state == "ALARM" and pod.last_tel["reason"] == "power_cut", pod.last_tel
        assert pod.lit()
        beeps = []
        for _ in range(10):  # the alarm sound comes in beeps: one within a second
            beeps.append(pod.sounding())
            pod.advance(100)
        assert any(beeps)
    else:
        assert pod.state != "ALARM", pod.last_tel
    pod.close()
    return pod.fs.cut_log[0] if cut else "none"
