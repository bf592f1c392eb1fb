# The serial link's file commands: program (info/read/begin/chunk/commit/abort), logs
# (list/read) and config (get/set). Imported by pod.link for one request at a time and dropped
# from the heap again afterwards; the state of an upload lives on the Link object (link.up).
#
# An upload goes into program.tmp; nothing else changes until commit checks the size, the
# CRC32, the JSON and the validator, seals the file and renames it into place (pod.store).
# A reset mid-upload leaves an unsealed program.tmp, which the next boot deletes.
import binascii
import json
import os
import sys

from micropython import const

from pod import core

_CHUNK = const(96)


def _ok(rid, body=""):
    print('{"id":%s,"ok":true%s}' % (rid, body))


def _err(rid, code, message, extra=""):
    print('{"id":%s,"ok":false,"error":{"code":"%s","message":%s}%s}' % (
        rid, code, json.dumps(message), extra))


def _int(req, key, lo, hi):
    v = req.get(key)
    if type(v) is not int or v < lo or v > hi:
        raise ValueError("%s: a whole number %d..%d" % (key, lo, hi))
    return v


def _read(rid, name, req, end=1 << 24):
    off = _int(req, "off", 0, end)
    n = min(_int(req, "n", 0, _CHUNK), end - off)
    with open(name, "rb") as f:
        f.seek(off)
        data = f.read(n)
    _ok(rid, ',"off":%d,"data":"%s"' % (off, binascii.b2a_base64(data).decode().strip()))


def seal_replace(store, tmp, name, payload, previous=None):
    """Write payload (bytes) crash-safely as `name` (see pod.store for what a power cut at
    each step leaves). Raises OSError or ValueError; then nothing changed but a leftover tmp."""
    crc = binascii.crc32(payload)
    with open(tmp, "wb") as f:
        f.write(payload)
        f.write(b"%s%d %08x\n" % (store.SEAL, len(payload), crc))
    replace(store, tmp, name, len(payload), crc, previous)


def replace(store, tmp, name, n, crc, previous):
    """Read the sealed tmp back from flash and check it, then: name -> previous (if name
    passes its check; a damaged one is dropped, so a good previous is never lost), tmp -> name."""
    r = store.read_checked(tmp)
    if r is None or r[1] != n or r[2] != crc or r[0].rfind(store.SEAL) != n:
        raise ValueError("read-back mismatch")
    r = None
    if previous is not None and store.size_of(name) >= 0:
        try:
            ok = store.read_checked(name) is not None
        except ValueError:
            ok = False
        if ok:
            os.rename(name, previous)
        else:
            os.remove(name)
    os.rename(tmp, name)


def check_settings(store, d):
    """Every problem with a (partial) settings dict, as "key: reason" strings."""
    if not isinstance(d, dict):
        return ["config: must be a JSON object"]
    errs = []
    keys = [s[0] for s in store.SETTINGS_SPEC]
    for k in d:
        if k not in keys:
            errs.append("%s: unknown key" % k)
    for key, kind, lo, hi, _ in store.SETTINGS_SPEC:
        if key in d:
            e = store.field_error(key, kind, lo, hi, d[key])
            if e:
                errs.append(e)
    return errs


def handle(link, rid, req):
    """Answer one program/logs/config request (a dict), then unload this module."""
    try:
        cmd = req["cmd"]
        op = req.get("op")
        if cmd == "program":
            _program(link, rid, op, req)
        elif cmd == "logs":
            _logs(rid, op, req)
        else:
            _config(link, rid, op, req)
    except ValueError as e:
        _err(rid, "bad_request", str(e.args[0]) if e.args else "bad request")
    except OSError as e:
        _err(rid, "storage", "flash error %s" % (e.args[0] if e.args else ""))
    except Exception as e:  # noqa: BLE001 - a request must never stop the night's loop
        _err(rid, "storage", "failed: %r" % e)
    finally:
        for m in ("linkfiles", "store", "program"):
            _forget(m)


def _forget(leaf):
    """Unload pod.<leaf> so the garbage collector can take its code back (as app._forget)."""
    sys.modules.pop("pod." + leaf, None)
    pkg = sys.modules.get("pod")
    if pkg is not None and leaf in pkg.__dict__:
        delattr(pkg, leaf)


