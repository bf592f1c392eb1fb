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
# or event ever carries the key. What a request loads of pod.household (the settings, and on a
# pod with no household the package itself) is dropped again with this module: the running
# Hook (pod.household.hook) keeps only what its ticks use, and this module does for it what is
# asked on the link (its status, wake everyone, bedtime, leave).
import json
import os
import sys
import time

from micropython import const

from pod import err, forget, ok
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


# the names of pod.household.radio's states and of pod.household.receiver's counts (C_*)
STATE_NAMES = ("off", "up", "fault")
COUNT_NAMES = ("accepted", "malformed", "unknown", "stale", "replayed", "forged", "hello")


def node_status(n, now_ms):
    """What `status` and telemetry may show of a pod.household.node.Node: radio state and
    counts, frames dropped by kind, peers silent. Never the key."""
    rx = n.rx
    rad = n.radio
    d = {"radio": STATE_NAMES[rad.state], "faults": rad.faults,
         "rx_closed": rad.rx_closed, "sent": rad.tx_ok, "tx_errors": rad.tx_errors,
         "rx_errors": rad.rx_errors, "unacked": n.unacked(), "lost_actions": n.act_lost}
    for k in range(len(COUNT_NAMES)):
        d[COUNT_NAMES[k]] = rx.counts[k]
    d["silent"] = [n.names[i].decode() for i in range(rx.n) if n.silent(i, now_ms)]
    if rad.last_error:
        d["last_error"] = rad.last_error
    return d


def _status(h, now):
    from pod.household import settings
    from pod.reasons import REASON_NAMES
    n = h.node
    rx = n.rx
    d = node_status(n, now & 0x3FFFFFFF)
    d["household"] = settings.shown(n.role, rx.my_id, n.name, n.radio.channel,
                                    [(rx.ids[i], n.names[i], rx.roles[i], rx.macs[i])
                                     for i in range(rx.n)])
    d["announcing"] = [{"from": h._name(i), "why": REASON_NAMES[h.ann_reason[i]]}
                       for i in range(len(h.ann_reason)) if h.ann >> i & 1]
    d["on"] = not h.off
    return d


def _ask(h, op, minutes, now):
    """Wake everyone, or the children's bedtime, from this (parent's) pod: asked on its serial
    link (the button's four taps ask the Hook's wake_everyone directly)."""
    if op == "wake_all":
        h.wake_everyone(now)  # (the Hook's own: its button asks it too)
    else:
        m = minutes if isinstance(minutes, int) and 0 <= minutes <= _BEDTIME_MAX else 0
        h.node.bedtime(m, now & 0x3FFFFFFF)
        h.event({"bedtime": m})


def handle(rid, req):
    try:
        _handle(rid, req)
    finally:
        forget("pod.household.settings")
        if "pod.household.hook" not in sys.modules:  # a pod with no household: all of it
            # (the settings' checker loads these; on a household's pod the Hook uses them)
            for m in ("frame", "hmac256", "policy", "receiver"):
                forget("pod.household." + m)
            forget("pod.household")


def _handle(rid, req):
    op = req.get("op")
    h = _live()
    if op == "status":
        if h is not None and not h.off:
            ok(rid, ',"household":' + json.dumps(_status(h, time.ticks_ms())))
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
        if h is not None:  # at once: the radio off, nothing announced or shown any more
            h.off = True
            h.ann = 0
            h.silent = 0
            h.node.radio.stop()
        ok(rid, ',"household":null')
    elif op == "wake_all" or op == "bedtime":
        if h is None or h.off:
            err(rid, "refused", "this pod is in no household", "", ',"reason":%d' % _REF_NO_HOUSEHOLD)
        elif h.role != 1:  # policy.ROLE_PARENT
            err(rid, "refused", "only a parent's pod can do that", "", ',"reason":%d' % _REF_NOT_PARENT)
        else:
            _ask(h, op, req.get("minutes", 0), time.ticks_ms())
            ok(rid)
    else:
        err(rid, "bad_request", "op: status, begin, peer, commit, leave, wake_all or bedtime")
