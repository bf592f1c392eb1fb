# The serial link's file commands: program (info/read/begin/chunk/commit/abort), logs
# (list/read) and config (get/set), as agreed for the link protocol (README "Storage").
# pod.link imports this for one request and it unloads itself, and the code it used, again:
# program commands in pod.lfup, commit in pod.lfcommit (whose heavy step the App runs on the
# next tick), logs in pod.linklogs and config in pod.linkconfig: a request never has more
# than it needs in the heap.
import binascii
import json

from micropython import const

from pod import forget

# Bytes a read answers at most: a reply is not held to the 256-byte request line, so a read
# moves 512 bytes (a 700-byte line, 60 ms at 115200 baud) and a full journal takes seconds.
READ_MAX = const(512)
# The reply's data is printed in pieces of this many raw bytes (64 base64 characters): beside
# a night the heap has room for small blocks, rarely for one 700-byte line.
_PIECE = const(48)


def ok(rid, body=""):
    print('{"id":%s,"ok":true%s}' % (rid, body))


def err(rid, code, message, extra=""):
    print('{"id":%s,"ok":false,"error":{"code":"%s","message":%s}%s}' % (
        rid, code, json.dumps(message), extra))


def num(req, key, lo, hi):
    v = req.get(key)
    if type(v) is not int or v < lo or v > hi:
        raise ValueError("%s: a whole number %d..%d" % (key, lo, hi))
    return v


def read(rid, name, req, end=1 << 24):
    """Reply with up to READ_MAX bytes of a file from req's off, as base64, printed piece by
    piece. If the heap runs out after the first piece, the reply ends there, whole and valid
    with less data (the host goes on from what it got); before it, the error is raised and no
    reply has begun."""
    off = num(req, "off", 0, end)
    n = min(num(req, "n", 0, READ_MAX), end - off)
    with open(name, "rb") as f:
        f.seek(off)
        mv = memoryview(bytearray(_PIECE))
        k = f.readinto(mv[:min(n, _PIECE)]) if n > 0 else 0
        # (b2a_base64 takes any buffer on MicroPython; the stubs say bytes)
        piece = binascii.b2a_base64(mv[:k], newline=False).decode() if k else ""  # pyright: ignore[reportArgumentType]
        print('{"id":%s,"ok":true,"off":%d,"data":"' % (rid, off), end="")
        got = k
        try:
            while k:
                print(piece, end="")
                piece = None
                k = f.readinto(mv[:min(n - got, _PIECE)]) if got < n else 0
                if k:
                    piece = binascii.b2a_base64(mv[:k], newline=False).decode()  # pyright: ignore[reportArgumentType]
                    got += k
        except MemoryError:
            pass  # what is printed so far is whole base64: the reply ends with it
        print('"}')


def handle(link, rid, req):
    """Answer one program/logs/config request (a dict). Never raises: a failure is a reply."""
    try:
        cmd = req.get("cmd")
        if cmd == "household":  # pairing, status, wake everyone (pod.household.linkhh)
            from pod.household import linkhh
            linkhh.handle(rid, req, err)
        elif cmd == "logs":
            from pod import linklogs
            linklogs.handle(rid, req)
        elif cmd != "program":
            from pod import linkconfig
            linkconfig.handle(link, rid, req)
        elif req.get("op") == "commit":
            from pod import lfcommit
            lfcommit.commit(link, rid)
        else:
            from pod import lfup
            lfup.handle(link, rid, req)
    except Exception as e:  # noqa: BLE001 - a request must never stop the night's loop
        try:
            if isinstance(e, ValueError):
                err(rid, "bad_request", str(e.args[0]) if e.args else "bad request")
            elif isinstance(e, OSError):
                err(rid, "storage", "flash error %s" % (e.args[0] if e.args else ""))
            else:
                err(rid, "storage", "failed: %r" % e)
        except Exception:  # noqa: BLE001 - no heap even for the error reply: none is sent
            pass
    finally:
        for m in ("lfup", "lfcommit", "linklogs", "linkconfig", "store", "program",
                  "household.linkhh", "linkfiles"):
            forget("pod." + m)
