# The serial link's logs (list/read) and config (get/set) commands. Loaded by pod.linkfiles for
# one request, then unloaded. (Programs: pod.lfup and pod.lfcommit.)
import json
import os

from pod.linkfiles import err, ok, read


def handle(link, rid, req):
    if req["cmd"] == "logs":
        _logs(rid, req.get("op"), req)
    else:
        _config(link, rid, req.get("op"), req)


def _logs(rid, op, req):
    from pod import journal
    if op == "list":
        parts = []
        for seq in journal.files():
            name = journal.file_name(seq)
            parts.append('{"name":"%s","size":%d}' % (name, os.stat(name)[6]))
        ok(rid, ',"files":[%s]' % ",".join(parts))
    elif op == "read":
        name = req.get("name")
        if (type(name) is not str or not name.startswith(journal.PREFIX)
                or not name.endswith(journal.SUFFIX) or "/" in name):
            raise ValueError("name: a journal file from logs list")
        read(rid, name, req)
    else:
        raise ValueError("op: list or read")


def _config(link, rid, op, req):
    from pod import store
    if op == "get":
        d = store.load_settings([])
        ok(rid, ',"config":' + json.dumps(d))
    elif op == "set":
        new = req.get("config")
        errs = store.check_settings(new)
        if not errs:
            d = store.load_settings([])
            for k in new:
                d[k] = new[k]
        if errs:
            err(rid, "invalid", "; ".join(errs), ',"errors":' + json.dumps(errs))
            return
        store.seal_replace(store.SETTINGS_TMP, store.SETTINGS, json.dumps(d).encode())
        app = getattr(link, "app", None)
        if app is not None:  # light level and cap at once; the HR band with the next program load
            # (core.Settings, which clamps to the safe limits again; core is not imported here)
            app.pod.settings = type(app.pod.settings)(d["wake_level"], d["cap_min"] * 60000)
        ok(rid, ',"config":' + json.dumps(d))
    else:
        raise ValueError("op: get or set")
