# The link's program info and read: which program the pod runs (name, size, CRC32, where it
# came from) and its bytes. Loaded by pod.link for one request, then dropped.
import binascii
import json

from pod import ok
from pod.file_spec import SOURCES
from pod.link.file_read import READ_MAX, num, read


def handle(link, rid, req):
    name, src, n, crc, pname = link.app.prog
    if req.get("op") == "info":
        ok(rid, ',"name":%s,"size":%d,"crc":%d,"source":"%s"' % (
            json.dumps(pname), n, crc, SOURCES[src]))
    elif name:
        read(rid, name, req, n)  # the payload comes first in the file
    else:  # the built-in default, as json.dumps writes it (pod.program: dropped after the request)
        from pod import program
        d = json.dumps(program.DEFAULT).encode()
        off = num(req, "off", 0, len(d))
        ok(rid, ',"off":%d,"data":"%s"' % (off, binascii.b2a_base64(
            d[off:off + num(req, "n", 0, READ_MAX)]).decode().strip()))
