# The household's boot, loaded once by pod.household.hook.start and forgotten after (pod.lazy),
# with what only it needs: the boot epoch (pod.household.epoch), the settings and their checker
# (pod.household.settings), each loaded for its step only, and the file's name. The Hook keeps
# only what its ticks use.
import json

from pod import forget, lazy
from pod.file_spec import HOUSEHOLD as FILE


def boot(app, now, cls):
    """The Hook (of class cls, pod.household.hook.Hook) for this boot; if it cannot be made (a
    bad file, no heap), the fault logged and returned as text: the pod runs alone. Never
    raises."""
    probs = []
    rad = None
    try:
        # one step at a time, each module forgotten and its garbage collected before the next
        # (the heap is short, and what stays is made last, into the room they leave); the
        # settings first, before any module the Hook keeps is loaded (a ValueError names the
        # first problem's path, never the key)
        hh = lazy("pod.household.settings", "load", FILE)
        ep, boot = lazy("pod.household.epoch", "begin", probs)
        from pod.household import node, radio  # (they stay: the Hook's ticks use them)
        rad = radio.Radio(hh.channel, [p.mac for p in hh.peers])
        h = cls(app, node.Node(hh, ep, boot, rad, now & 0x3FFFFFFF), now)
        hh = None
    except Exception as e:  # noqa: BLE001 - whatever is wrong, the pod runs alone
        if rad is not None:
            rad.stop()  # (made, maybe started by the Node: nobody would read it)
        msg = "household: %s, the pod runs alone" % (
            e.args[0] if isinstance(e, ValueError) and e.args else e.__class__.__name__)
        try:
            app.journal.fault(0, msg)
            print('{"t":"evt","ev":"household","msg":%s}' % json.dumps({"fault": msg}))
        except Exception:  # noqa: BLE001
            pass
        return msg
    finally:
        forget("pod.file_spec")
    _started(h, rad, probs)
    return h


def _started(h, rad, probs):
    """What the boot reports once the Hook is made. Never raises: the Hook runs whatever
    happens here (a MemoryError only loses a line)."""
    try:
        from pod.household import policy, radio
        if rad.state != radio.S_UP:
            h._fault("household: radio did not start (%s), retried every %d s" % (
                rad.last_error or "?", radio.RETRY_MS // 1000))
        for p in probs:
            h._fault("household: " + p)
        h.event({"on": h.node.name.decode(), "role": policy.ROLE_NAMES[h.role],
                 "epoch": h.node.epoch})
    except Exception:  # noqa: BLE001
        pass
