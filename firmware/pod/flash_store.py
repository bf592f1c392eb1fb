# Crash-safe files on the pod's flash: the sleep program (current and previous) and the
# settings. Loaded at boot and by the serial link's program/config commands, then dropped from
# the heap again (see pod.forget): nothing here runs in the night's loop.
#
# A file written here ends in a seal line: b"\n#pod1 <payload size> <payload CRC32 hex>\n"
# (write_seal; the names, limits and the seal's prefix live in pod.file_spec).
# The payload before it is plain JSON. A file without a seal (copied by hand) is still read,
# checked by its JSON and the validator only.
#
# Replacing a file (seal_replace): write <name>.tmp, read it back and check the seal, then
# rename the current file to the previous one (programs only), then the temporary one to the
# current. Every rename is atomic on littlefs, so a power cut leaves one of:
#   1. a partial or unsealed .tmp, current intact  -> boot deletes the .tmp: the old one runs
#   2. a sealed .tmp, current intact               -> the same (the new one was not committed)
#   3. a sealed .tmp, no current (cut between the renames) -> boot finishes the rename: new
#   4. the new current, the old one as previous    -> done
# and never a file that is half old, half new.
import binascii
import json
import os

from pod import forget
from pod.file_spec import MAX_FILE, PREVIOUS, PROGRAM, SEAL, SETTINGS, SETTINGS_TMP, TEMP

forget("pod.file_spec")  # (its names are copied here: beside the store the heap is short)

# Settings: (key, kind, low, high, default). "i" whole number in [low, high], "s" text of at
# most `high` characters. The cap and the HR band stay within the pod's safe limits.
SETTINGS_SPEC = (
    ("pod_name", "s", 0, 24, "bedtime-pod"),
    ("wake_level", "i", 300, 1000, 800),   # permille of full light at the end of a wake
    ("cap_min", "i", 60, 720, 720),        # a session never runs longer
    ("hr_low", "i", 30, 60, 40),           # HR band used when a program does not give one
    ("hr_high", "i", 90, 180, 130),
)


def size_of(name):
    try:
        return os.stat(name)[6]
    except OSError:
        return -1


def read_checked(name):
    """(data, n, crc): the file's bytes, its payload length and the payload's CRC32.
    None if the file does not exist; ValueError saying what is wrong if it fails its check."""
    size = size_of(name)
    if size < 0:
        return None
    if size > MAX_FILE:
        raise ValueError("too big (over %d bytes)" % MAX_FILE)
    with open(name, "rb") as f:
        data = f.read(size)  # only as much as there is: the heap is short
    if not data:
        raise ValueError("empty file")
    i = data.rfind(SEAL)
    if i < 0 or data[-1] != 10:
        return data, len(data), binascii.crc32(data)  # unsealed: JSON and validator only
    try:
        n, crc = data[i + len(SEAL):-1].split(b" ")
        n = int(n)
        crc = int(crc, 16)
    except ValueError:
        raise ValueError("damaged seal")
    if n != i:
        raise ValueError("size %d does not match the seal's %d" % (i, n))
    c = binascii.crc32(memoryview(data)[:i])
    if c != crc:
        raise ValueError("CRC mismatch")
    return data, n, c


def payload(r):
    """The JSON bytes of a read_checked result (a copy only if the file has a seal)."""
    d = r[0]
    return d if r[1] == len(d) else d[:r[1]]


def seal_replace(tmp, name, data, previous=None):
    """Write data (bytes) crash-safely as `name` (see the top of this file for what a power cut
    at each step leaves). Raises OSError or ValueError; then nothing changed but a leftover tmp."""
    crc = binascii.crc32(data)
    with open(tmp, "wb") as f:
        f.write(data)
        write_seal(f, len(data), crc)
    replace(tmp, name, len(data), crc, previous)


def write_seal(f, n, crc):
    """Append the seal line for a payload of n bytes with CRC32 crc to the open file f."""
    f.write(b"%s%d %08x\n" % (SEAL, n, crc))


def replace(tmp, name, n, crc, previous):
    """Read the sealed tmp back from flash and check it, then: name -> previous (if name
    passes its check; a damaged one is dropped, so a good previous is never lost), tmp -> name."""
    r = read_checked(tmp)
    if r is None or r[1] != n or r[2] != crc or r[0].rfind(SEAL) != n:
        raise ValueError("read-back mismatch")
    r = None
    if previous is not None and size_of(name) >= 0:
        try:
            ok = read_checked(name) is not None
        except ValueError:
            ok = False
        if ok:
            os.rename(name, previous)
        else:
            os.remove(name)
    os.rename(tmp, name)