def _program(link, rid, op, req):
    from pod import store
    app = getattr(link, "app", None)
    up = getattr(link, "up", None)  # [size, crc, received, running crc] of an upload
    if op == "info":
        if app is None:
            raise ValueError("no application")
        name, src, n, crc, pname = app.prog
        if not name:
            from pod import program
            d = json.dumps(program.DEFAULT).encode()
            n = len(d)
            crc = binascii.crc32(d)
        _ok(rid, ',"name":%s,"size":%d,"crc":%d,"source":"%s"' % (
            json.dumps(pname), n, crc, store.SOURCES[src]))
    elif op == "read":
        if app is None:
            raise ValueError("no application")
        name = app.prog[0]
        if name:
            _read(rid, name, req, app.prog[2])  # the payload comes first in the file
        else:
            from pod import program
            d = json.dumps(program.DEFAULT).encode()
            off = _int(req, "off", 0, len(d))
            n = _int(req, "n", 0, _CHUNK)
            _ok(rid, ',"off":%d,"data":"%s"' % (
                off, binascii.b2a_base64(d[off:off + n]).decode().strip()))
    elif op == "begin":
        size = _int(req, "size", 1, store.MAX_PROGRAM)
        crc = _int(req, "crc", 0, 0xFFFFFFFF)
        with open(store.TEMP, "wb"):
            pass
        link.up = [size, crc, 0, 0]
        _ok(rid)
    elif op == "chunk":
        if up is None:
            _err(rid, "no_upload", "no upload begun")
            return
        off = req.get("off")
        data = binascii.a2b_base64(req.get("data", ""))
        if off != up[2] or len(data) > _CHUNK or up[2] + len(data) > up[0]:
            _err(rid, "bad_chunk", "expected offset %d, at most %d bytes up to size %d" % (
                up[2], _CHUNK, up[0]), ',"next":%d' % up[2])
            return
        with open(store.TEMP, "ab") as f:
            f.write(data)
        up[2] += len(data)
        up[3] = binascii.crc32(data, up[3])
        _ok(rid, ',"next":%d' % up[2])
    elif op == "commit":
        _commit(link, rid, up, app)
    elif op == "abort":
        link.up = None
        store.remove(store.TEMP)
        _ok(rid)
    else:
        raise ValueError("op: info, read, begin, chunk, commit or abort")


def _commit(link, rid, up, app):
    from pod import store
    if up is None:
        _err(rid, "no_upload", "no upload begun")
        return
    link.up = None
    try:
        if up[2] != up[0] or up[3] != up[1]:
            _err(rid, "crc_mismatch", "received %d of %d bytes, CRC %d (expected %d)" % (
                up[2], up[0], up[3], up[1]))
            return
        r = store.read_checked(store.TEMP)  # what the flash holds, not what we were sent
        if r is None or r[1] != up[0] or r[2] != up[1]:
            _err(rid, "crc_mismatch", "the stored upload does not match its CRC")
            return
        try:
            prog = json.loads(store.payload(r))
        except ValueError:
            prog = None
        r = None
        from pod import program
        errs = ["program: not valid JSON"] if prog is None else program.validate(prog)
        if errs:
            _err(rid, "invalid", "; ".join(errs), ',"errors":' + json.dumps(errs))
            return
        with open(store.TEMP, "ab") as f:
            f.write(b"%s%d %08x\n" % (store.SEAL, up[0], up[1]))
        replace(store, store.TEMP, store.PROGRAM, up[0], up[1], store.PREVIOUS)
        name = prog.get("name", "") if isinstance(prog, dict) else ""
    except (OSError, ValueError) as e:
        _err(rid, "storage", "could not store the program: %s" % (e.args[0] if e.args else e))
        return
    finally:
        store.remove(store.TEMP)
    if app is not None:
        # the next night runs it; never this one
        app.prog = (store.PROGRAM, 0, up[0], up[1], name)
        app.plan_stale = True
        if not core.in_session(app.pod.state) and app.pod.state != core.ALARM:
            app.reload_plan()
    _ok(rid, ',"name":%s' % json.dumps(name))


def _logs(rid, op, req):
    from pod import journal
    if op == "list":
        parts = []
        for seq in journal.files():
            name = journal.file_name(seq)
            parts.append('{"name":"%s","size":%d}' % (name, os.stat(name)[6]))
        _ok(rid, ',"files":[%s]' % ",".join(parts))
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
        _ok(rid, ',"config":' + json.dumps(d))
    elif op == "set":
        new = req.get("config")
        errs = check_settings(store, new)
        if not errs:
            d = store.load_settings([])
            for k in new:
                d[k] = new[k]
        if errs:
            _err(rid, "invalid", "; ".join(errs), ',"errors":' + json.dumps(errs))
            return
        seal_replace(store, store.SETTINGS_TMP, store.SETTINGS, json.dumps(d).encode())
        app = getattr(link, "app", None)
        if app is not None:  # light level and cap at once; the HR band with the next program load
            app.pod.settings = core.Settings(d["wake_level"], d["cap_min"] * 60000)
        _ok(rid, ',"config":' + json.dumps(d))
    else:
        raise ValueError("op: get or set")
