# bedtime-pod firmware package. Copied to the board as-is (or compiled with mpy-cross).
# A leaf (it imports no other firmware module) holding what is shared and always at hand:
# lazy() and forget(), which every lazily loaded module goes through, and the serial link's
# one reply formatter (ok, err), used by the dispatcher (pod.serial_link) and every handler
# it loads. (Kept here, where they cost no module of their own in the heap.)
import sys

VERSION = "0.1.0"


def forget(name):
    """Unload a firmware module ("pod.flash_store") so the garbage collector can take its code
    back. Its globals are emptied too: an object still holding one of its functions keeps that
    function, but not every other one of the module through their shared globals."""
    mod = sys.modules.pop(name, None)
    if mod is None:
        return
    mod.__dict__.clear()
    pkg, _, leaf = name.rpartition(".")
    parent = sys.modules.get(pkg)
    if parent is not None and leaf in parent.__dict__:
        delattr(parent, leaf)


def lazy(name, fn, *args):
    """Import the module `name` ("pod.link.control"), call its function fn with args, then
    forget the module and collect, whatever happened: import, call, forget. For code used
    rarely (boot, a serial request, a program commit), whose bytecode is worth more as free
    heap for the night. Returns what fn returned; its exceptions pass through. (What the
    module itself imported and no longer needs, it forgets itself: pod.link,
    pod.file_spec, pod.link.commit.)"""
    try:
        __import__(name)
        return getattr(sys.modules[name], fn)(*args)
    finally:
        forget(name)
        import gc  # (imported here, not at the top: one name fewer in this resident module)
        gc.collect()


# -- the serial link's replies, one line each -------------------------------------------------
#   {"id": <id or null>, "ok": true, ...}
#   {"id": <id or null>, "ok": false, "error": {"code": "<code>", "message": "<text>"}, ...}
# rid is the request's id already as JSON ("null", "7", '"a"'); a message is JSON-escaped here.
def ok(rid, body=""):
    """A success reply: body is the rest of the object, as JSON text starting with a comma.
    (A read's reply, printed in pieces, opens the same way: pod.link.file_read.)"""
    print('{"id":%s,"ok":true%s}' % (rid, body))


def err(rid, code, message, extra="", detail=""):
    """An error reply; extra is more of the reply and detail more of its error object, each
    as JSON text starting with a comma. (A refusal gives its pod.reasons REF_* number as
    detail: the words live on the host.)"""
    import json  # (here, not at the top: one name fewer in this resident module)
    print('{"id":%s,"ok":false,"error":{"code":"%s"%s,"message":%s}%s}' % (
        rid, code, detail, json.dumps(message), extra))
