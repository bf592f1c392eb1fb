# {"cmd":"program","op":"commit"}: check the upload in program.tmp and put it in place.
# The heap beside a running night cannot hold the link code, the validator and the store at
# once, so the work comes in steps:
#   commit() (in the request, from pod.linkfiles): the size and CRC32 streamed from flash;
#   finish() (run by the App from its loop on the next tick (App._commit), with no link code loaded, or at
#   once when there is no App): JSON parsed from the file and validated (pod.program, then
#   unloaded), then the file sealed and renamed into place (pod.store.replace), then the reply.
# A reset between the steps leaves an unsealed program.tmp: the next boot deletes it.
import binascii
import gc
import json
import os

from pod import forget

TEMP = "program.tmp"  # pod.store.TEMP


def _reply(rid, body):
    print('{"id":%s,%s}' % (rid, body))


def _err(rid, code, message, extra=""):
    _reply(rid, '"ok":false,"error":{"code":"%s","message":%s}%s' % (
        code, json.dumps(message), extra))


def _remove_temp():
    try:
        os.remove(TEMP)
    except OSError:
        pass


def commit(link, rid):
    up = getattr(link, "up", None)  # [size, crc, received, running crc]
    if up is None:
        _err(rid, "no_upload", "no upload begun")
        return
    link.up = None
    size = up[0]
    crc = up[1]
    n = c = 0
    buf = bytearray(64)
    mv = memoryview(buf)
    try:
        with open(TEMP, "rb") as f:  # the bytes on flash, not the ones we were sent
            while True:
                k = f.readinto(buf)
                if not k:
                    break
                c = binascii.crc32(mv[:k], c)
                n += k
    except OSError:
        n = -1
    if n != size or c != crc:
        _remove_temp()
        _err(rid, "crc_mismatch", "have %d of %d bytes, CRC %d (expected %d)" % (
            n, size, c, crc))
        return
    app = getattr(link, "app", None)
    if app is None:
        finish(None, rid, size, crc)
    else:
        app.job = (rid, size, crc)  # App.tick calls finish() next


def finish(app, rid, size, crc):
    """Validate, seal and put in place the checked upload; reply. Never raises."""
    try:
        _finish(app, rid, size, crc)
    except Exception as e:  # noqa: BLE001 - MemoryError included: a reply, never a crash
        try:
            _err(rid, "storage", "could not store the program: %r" % e)
        except Exception:  # noqa: BLE001 - no heap even for the reply: none is sent
            pass
    finally:
        _remove_temp()  # left only if the commit failed
        forget("pod.program")
        forget("pod.store")


def _finish(app, rid, size, crc):
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
    forget("pod.program")
    gc.collect()
    if errs:
        _err(rid, "invalid", "; ".join(errs), ',"errors":' + json.dumps(errs))
        return
    from pod import store
    with open(TEMP, "ab") as f:
        f.write(b"%s%d %08x\n" % (store.SEAL, size, crc))
    store.replace(TEMP, store.PROGRAM, size, crc, store.PREVIOUS)
    store = None
    forget("pod.store")
    _reply(rid, '"ok":true,"name":%s' % json.dumps(name))
    if app is not None:
        # the next night runs it, never this one
        app.prog = ("program.json", 0, size, crc, name)  # pod.store.PROGRAM
        app.plan_stale = True
        pod = app.pod  # no night under way, no alarm or wake waiting for its answer (#11)
        if not (pod.night or pod.unanswered()):
            reload_plan(app)


def reload_plan(app):
    """Put the stored program into the core (after an upload; never mid-session). If the heap
    cannot hold the store and the validator beside the running firmware, a pod that is idle
    restarts (a deliberate reset, its lights off anyway) and loads the program at boot;
    otherwise plan_stale stays and the App tries again at the next change of state."""
    from pod.app import SOURCES, load_files
    try:
        _, plan, app.prog, probs = load_files()
    except MemoryError:
        if app.pod.state == 0:  # IDLE
            m = app.marker
            m.deliberate = 1
            m.save()
            import machine
            machine.reset()
        return
    app.plan_src = SOURCES[app.prog[1]]
    app.plan_stale = False
    app.pod.plan = plan
    app.heart.est.set_band(plan.hr_low, plan.hr_high)
    for p in probs:
        app.journal.fault(0, p)
