# Reading a stored file over the link: a logs read (logs_read), and a program read's file
# (read, for pod.link.program_read); and the check of a request's number fields (num). A
# leaf: loaded for the request that needs it, dropped after it.
import binascii

from micropython import const

# Bytes a read answers at most: a reply is not held to the 256-byte request line, so a read
# moves 512 bytes (a 700-byte line, 60 ms at 115200 baud) and a full journal takes seconds.
READ_MAX = const(512)
# The reply's data is printed in pieces of this many raw bytes (64 base64 characters): beside
# a night the heap has room for small blocks, rarely for one 700-byte line.
_PIECE = const(48)


def num(req, key, lo, hi):
    """req[key], a whole number in lo..hi; else ValueError (a bad_request reply)."""
    v = req.get(key)
    if type(v) is not int or v < lo or v > hi:
        raise ValueError("%s: a whole number %d..%d" % (key, lo, hi))
    return v


def logs_read(rid, req):
    """{"cmd":"logs","op":"read","name":...}: a journal file from logs list, in pieces."""
    from pod import journal
    name = req.get("name")
    if (type(name) is not str or not name.startswith(journal.PREFIX)
            or not name.endswith(journal.SUFFIX) or "/" in name):
        raise ValueError("name: a journal file from logs list")
    read(rid, name, req)


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
        print('{"id":%s,"ok":true,"off":%d,"data":"' % (rid, off), end="")  # as pod.ok, left open
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
