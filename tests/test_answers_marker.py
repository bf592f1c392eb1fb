"""The night-under-way record reaches flash, or the person is told (#11): a session file that
could not be written when the night started is retried once a second until it is, so a power
cut later in the night still boots into the alarm."""
import errno

from storagekit import program_bytes
from test_failsafe_night_faults import SHORT, WRITE_ERROR, fail_writes, night_pod

S = 1000


def test_a_session_file_not_written_at_the_start_is_retried_until_it_is():
    pod = night_pod(program_bytes("Short", after_min=30, **SHORT))
    fail_writes(pod, OSError(errno.ENOSPC, "no space"))
    pod.press(pod.now_ms + 100, 2600)
    pod.advance(5 * S)
    assert pod.state in ("WIND_DOWN", "SLEEP")
    assert not pod.fs.path("session.mark").exists()
    del WRITE_ERROR[pod]  # the flash has room again (a journal file rotated away, say)
    pod.advance(3 * S)
    assert pod.fs.path("session.mark").exists()
    pod.inject("power-cut", pod.now_ms + 1000, 5)
    pod.advance(10 * S)
    assert pod.state == "ALARM"
    assert pod.res.wakes[-1].reason == "power_cut"
    pod.close()


def test_a_session_file_never_written_is_told_and_shown():
    """The flash stays full: after 30 tries (30 s) the pod says so once (a storage event), the
    telemetry and `podctl status` carry "mark": 1, and every other pixel of the dark strip
    glows dim red, so the person can see that a power cut tonight would not be remembered.
    Once the file is written, the sign goes."""
    pod = night_pod(program_bytes("Short", after_min=30, **SHORT))
    fail_writes(pod, OSError(errno.ENOSPC, "no space"))
    pod.press(pod.now_ms + 100, 2600)
    pod.advance(20 * S)
    assert pod.state == "SLEEP" and pod.last_tel["mark"] == 0
    strip, _, _, _ = pod.outputs()
    assert not any(strip)  # (no night light: dark)
    pod.advance(15 * S)
    assert pod.last_tel["mark"] == 1
    assert [e for e in pod.res.events if e.get("ev") == "storage"
            and e.get("msg") == "session.mark not written"]
    strip, _, _, _ = pod.outputs()
    assert not any(strip[0:3]) and max(strip[3:6]) >= 40 and not any(strip[6:9])
    assert pod.state == "SLEEP"  # the night goes on, its wake still set
    del WRITE_ERROR[pod]  # room again: written, and the sign goes
    pod.advance(3 * S)
    assert pod.fs.path("session.mark").exists() and pod.last_tel["mark"] == 0
    strip, _, _, _ = pod.outputs()
    assert not any(strip)
    pod.close()
