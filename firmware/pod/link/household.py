# The serial link's household command, loaded for one request and dropped again:
#   {"cmd": "household", "op": "status"}                 what the pod may show (never the key)
#   {"cmd": "household", "op": "begin", "household": {role, id, name, channel, key}}
#   {"cmd": "household", "op": "peer", "peer": {id, name, role, mac}}     (once per peer)
#   {"cmd": "household", "op": "commit"}   checked (path-precise errors), then written
#   {"cmd": "household", "op": "leave"}    the pod leaves: file removed, radio off at once
#   {"cmd": "household", "op": "wake_all"} on a parent's pod: a wake on every pod
#   {"cmd": "household", "op": "bedtime", "minutes": N}   on a parent's pod: wind-downs start
# A request line holds at most 256 bytes, so pairing comes in pieces (begin, peer..., commit),
# gathered in household.tmp. A committed household is used from the next boot. No reply, error
# or event ever carries the key.
import json
import os
import sys
import time

from micropython import const

from pod import err, ok
from pod.file_spec import HOUSEHOLD as FILE
from pod.file_spec import HOUSEHOLD_TMP as TEMP

# pod.reasons' numbers for a refused wake_all or bedtime (the host words them; private here as
# there: tests/test_podctl_household.py checks they agree), and the longest bedtime's minutes
_REF_NO_HOUSEHOLD = const(6)
_REF_NOT_PARENT = const(7)
_BEDTIME_MAX = const(240)


def _read(name):
    with open(name) as f:
        return json.loads(f.read())


def _write(name, d):
    with open(name, "w") as f:
        f.write(json.dumps(d))


def _live():
    m = sys.modules.get("pod.household.hook")
    h = None if m is None else m.live
    return h if hasattr(h, "node") else None  # (the core, when no Hook could be made)


def handle(rid, req):
    op = req.get("op")
    h = _live()
    if op == "status":
        if h is not None and not h.off:
            ok(rid, ',"household":' + json.dumps(h.status(time.ticks_ms())))
        else:
            try:
                os.stat(FILE)
                paired = "true"
            except OSError:
                paired = "false"
            m = sys.modules.get("pod.household.hook")
            ok(rid, ',"household":null,"paired":%s,"fault":%s' % (
                paired, json.dumps(m.why if m is not None else "")))
    elif op == "begin":
        d = req.get("household")
        if not isinstance(d, dict) or "peers" in d:
            err(rid, "invalid", "household: an object without peers (they come one by one)")
            return
        d["peers"] = []
        _write(TEMP, d)
        ok(rid)
    elif op == "peer":
        p = req.get("peer")
        try:
            d = _read(TEMP)
        except (OSError, ValueError):
            err(rid, "invalid", "household: begin first")
            return
        d["peers"].append(p)
        _write(TEMP, d)
        ok(rid, ',"peers":%d' % len(d["peers"]))
    elif op == "commit":
        try:
            d = _read(TEMP)
        except (OSError, ValueError):
            err(rid, "invalid", "household: begin first")
            return
        from pod.household import settings
        errs = settings.check(d)
        if errs:
            os.remove(TEMP)  # (it holds the key: nothing half-paired stays on the flash)
            print('{"id":%s,"ok":false,"error":{"code":"invalid","message":%s},"errors":%s}'
                  % (rid, json.dumps(errs[0]), json.dumps(errs)))
            return
        os.rename(TEMP, FILE)
        ok(rid, ',"applies":"next_boot","household":' + json.dumps(settings.Household(d).status()))
    elif op == "leave":
        for name in (FILE, TEMP):
            try:
                os.remove(name)
            except OSError:
                pass
        if h is not None:
            h.leave()
        ok(rid, ',"household":null')
    elif op == "wake_all" or op == "bedtime":
        if h is None or h.off:
            err(rid, "refused", "this pod is in no household", "", ',"reason":%d' % _REF_NO_HOUSEHOLD)
        elif h.role != 1:  # policy.ROLE_PARENT
            err(rid, "refused", "only a parent's pod can do that", "", ',"reason":%d' % _REF_NOT_PARENT)
        elif op == "wake_all":
            h.wake_everyone(time.ticks_ms())
            ok(rid)
        else:
            m = req.get("minutes", 0)
            h.bedtime(time.ticks_ms(), m if isinstance(m, int) and 0 <= m <= _BEDTIME_MAX else 0)
            ok(rid)
    else:
        err(rid, "bad_request", "op: status, begin, peer, commit, leave, wake_all or bedtime")
