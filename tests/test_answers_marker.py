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
