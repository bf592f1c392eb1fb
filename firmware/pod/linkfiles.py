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
_READ_MIN = const(96)  # ...and at least this much, or a storage error: no memory


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
    """Reply with up to READ_MAX bytes of a file from req's off, as base64; with less when the
    heap beside a night has no room for that much (the host goes on from what it got)."""
    off = num(req, "off", 0, end)
    n = min(num(req, "n", 0, READ_MAX), end - off)
    while True:
        try:  # each copy let go as soon as the next is made: few and small blocks at once
            with open(name, "rb") as f:
                f.seek(off)
                data = f.read(n)
            data = binascii.b2a_base64(data, newline=False)
            data = data.decode()
            print('{"id":%s,"ok":true,"off":%d,"data":"%s"}' % (rid, off, data))
            return
        except MemoryError:
            if n <= _READ_MIN:
                raise
            data = None
            n = max(_READ_MIN, n // 2)


def handle(link, rid, req):
    """Answer one program/logs/config request (a dict). Never raises: a failure is a reply."""
    try:
        cmd = req.get("cmd")
        if cmd == "logs":
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
        for m in ("lfup", "lfcommit", "linklogs", "linkconfig", "store", "program", "linkfiles"):
            forget("pod." + m)
