# The serial link's program commands but commit (pod.lfcommit): info, read, begin, chunk,
# abort. Loaded by pod.linkfiles for one request, then unloaded; kept small, as an upload is
# many requests beside a running night. An upload goes into program.tmp; its state lives on the
# Link object (link.up = [size, crc, bytes received, CRC so far]). Nothing else changes before
# commit.
import binascii
import json
import os

from micropython import const

from pod.linkfiles import READ_MAX, err, num, ok, read

_CHUNK = const(138)  # upload bytes per chunk: 184 base64 characters, the request fits 256 bytes
TEMP = "program.tmp"        # pod.store.TEMP
_MAX_PROGRAM = const(4096)  # pod.store.MAX_PROGRAM
_SOURCES = ("file", "previous", "default")


def handle(link, rid, req):
    app = link.app
    up = getattr(link, "up", None)
    op = req.get("op")
    if op == "info" or op == "read":
        name, src, n, crc, pname = app.prog
        if op == "info":
            ok(rid, ',"name":%s,"size":%d,"crc":%d,"source":"%s"' % (
                json.dumps(pname), n, crc, _SOURCES[src]))
        elif name:
            read(rid, name, req, n)  # the payload comes first in the file
        else:  # the built-in default, as json.dumps writes it
            from pod import program
            d = json.dumps(program.DEFAULT).encode()
            off = num(req, "off", 0, len(d))
            ok(rid, ',"off":%d,"data":"%s"' % (off, binascii.b2a_base64(
                d[off:off + num(req, "n", 0, READ_MAX)]).decode().strip()))
    elif op == "begin":
        size = num(req, "size", 1, _MAX_PROGRAM)
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
        if off != up[2] or len(data) > _CHUNK or up[2] + len(data) > up[0]:
            err(rid, "bad_chunk", "expected offset %d, at most %d bytes up to size %d" % (
                up[2], _CHUNK, up[0]), ',"next":%d' % up[2])
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


