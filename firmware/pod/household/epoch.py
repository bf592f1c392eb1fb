# The boot epoch: a number kept in flash and raised by one at every boot, so that frames from
# an earlier boot can never pass as new (sequence numbers start again at 1 in RAM). And the
# boot id: a random number of this boot, which the frames to this pod must name.
# The new number is written to a temporary file and renamed over the old one, so a power cut
# leaves either the old number or the new one.
#
# If the file cannot be read (missing on a first boot, or damaged) the epoch starts at 1; if the
# new number cannot be written the pod still runs with it. Either way peers may take this pod's
# frames for replays until they restart: the caller reports the problem, and a parent's pod
# shows this pod as silent (supervision), so the failure is visible, never quiet. A repeated
# epoch never lets a recorded frame be acted on: that takes this boot's id.
import os

from micropython import const

NAME = "hh_epoch"
TMP = "hh_epoch.tmp"
LIMIT = const(0x3FFFFFFF)


def read(name=NAME):
    """The stored epoch, or -1 if there is none or it is damaged."""
    try:
        with open(name, "rb") as f:
            data = f.read(16)
        v = int(data)
    except (OSError, ValueError):
        return -1
    return v if 0 <= v <= LIMIT else -1


def bump(probs, name=NAME, tmp=TMP):
    """The epoch of this boot (the stored one plus one, written back). Problems are appended
    to probs as text. Never raises."""
    old = read(name)
    if old < 0:
        try:
            os.stat(name)
            probs.append(name + ": damaged, epoch starts again at 1")
        except OSError:
            pass
        old = 0
    new = old + 1 if old < LIMIT else 1
    try:
        with open(tmp, "wb") as f:
            f.write(b"%d" % new)
        os.rename(tmp, name)
    except OSError as e:
        probs.append("%s: not written (%s)" % (name, e.__class__.__name__))
    return new


def boot_id():
    """A random number for this boot, 1..2**30-1 (the frames' to boot: see frame.py). Unlike
    the epoch it needs no flash, so it never repeats because a write failed or the flash was
    erased."""
    b = os.urandom(4)
    v = ((b[0] & 0x3F) << 24) | (b[1] << 16) | (b[2] << 8) | b[3]
    return v if v else 1


def begin(probs):
    """(epoch, boot id) of this boot: see bump and boot_id."""
    return bump(probs), boot_id()
