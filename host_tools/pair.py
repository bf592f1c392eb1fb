"""`podctl pair`: put pods in a household over USB, one pod at a time (README "Household").

The household lives in a file on this computer (FAMILY.json, readable by its owner only: it
holds the key, which podctl never prints):

    {"key": "<64 hex>", "channel": 6,
     "pods": [{"name": "parent", "role": "parent", "mac": "24:0a:c4:..", "id": 0}, ...]}

`podctl pair FAMILY.json --name kid1 --role child` connects to the pod on the port, reads its
MAC (its `hello`), adds it to the file (made with a fresh random key if missing), and writes the
pod's household settings: its role, id, name, the channel, the key and every other pod of the
file as its peers. A pod paired before a later one joined does not know it yet: the command says
which pods to pair again. The first pod is only added to the file (a household needs a peer):
it is paired on the pod once a second pod is in the file. `--leave` takes the pod out (and out of the file); `--show` prints the
pod's household status. The settings are checked first with the firmware's own rules, so every
error names its path ("household.peers[1].mac: ..."). The pod uses them from its next boot.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
from pathlib import Path

from host_tools.clikit import UsageError
from host_tools.transport import Transport, ValidationFailed

ROLES = ("parent", "child")


def check(settings: dict) -> list[str]:
    """The firmware's own check of household settings: "household.path: reason" strings."""
    from simulator.sandbox import firmware_module
    return list(firmware_module("pod.household.settings").check(settings))


def load_family(path: Path) -> dict:
    if not path.exists():
        return {"key": secrets.token_hex(32), "channel": 6, "pods": []}
    try:
        fam = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise UsageError("%s: not a household file (%s)" % (path, e)) from None
    errs = []
    if not isinstance(fam, dict):
        errs.append("family: must be a JSON object")
    else:
        if not isinstance(fam.get("pods"), list):
            errs.append("family.pods: must be a list")
        if not isinstance(fam.get("key"), str):
            errs.append("family.key: missing (the value is never shown)")
    if errs:
        raise ValidationFailed(str(path), errs)
    return fam