def check_settings(d):
    """Every problem with a (partial) settings dict, as "key: reason" strings."""
    if not isinstance(d, dict):
        return ["config: must be a JSON object"]
    errs = []
    keys = [s[0] for s in SETTINGS_SPEC]
    for k in d:
        if k not in keys:
            errs.append("%s: unknown key" % k)
    for key, kind, lo, hi, _ in SETTINGS_SPEC:
        if key in d:
            e = field_error(key, kind, lo, hi, d[key])
            if e:
                errs.append(e)
    return errs


def boot_read(src, probs):
    """For pod.stored_load: (settings or None, src, parsed program or None, payload size,
    payload CRC32). src 0: finish or undo an interrupted replace (recover), read the
    settings, then PROGRAM, and if that is missing or fails its checks here, PREVIOUS at once
    (src 1, in the same load of this module); src 1: PREVIOUS only."""
    s = None
    if src == 0:
        recover()
        s = load_settings(probs)
        prog, n, crc = read_program(PROGRAM, probs)
        if prog is not None:
            return s, 0, prog, n, crc
    prog, n, crc = read_program(PREVIOUS, probs)
    return s, 1, prog, n, crc


def recover():
    """At boot: finish or undo a replace a power cut interrupted (see the table above)."""
    for tmp, name in ((TEMP, PROGRAM), (SETTINGS_TMP, SETTINGS)):
        if size_of(tmp) < 0:
            continue
        done = False
        if size_of(name) < 0:
            try:
                r = read_checked(tmp)
                done = r is not None and r[0].rfind(SEAL) == r[1]
            except ValueError:
                pass
        try:
            if done:
                os.rename(tmp, name)
            else:
                os.remove(tmp)
        except OSError:
            pass


def field_error(key, kind, lo, hi, v):
    if kind == "s":
        if not isinstance(v, str) or len(v) > hi:
            return "%s: must be text of at most %d characters" % (key, hi)
    elif not isinstance(v, int) or isinstance(v, bool):
        return "%s: %r is not a whole number" % (key, v)
    elif v < lo or v > hi:
        return "%s: %d is outside %d..%d" % (key, v, lo, hi)
    return None


def load_settings(probs):
    """The settings dict, every field valid: a bad field, or a bad file, gives the default
    (and a line appended to probs). Never raises."""
    out = {}
    for s in SETTINGS_SPEC:
        out[s[0]] = s[4]
    try:
        r = read_checked(SETTINGS)
        if r is not None:
            try:
                d = json.loads(payload(r))
            except ValueError:
                raise ValueError("not valid JSON")
            r = None
            if not isinstance(d, dict):
                raise ValueError("not a JSON object")
            for key, kind, lo, hi, _ in SETTINGS_SPEC:
                if key in d:
                    e = field_error(key, kind, lo, hi, d[key])
                    if e:
                        probs.append(SETTINGS + ": " + e + ", default used")
                    else:
                        out[key] = d[key]
    except Exception as e:  # noqa: BLE001 - whatever is wrong, the defaults hold
        probs.append("%s: %s, defaults used" % (SETTINGS, _why(e)))
    return out


def _why(e):
    if isinstance(e, MemoryError):
        return "too big to read"
    return str(e.args[0]) if e.args else e.__class__.__name__


def read_program(name, probs):
    """(parsed program, payload size, payload CRC32) of program.json or program.bak, or
    (None, 0, 0) with the reason in probs if it is missing or fails its checks. The
    validator runs afterwards, with this module unloaded: the heap cannot hold both."""
    try:
        r = read_checked(name)
        if r is None:
            if name == PROGRAM and size_of(PREVIOUS) >= 0:
                probs.append(PROGRAM + ": missing")
            return None, 0, 0
        try:
            prog = json.loads(payload(r))
        except ValueError:
            raise ValueError("not valid JSON")
        return prog, r[1], r[2]
    except Exception as e:  # noqa: BLE001 - a broken file is a report, not a crash
        probs.append("%s: %s" % (name, _why(e)))
    return None, 0, 0
