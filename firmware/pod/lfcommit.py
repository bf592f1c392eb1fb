# {"cmd":"program","op":"commit"}: check the upload in program.tmp and put it in place.
# Loaded by pod.linkfiles for this request only. The heap beside a running night cannot hold
# this, the validator and the store at once, so they come in turn: the CRC is streamed from
# flash, the JSON parsed from the file and validated (pod.program, then unloaded), then the
# file is sealed and renamed into place (pod.store.replace).
import binascii
import gc
import json
import os

from pod import core
from pod.linkfiles import err, forget, ok

TEMP = "program.tmp"  # pod.store.TEMP


def commit(link, rid):
    up = getattr(link, "up", None)  # [size, crc, received, running crc]
    if up is None:
        err(rid, "no_upload", "no upload begun")
        return
    link.up = None
    try:
        _commit(link, rid, up[0], up[1])
    finally:
        try:
            os.remove(TEMP)  # left only if the commit failed
        except OSError:
            pass


def _commit(link, rid, size, crc):
    # the bytes on flash, not the ones we were sent
    n = c = 0
    buf = bytearray(64)
    mv = memoryview(buf)
    with open(TEMP, "rb") as f:
        while True:
            k = f.readinto(buf)
            if not k:
                break
            c = binascii.crc32(mv[:k], c)
            n += k
    buf = mv = None
    if n != size or c != crc:
        err(rid, "crc_mismatch", "have %d of %d bytes, CRC %d (expected %d)" % (n, size, c, crc))
        return
    gc.collect()
    from pod import program  # first: the parsed program then fits in what is left
    try:
        with open(TEMP) as f:
            prog = json.load(f)
    except ValueError:
        prog = None
    errs = ["program: not valid JSON"] if prog is None else program.validate(prog)
    name = prog.get("name", "") if isinstance(prog, dict) and not errs else ""
    prog = program = None
    forget("program")
    gc.collect()
    if errs:
        err(rid, "invalid", "; ".join(errs), ',"errors":' + json.dumps(errs))
        return
    from pod import store
    try:
        with open(TEMP, "ab") as f:
            f.write(b"%s%d %08x\n" % (store.SEAL, size, crc))
        store.replace(TEMP, store.PROGRAM, size, crc, store.PREVIOUS)
    except (OSError, ValueError) as e:
        err(rid, "storage", "could not store the program: %s" % (e.args[0] if e.args else e))
        return
    store = None
    forget("store")
    app = link.app
    if app is not None:
        # the next night runs it, never this one
        app.prog = ("program.json", 0, size, crc, name)  # pod.store.PROGRAM
        app.plan_stale = True
        if not core.in_session(app.pod.state) and app.pod.state != core.ALARM:
            app.reload_plan()
    ok(rid, ',"name":%s' % json.dumps(name))