def save_family(path: Path, fam: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(fam, f, indent=1)
    os.replace(tmp, path)


def settings_for(fam: dict, name: str) -> dict:
    """The household settings of pod `name` in the family (the key included: for the pod only)."""
    me = next(p for p in fam["pods"] if p["name"] == name)
    return {"role": me["role"], "id": me["id"], "name": me["name"],
            "channel": fam.get("channel", 6), "key": fam["key"],
            "peers": [{"id": p["id"], "name": p["name"], "role": p["role"], "mac": p["mac"]}
                      for p in fam["pods"] if p["name"] != name]}


def mac_of(pod_id: str) -> str:
    """The pod's WiFi MAC from its `hello` id (the ESP32's unique id is its base MAC)."""
    b = bytes.fromhex(pod_id)[:6]
    return ":".join("%02x" % x for x in b)


def write(t: Transport, s: dict) -> dict:
    """Send settings s in pieces (a request line holds 256 bytes), then commit. The pod checks
    them again; its errors come back as ValidationFailed."""
    head = {k: v for k, v in s.items() if k != "peers"}
    t.request("household", op="begin", household=head)
    for p in s["peers"]:
        t.request("household", op="peer", peer=p)
    from host_tools.transport import CommandFailed
    try:
        return t.request("household", op="commit")
    except CommandFailed as e:
        if e.code == "invalid":
            raise ValidationFailed("the household settings", e.reply.get("errors")
                                   or [e.pod_message]) from None
        raise


def cmd_pair(a: argparse.Namespace) -> int:
    from host_tools.commands import connect
    if a.show:
        with connect(a) as t:
            r = t.request("household", op="status")
        hh = r.get("household")
        if a.json:
            print(json.dumps({"household": hh, "paired": r.get("paired", hh is not None)}))
        elif hh is None:
            print("pair: this pod is in no household%s" % (
                " (paired: used from its next boot)" if r.get("paired") else ""))
        else:
            h = hh["household"]
            print("pair: %s, %s in a household of %d; radio %s; peers: %s" % (
                h["name"], h["role"], len(h["peers"]) + 1, hh["radio"],
                ", ".join("%s (%s, %s)" % (p["name"], p["role"], p["mac"]) for p in h["peers"])))
        return 0
    path = Path(a.family) if a.family else None
    if a.leave:
        with connect(a) as t:
            pod_mac = mac_of(t.request("hello")["pod"])
            t.request("household", op="leave")
        gone = ""
        if path is not None and path.exists():
            fam = load_family(path)
            left = [p["name"] for p in fam["pods"] if p["mac"] == pod_mac]
            fam["pods"] = [p for p in fam["pods"] if p["mac"] != pod_mac]
            save_family(path, fam)
            if left:
                gone = "; %s taken out of %s: pair the others again (%s)" % (
                    left[0], path, ", ".join(p["name"] for p in fam["pods"]) or "none left")
        print(json.dumps({"ok": True, "left": True}) if a.json else
              "pair: the pod left its household (its radio is off now)" + gone)
        return 0
    if path is None or not a.name or not a.role:
        raise UsageError("pair: give FAMILY.json, --name and --role (or --show, or --leave)")
    if a.role not in ROLES:
        raise UsageError("pair: --role is parent or child")
    fam = load_family(path)
    with connect(a) as t:
        pod_mac = mac_of(t.request("hello")["pod"])
        pods = fam["pods"]
        me = next((p for p in pods if p["name"] == a.name), None)
        other = next((p for p in pods if p["mac"] == pod_mac and p["name"] != a.name), None)
        if other is not None:
            raise UsageError("pair: this pod (%s) is %s in %s already; --leave it first"
                             % (pod_mac, other["name"], path))
        if me is None:
            used = {p["id"] for p in pods}
            me = {"name": a.name, "role": a.role, "mac": pod_mac,
                  "id": min(i for i in range(16) if i not in used)}
            pods.append(me)
        else:
            me.update(role=a.role, mac=pod_mac)
        s = settings_for(fam, a.name)
        if not s["peers"]:  # the first pod: a household needs another pod to name as its peer
            me.pop("peers_known", None)
            save_family(path, fam)
            if a.json:
                print(json.dumps({"ok": True, "household": None, "stored": False,
                                  "pair_again": [a.name]}))
            else:
                print("pair: %s (%s, %s) added to %s; nothing stored on the pod yet: a household "
                      "needs a second pod. Pair the next pod, then this one again" % (
                          a.name, a.role, pod_mac, path))
            return 0
        errs = check(s)
        if errs:
            raise ValidationFailed("the household settings", errs)
        r = write(t, s)
        me["peers_known"] = sorted(p["name"] for p in pods if p["name"] != a.name)
    save_family(path, fam)
    stale = [p["name"] for p in pods if p["name"] != a.name
             and sorted(q["name"] for q in pods if q["name"] != p["name"]) != p.get("peers_known")]
    if a.json:
        print(json.dumps({"ok": True, "household": r.get("household"), "stored": True,
                          "applies": "next_boot", "pair_again": stale}))
    else:
        print("pair: %s (%s, %s) stored on the pod, used from its next boot; peers: %s" % (
            a.name, a.role, pod_mac, ", ".join(me["peers_known"]) or "none yet"))
        if stale:
            print("pair: pair these pods again so they know every pod: %s" % ", ".join(stale))
    return 0


def add_parser(sub, common) -> None:
    c = sub.add_parser("pair", parents=[common], help="put this pod in a household (ESP-NOW), "
                       "or take it out (--leave)")
    c.add_argument("family", nargs="?", metavar="FAMILY.json",
                   help="the household file on this computer (made, with a new key, if missing)")
    c.add_argument("--name", help="this pod's name in the household (1..12 bytes)")
    c.add_argument("--role", help="parent or child")
    c.add_argument("--leave", action="store_true", help="the pod leaves its household")
    c.add_argument("--show", action="store_true", help="the pod's household (never its key)")
    c.set_defaults(fn=cmd_pair)
