# {"cmd":"program","op":"commit"}: check the upload in pod.file_spec.TEMP and put it in place.
# The heap beside a running night cannot hold the link code, the validator and the store at
# once, so the work comes in steps:
#   commit() (in the request, from pod.link): the size and CRC32 streamed from flash;
#   finish() (run by the App from its loop on the next tick (App._commit), with no link code
#   loaded, or at once when there is no App): JSON parsed from the file and validated
#   (pod.program, then dropped), then the file sealed and renamed into place
#   (pod.flash_store.replace), then the reply. The App is then handed the new program
#   (App.use_program): the next night runs it, never the one under way.
# A reset between the steps leaves an unsealed program file: the next boot deletes it.
import binascii
import gc
import json
import os

from pod import err, forget, lazy, ok
from pod.file_spec import PREVIOUS, PROGRAM, TEMP


def _remove_temp():
    try:
        os.remove(TEMP)
    except OSError:
        pass


def commit(link, rid):
    up = getattr(link, "up", None)  # [size, crc, received, running crc]
    if up is None:
        err(rid, "no_upload", "no upload begun")
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
        err(rid, "crc_mismatch", "have %d of %d bytes, CRC %d (expected %d)" % (
            n, size, c, crc))
        return
    app = getattr(link, "app", None)
    if app is None:
        finish(None, rid, size, crc)
    else:
        app.job = (rid, size, crc, TEMP)  # App.tick calls finish() next (or removes TEMP)


def finish(app, rid, size, crc):
    """Validate, seal and put in place the checked upload; reply. Never raises."""
    try:
        _finish(app, rid, size, crc)
    except Exception as e:  # noqa: BLE001 - MemoryError included: a reply, never a crash
        try:
            err(rid, "storage", "could not store the program: %r" % e)
        except Exception:  # noqa: BLE001 - no heap even for the reply: none is sent
            pass
    finally:
        _remove_temp()  # left only if the commit failed
        forget("pod.program")
        forget("pod.flash_store")
        forget("pod.file_spec")  # (its names are copied here)


def _finish(app, rid, size, crc):
    forget("pod.file_spec")  # (its names are copied here: room for the validator)
    gc.collect()
    # the validator is loaded before the file is parsed (by hand, not pod.lazy): the parsed
    # program then fits in what is left, and the heap is not cut up around it
    from pod import program
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
        err(rid, "invalid", "; ".join(errs), ',"errors":' + json.dumps(errs))
        return
    from pod import flash_store
    with open(TEMP, "ab") as f:
        flash_store.write_seal(f, size, crc)
    flash_store.replace(TEMP, PROGRAM, size, crc, PREVIOUS)
    flash_store = None
    forget("pod.flash_store")
    ok(rid, ',"name":%s' % json.dumps(name))
    if app is not None:
        app.use_program((PROGRAM, 0, size, crc, name))  # stored: the next night runs it
        pod = app.pod  # no night under way, no alarm or wake waiting for its answer (#11)
        if not (pod.night or pod.unanswered()):
            reload(app)


def reload(app):
    """Load the stored program and hand it to the App (after an upload; never mid-session).
    If the heap cannot hold the store and the validator beside the running firmware, a pod
    that is idle restarts (a deliberate reset, its lights off anyway) and loads the program at
    boot; otherwise the App keeps it waiting and tries again at the next change of state."""
    try:
        _, plan, info, probs = lazy("pod.stored_load", "load")
    except MemoryError:
        from pod.core import IDLE  # (resident with an App, as pod.marker is)
        from pod.marker import RESET_ASKED
        if app.pod.state == IDLE:
            m = app.marker
            m.deliberate = RESET_ASKED
            m.save()
            import machine
            machine.reset()
        return
    app.use_program(info, plan, probs)
