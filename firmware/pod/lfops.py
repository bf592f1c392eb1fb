# The serial link's file commands but commit (pod.lfcommit): program info/read/begin/chunk/
# abort, logs list/read, config get/set. Loaded by pod.linkfiles for one request, then unloaded.
# An upload goes into program.tmp; its state lives on the Link object (link.up =
# [size, crc, bytes received, CRC so far]). Nothing else changes before commit.
import binascii
import json
import os

from micropython import const

from pod.linkfiles import err, num, ok

_CHUNK = const(96)
TEMP = "program.tmp"      # pod.store.TEMP
_MAX_PROGRAM = const(4096)  # pod.store.MAX_PROGRAM
_SOURCES = ("file", "previous", "default")


def handle(link, rid, req):
    cmd = req["cmd"]
    op = req.get("op")
    if cmd == "program":
        _program(link, rid, op, req)
    elif cmd == "logs":
        _logs(rid, op, req)
    else:
        _config(link, rid, op, req)


def _read(rid, name, req, end=1 << 24):
    off = num(req, "off", 0, end)
    n = min(num(req, "n", 0, _CHUNK), end - off)
    with open(name, "rb") as f:
        f.seek(off)
        data = f.read(n)
    ok(rid, ',"off":%d,"data":"%s"' % (off, binascii.b2a_base64(data).decode().strip()))


def _program(link, rid, op, req):
    app = link.app
    up = getattr(link, "up", None)
    if op == "info" or op == "read":
        name, src, n, crc, pname = app.prog
        if op == "info":
            ok(rid, ',"name":%s,"size":%d,"crc":%d,"source":"%s"' % (
                json.dumps(pname), n, crc, _SOURCES[src]))
        elif name:
            _read(rid, name, req, n)  # the payload comes first in the file
        else:  # the built-in default, as json.dumps writes it
            from pod import program
            d = json.dumps(program.DEFAULT).encode()
            off = num(req, "off", 0, len(d))
            ok(rid, ',"off":%d,"data":"%s"' % (off, binascii.b2a_base64(
                d[off:off + num(req, "n", 0, _CHUNK)]).decode().strip()))
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


def _logs(rid, op, req):
    from pod import journal
    if op == "list":
        parts = []
        for seq in journal.files():
            name = journal.file_name(seq)
            parts.append('{"name":"%s","size":%d}' % (name, os.stat(name)[6]))
        ok(rid, ',"files":[%s]' % ",".join(parts))
    elif op == "read":
        name = req.get("name")
        if (type(name) is not str or not name.startswith(journal.PREFIX)
                or not name.endswith(journal.SUFFIX) or "/" in name):
            raise ValueError("name: a journal file from logs list")
        _read(rid, name, req)
    else:
        raise ValueError("op: list or read")


def _config(link, rid, op, req):
    from pod import store
    if op == "get":
        d = store.load_settings([])
        ok(rid, ',"config":' + json.dumps(d))
    elif op == "set":
        new = req.get("config")
        errs = store.check_settings(new)
        if not errs:
            d = store.load_settings([])
            for k in new:
                d[k] = new[k]
        if errs:
            err(rid, "invalid", "; ".join(errs), ',"errors":' + json.dumps(errs))
            return
        store.seal_replace(store.SETTINGS_TMP, store.SETTINGS, json.dumps(d).encode())
        app = getattr(link, "app", None)
        if app is not None:  # light level and cap at once; the HR band with the next program load
            # (core.Settings, which clamps to the safe limits again; core is not imported here)
            app.pod.settings = type(app.pod.settings)(d["wake_level"], d["cap_min"] * 60000)
        ok(rid, ',"config":' + json.dumps(d))
    else:
        raise ValueError("op: get or set")
