# The link's program upload but its commit (pod.link.commit): begin, chunk, abort. Loaded by
# pod.link for one request, then dropped; kept small, as an upload is many requests
# beside a running night. An upload goes into pod.file_spec.TEMP; its state lives on the Link
# object (link.up = [size, crc, bytes received, CRC so far]). Nothing else changes before commit.
import binascii
import os

from pod import err, ok
from pod.file_spec import CHUNK, MAX_PROGRAM, TEMP
from pod.link.file_read import num


def handle(link, rid, req):
    up = getattr(link, "up", None)
    op = req.get("op")
    if op == "begin":
        size = num(req, "size", 1, MAX_PROGRAM)
        crc = num(req, "crc", 0, 0xFFFFFFFF)
        with open(TEMP, "wb"):
            pass
        link.up = [size, crc, 0, 0]
        ok(rid)
    elif op == "chunk":
        if up is None:
            err(rid, "no_upload", "no upload begun")
            return
        off = req.get("off")
        data = binascii.a2b_base64(req.get("data", ""))
        if off != up[2] or len(data) > CHUNK or up[2] + len(data) > up[0]:
            err(rid, "bad_chunk", "expected offset %d, at most %d bytes up to size %d" % (
                up[2], CHUNK, up[0]), ',"next":%d' % up[2])
            return
        with open(TEMP, "ab") as f:
            f.write(data)
        up[2] += len(data)
        up[3] = binascii.crc32(data, up[3])
        ok(rid, ',"next":%d' % up[2])
    elif op == "abort":
        link.up = None
        try:
            os.remove(TEMP)
        except OSError:
            pass
        ok(rid)
    else:
        raise ValueError("op: info, read, begin, chunk, commit or abort")
