"""`podctl household`: what a parent asks of the household from the pod on this port.

    podctl household status            the pod's household: role, peers, radio, which alarm is
                                       announced here, which pods are silent (never the key)
    podctl household wake-all          a parent's pod: a wake on every pod (this one too)
    podctl household bedtime [MIN]     a parent's pod: the idle children's pods start their
                                       wind-downs together
    podctl household ack               acknowledge the announcement shown on this pod (only it:
                                       the child's own alarm goes on until answered there)

Each is the firmware's serial `household` command (pod/link/household.py), through the one
connection every podctl command uses. The pod refuses wake-all and bedtime when it is in no
household or is a child's, with a pod.reasons number worded in host_tools/refusals.py. The pod
never sends its key; what is printed goes through no_key() all the same.
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from host_tools import fwtables
from host_tools.clikit import UsageError
from host_tools.transport import CommandFailed, PodError, Transport


def bedtime_max() -> int:
    """The most minutes the pod takes with a bedtime (pod/link/household.py's own limit)."""
    return fwtables.consts("link.household", "_BEDTIME_MAX")["_BEDTIME_MAX"]


def count_names() -> tuple[str, ...]:
    """The names of the household receiver's frame counts (pod/link/household.py)."""
    return fwtables.names("link.household", "COUNT_NAMES")


def silent_after_s() -> float:
    """After how long unheard a peer counts as silent (pod/household/node.py)."""
    return fwtables.consts("household.node", "_SILENT_MS")["_SILENT_MS"] / 1000


def no_key(v: Any) -> Any:
    """v without any field named key, at any depth (the pod sends none: a second guard)."""
    if isinstance(v, dict):
        return {k: no_key(x) for k, x in v.items() if k != "key"}
    if isinstance(v, list):
        return [no_key(x) for x in v]
    return v


def _ask(t: Transport, what: str, **fields: Any) -> dict:
    """The household command op, its refusal named as the podctl command a person typed."""
    try:
        return t.request("household", **fields)
    except CommandFailed as e:
        raise CommandFailed("household " + what, e.code, e.pod_message, e.reply) from None


def _status(t: Transport) -> dict:
    return t.request("household", op="status", retries=2)  # (a read: safe to ask again)


def describe(r: dict) -> str:
    """The household status reply as lines a person reads."""
    hh = r.get("household")
    if hh is None:
        if r.get("paired"):
            why = r.get("fault") or "it is used from the pod's next boot (`podctl reset`)"
            return "household: this pod is paired but runs alone: %s" % why
        return "household: this pod is in no household (`podctl pair` puts it in one)"
    h = hh.get("household") or {}
    peers = h.get("peers") or []
    lines = ["household: %s, the %s's pod, in a household of %d (channel %s); radio %s%s" % (
        h.get("name"), h.get("role"), len(peers) + 1, h.get("channel"), hh.get("radio"),
        "" if hh.get("on", True) else "; stopped for this boot (see the pod's faults)")]
    for p in peers:
        lines.append("  %-12s %-6s %s%s" % (p.get("name"), p.get("role"), p.get("mac"),
                                            "  silent" if p.get("name") in (hh.get("silent") or [])
                                            else ""))
    ann = hh.get("announcing") or []
    if ann:
        lines.append("announcing here: %s; a press on this pod or `podctl household ack` "
                     "acknowledges it (the alarm goes on at its own pod until answered there)"
                     % ", ".join("%s's alarm (%s)" % (a.get("from"), a.get("why")) for a in ann))
    else:
        lines.append("announcing here: nothing")
    silent = hh.get("silent") or []
    lines.append("silent (not heard for over %g s): %s" % (
        silent_after_s(), ", ".join(silent) if silent else "none"))
    dropped = ", ".join("%s %s" % (hh.get(k, 0), k) for k in count_names()
                        if k not in ("accepted", "hello"))
    lines.append("frames: %s sent, %s accepted, %s from pods that had not heard this boot yet, "
                 "dropped: %s; %s waiting for a pod's acknowledgement; radio faults %s%s" % (
                     hh.get("sent"), hh.get("accepted"), hh.get("hello", 0), dropped,
                     hh.get("unacked"), hh.get("faults"),
                     " (last: %s)" % hh["last_error"] if hh.get("last_error") else ""))
    return "\n".join(lines)


def cmd_status(a: argparse.Namespace) -> int:
    from host_tools.commands import connect
    with connect(a) as t:
        r = _status(t)
    r = no_key({k: v for k, v in r.items() if k not in ("id", "ok")})
    print(json.dumps(r) if a.json else describe(r))
    return 0


def _others(t: Transport) -> list[str]:
    try:
        hh = _status(t).get("household") or {}
    except PodError:
        return []
    return [p.get("name") for p in (hh.get("household") or {}).get("peers") or []]


def cmd_wake_all(a: argparse.Namespace) -> int:
    from host_tools.commands import connect
    with connect(a) as t:
        _ask(t, "wake-all", op="wake_all")
        to = _others(t)
    if a.json:
        print(json.dumps({"ok": True, "wake_all": True, "to": to}))
    else:
        print("household wake-all: a wake is added on every pod: this one and %s. Each calls "
              "until a person answers it there; the message is resent until each pod has it "
              "(`podctl household status`: how many still wait)" % (", ".join(to) or "no other"))
    return 0


def cmd_bedtime(a: argparse.Namespace) -> int:
    top = bedtime_max()
    if not 0 <= a.minutes <= top:
        raise UsageError("household bedtime: MINUTES is 0..%d" % top)
    from host_tools.commands import connect
    with connect(a) as t:
        _ask(t, "bedtime", op="bedtime", minutes=a.minutes)
        to = _others(t)
    if a.json:
        print(json.dumps({"ok": True, "bedtime": a.minutes, "to": to}))
    else:
        print("household bedtime: sent to %s. The children's pods that are off start their "
              "wind-downs now, together, each with its own program; a pod in a night, a wake or "
              "an alarm is left as it is, and so is this pod" % (", ".join(to) or "no other pod"))
    return 0


def cmd_ack(a: argparse.Namespace) -> int:
    """Acknowledge the announcement on this pod, and only that: the serial `ack` answers the
    pod's own wake or alarm when it has one, so it is sent only while the pod has none."""
    from host_tools.commands import connect
    with connect(a) as t:
        before = _status(t)
        hh = before.get("household")
        ann = (hh or {}).get("announcing") or []
        if hh is None:
            raise PodError("household ack: this pod is in no household: nothing is announced on it")
        if not ann:
            raise PodError("household ack: nothing is announced on this pod")
        st = t.request("status")
        state = st.get("state")
        if state not in fwtables.states()[:3]:  # IDLE, WIND_DOWN, SLEEP: nothing of its own
            raise PodError("household ack: the pod's own %s is on: an ack now would answer that, "
                           "not the announcement (answer it with a tap or `podctl ack`; the "
                           "announcement shows again after)" % ("alarm" if state == "ALARM" else
                                                                "wake"))
        try:
            t.request("ack")
        except CommandFailed:
            pass  # (a snooze: the core's refusal; the status below says what happened)
        left = (_status(t).get("household") or {}).get("announcing") or []
    if left:
        raise PodError("household ack: the announcement is still on (%s): the pod's own wake "
                       "may be waiting for an answer; answer it first" % ", ".join(
                           x.get("from") for x in left))
    names = [x.get("from") for x in ann]
    if a.json:
        print(json.dumps({"ok": True, "acked": names}))
    else:
        print("household ack: the announcement of %s is off on this pod; their own alarm goes "
              "on until a person answers it at their pod" % ", ".join(
                  "%s's alarm (%s)" % (x.get("from"), x.get("why")) for x in ann))
    return 0


def _minutes(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number of minutes" % text) from None


def add_parser(sub, common) -> None:
    h = sub.add_parser("household", help="the household from this pod: status, wake-all, "
                       "bedtime, ack (pairing: `podctl pair`)")
    hs = h.add_subparsers(dest="op", required=True)
    c = hs.add_parser("status", parents=[common], help="role, peers, radio, the alarm announced "
                      "here, the pods silent (never the key)")
    c.set_defaults(fn=cmd_status)
    c = hs.add_parser("wake-all", parents=[common], help="a parent's pod: add a wake on every "
                      "pod of the household (this one too)")
    c.set_defaults(fn=cmd_wake_all)
    c = hs.add_parser("bedtime", parents=[common], help="a parent's pod: the children's pods "
                      "that are off start their wind-downs together")
    c.add_argument("minutes", nargs="?", type=_minutes, default=0, metavar="MINUTES",
                   help="the wind-down's length sent with it (0..%d, default 0); each child's "
                   "pod runs its own program's wind-down" % bedtime_max())
    c.set_defaults(fn=cmd_bedtime)
    c = hs.add_parser("ack", parents=[common], help="acknowledge the alarm announced on this "
                      "pod (only the announcement: the child's alarm goes on there)")
    c.set_defaults(fn=cmd_ack)
