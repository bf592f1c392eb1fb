# Household settings: which household this pod is in, its role, its peers and the key.
# check() names every problem by its path ("household.peers[1].mac: ..."); parse() turns
# valid settings into a Household. The key is never part of any message, repr or status:
# an error about it says what is wrong, never what was given.
#
#   {"role": "parent" | "child", "id": 0..15, "name": "kid1", "channel": 1..13,
#    "key": "<64 hex digits: 32 bytes>",
#    "peers": [{"id": 1, "name": "parent", "role": "parent", "mac": "aa:bb:cc:dd:ee:ff"}, ...]}
import binascii

from micropython import const

from pod.household import frame, policy, receiver

KEY_LEN = const(32)
MIN_CHANNEL = const(1)
MAX_CHANNEL = const(13)
_KEYS = ("role", "id", "name", "channel", "key", "peers")
_PEER_KEYS = ("id", "name", "role", "mac")
_HEX = "0123456789abcdefABCDEF"


def _role(v):
    return policy.ROLE_NAMES.index(v) if isinstance(v, str) and v in policy.ROLE_NAMES else -1


def _int_in(v, lo, hi):
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _name_ok(v):
    return isinstance(v, str) and 0 < len(v.encode()) <= frame.NAME_LEN


def mac_bytes(v):
    """b'\\xaa...' for "aa:bb:cc:dd:ee:ff", or None."""
    if not isinstance(v, str) or len(v) != 17:
        return None
    for i in range(17):
        c = v[i]
        if (i % 3 == 2 and c != ":") or (i % 3 != 2 and c not in _HEX):
            return None
    return binascii.unhexlify(v.replace(":", ""))


def mac_text(b):
    return ":".join("%02x" % x for x in b)


def _key_ok(v):
    if not isinstance(v, str) or len(v) != 2 * KEY_LEN:
        return False
    for c in v:
        if c not in _HEX:
            return False
    return True


def check(d, path="household"):
    """Every problem with household settings d, as "path: reason" strings ([] if valid)."""
    if not isinstance(d, dict):
        return [path + ": must be a JSON object"]
    errs = []
    for k in d:
        if k not in _KEYS:
            errs.append("%s.%s: unknown key" % (path, k))
    for k in _KEYS:
        if k not in d and k != "channel":
            errs.append("%s.%s: missing" % (path, k))
    if "role" in d and _role(d["role"]) < 0:
        errs.append("%s.role: must be \"parent\" or \"child\"" % path)
    if "id" in d and not _int_in(d["id"], 0, frame.MAX_ID):
        errs.append("%s.id: must be a whole number 0..%d" % (path, frame.MAX_ID))
    if "name" in d and not _name_ok(d["name"]):
        errs.append("%s.name: must be text of 1..%d bytes" % (path, frame.NAME_LEN))
    if "channel" in d and not _int_in(d["channel"], MIN_CHANNEL, MAX_CHANNEL):
        errs.append("%s.channel: must be a whole number %d..%d" % (path, MIN_CHANNEL, MAX_CHANNEL))
    if "key" in d and not _key_ok(d["key"]):
        errs.append("%s.key: must be %d hex digits (%d bytes); the value is not shown"
                    % (path, 2 * KEY_LEN, KEY_LEN))
    if "peers" in d:
        errs.extend(_check_peers(d["peers"], d.get("id"), d.get("name"), path + ".peers"))
    return errs


def _check_peers(peers, my_id, my_name, path):
    if not isinstance(peers, list) or not peers:
        return [path + ": must be a non-empty list"]
    errs = []
    if len(peers) > receiver.MAX_PEERS:
        errs.append("%s: at most %d peers" % (path, receiver.MAX_PEERS))
    ids = [my_id]
    macs = []
    names = [my_name]
    for i, p in enumerate(peers):
        pp = "%s[%d]" % (path, i)
        if not isinstance(p, dict):
            errs.append(pp + ": must be a JSON object")
            continue
        for k in p:
            if k not in _PEER_KEYS:
                errs.append("%s.%s: unknown key" % (pp, k))
        for k in _PEER_KEYS:
            if k not in p:
                errs.append("%s.%s: missing" % (pp, k))
        if "id" in p:
            if not _int_in(p["id"], 0, frame.MAX_ID):
                errs.append("%s.id: must be a whole number 0..%d" % (pp, frame.MAX_ID))
            elif p["id"] in ids:
                errs.append("%s.id: %d is already used in this household" % (pp, p["id"]))
            else:
                ids.append(p["id"])
        if "name" in p:
            if not _name_ok(p["name"]):
                errs.append("%s.name: must be text of 1..%d bytes" % (pp, frame.NAME_LEN))
            elif p["name"] in names:
                errs.append("%s.name: %r is already used in this household" % (pp, p["name"]))
            else:
                names.append(p["name"])
        if "role" in p and _role(p["role"]) < 0:
            errs.append("%s.role: must be \"parent\" or \"child\"" % pp)
        if "mac" in p:
            m = mac_bytes(p["mac"])
            if m is None:
                errs.append("%s.mac: must be six hex bytes like aa:bb:cc:dd:ee:ff" % pp)
            elif m in macs:
                errs.append("%s.mac: %s is already used by another peer" % (pp, p["mac"]))
            else:
                macs.append(m)
    return errs


def shown(role, pid, name, channel, peers):
    """Household settings as they may be shown (never the key); peers as (id, name bytes,
    role, mac bytes) each. (Also for a running household, whose settings are not kept: see
    pod.link.household.)"""
    return {"role": policy.ROLE_NAMES[role], "id": pid, "name": name.decode(),
            "channel": channel,
            "peers": [{"id": i, "name": n.decode(), "role": policy.ROLE_NAMES[r],
                       "mac": mac_text(m)} for i, n, r, m in peers]}


class Peer:
    def __init__(self, pid, name, role, mac):
        self.id = pid
        self.name = name      # bytes
        self.role = role      # policy.ROLE_*
        self.mac = mac        # 6 bytes

    def __repr__(self):
        return "<Peer %d %s %s %s>" % (self.id, self.name.decode(), policy.ROLE_NAMES[self.role],
                                       mac_text(self.mac))


def load(name):
    """The Household of the settings file `name` (OSError, ValueError if unreadable or not
    valid: the first problem's path). For pod.household.setup, which calls it through pod.lazy:
    this module and the file's text are gone again before the household's objects are made."""
    import json
    with open(name) as f:
        return Household(json.loads(f.read()))


class Household:
    """Valid household settings. The key is kept only as bytes in `_key`, handed to the HMAC
    once (take_key), and never shown."""

    def __init__(self, d):
        errs = check(d)
        if errs:
            raise ValueError(errs[0])
        self.role = _role(d["role"])
        self.id = d["id"]
        self.name = d["name"].encode()
        self.channel = d.get("channel", 1)
        self._key = binascii.unhexlify(d["key"])
        self.peers = []
        for p in d["peers"]:
            self.peers.append(Peer(p["id"], p["name"].encode(), _role(p["role"]),
                                   mac_bytes(p["mac"])))

    def take_key(self):
        """The key bytes, once: later calls raise (so a status path cannot reach it)."""
        k = self._key
        if k is None:
            raise ValueError("key already taken")
        self._key = None
        return k

    def status(self):
        """What may be shown (podctl status, telemetry): never the key."""
        return shown(self.role, self.id, self.name, self.channel,
                     [(p.id, p.name, p.role, p.mac) for p in self.peers])

    def __repr__(self):
        return "<Household %s %d %s, %d peers>" % (
            policy.ROLE_NAMES[self.role], self.id, self.name.decode(), len(self.peers))
