# The household's boot, loaded once by pod.household.hook.start and forgotten after (pod.lazy),
# with what only it needs: the settings and their checker (pod.household.settings), the boot
# epoch (pod.household.epoch) and the file's name. The Hook keeps only what its ticks use.
import json

from pod import forget, lazy
from pod.file_spec import HOUSEHOLD as FILE
from pod.household import policy, radio


def boot(app, now, cls):
    """The Hook (of class cls, pod.household.hook.Hook) for this boot; if it cannot be made (a
    bad file, no heap), the fault logged and returned as text: the pod runs alone. Never
    raises."""
    probs = []
    try:
        with open(FILE) as f:
            d = json.loads(f.read())
        from pod.household import settings
        hh = settings.Household(d)  # ValueError names the first problem's path, never the key
        d = None
        rad = radio.Radio(hh.channel, [p.mac for p in hh.peers])
        h = cls(app, hh, lazy("pod.household.epoch", "bump", probs), rad, now)
        hh = None
    except Exception as e:  # noqa: BLE001 - whatever is wrong, the pod runs alone
        msg = "household: %s, the pod runs alone" % (
            e.args[0] if isinstance(e, ValueError) and e.args else e.__class__.__name__)
        try:
            app.journal.fault(0, msg)
            print('{"t":"evt","ev":"household","msg":%s}' % json.dumps({"fault": msg}))
        except Exception:  # noqa: BLE001
            pass
        return msg
    finally:
        forget("pod.household.settings")
        forget("pod.file_spec")
    if rad.state != radio.S_UP:
        h._fault("household: radio did not start (%s), retried every %d s" % (
            rad.last_error or "?", radio.RETRY_MS // 1000))
    for p in probs:
        h._fault("household: " + p)
    h.event({"on": h.node.name.decode(), "role": policy.ROLE_NAMES[h.role],
             "epoch": h.node.epoch})
    return h
