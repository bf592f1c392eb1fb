# The serial link's request router, loaded by the dispatcher (pod.serial_link) for one request
# and dropped after it (pod.lazy), with whatever the handler used: a request never has more than
# it needs in the heap. It loads the one handler the request needs (each dropped again) and
# turns a failure into a reply:
#   time, reset, maintenance                          pod.link.control
#   program info, read                                pod.link.program_read
#   program begin, chunk, abort                       pod.link.upload
#   program commit (its heavy step: from the App)     pod.link.commit
#   logs list                                         pod.link.logs
#   logs read                                         pod.link.file_read
#   config get, set                                   pod.link.config
# (The router is this package itself: it is loaded with any handler anyway, so it costs no
# module more.) Storage commands are as agreed for the link protocol (README "Storage").
from pod import err, forget, lazy

_CTL = ("time", "reset", "maintenance")
# what the handlers import beside themselves, dropped after every request
_USED = ("pod.link.file_read", "pod.flash_store", "pod.program", "pod.file_spec")


def handle(link, rid, req):
    """Answer one request (a dict) for a command of the link but hello, status and the core's
    four. Never raises: a failure is a reply."""
    cmd = req.get("cmd")
    if cmd in _CTL:
        try:
            lazy("pod.link.control", "run", rid, cmd, req, link)
        except Exception:  # noqa: BLE001 - a failed command must not stop the loop
            err(rid, "failed", "the pod could not carry out " + cmd)
        return
    try:
        if cmd == "logs":  # (a read in one module: beside a night the heap is short)
            if req.get("op") == "read":
                lazy("pod.link.file_read", "logs_read", rid, req)
            else:
                lazy("pod.link.logs", "handle", rid, req)
        elif cmd == "household":  # pairing, status, wake everyone (pod.household)
            lazy("pod.link.household", "handle", rid, req)
        elif cmd != "program":
            lazy("pod.link.config", "handle", link, rid, req)
        else:
            op = req.get("op")
            if op == "commit":
                lazy("pod.link.commit", "commit", link, rid)
            elif op == "info" or op == "read":
                lazy("pod.link.program_read", "handle", link, rid, req)
            else:
                lazy("pod.link.upload", "handle", link, rid, req)
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
        for m in _USED:
            forget(m)

