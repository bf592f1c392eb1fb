# The serial link's config commands (get/set). Loaded by pod.linkfiles for one request, then
# unloaded.
import json

from pod.linkfiles import err, ok


def handle(link, rid, req):
    from pod import store
    op = req.get("op")
    if op == "get":
        d = store.load_settings([])
        ok(rid, ',"config":' + json.dumps(d))
    elif op == "set":
        app = getattr(link, "app", None)
        if app is not None and app.pod.unanswered():
            # #11: an alarm or a wake not yet answered: no setting may end or move it
            from pod.link import refused
            from pod.reasons import REF_ALARM, REF_WAKE_CALLING
            refused(rid, REF_ALARM if app.pod.state == 5 else REF_WAKE_CALLING)  # core.ALARM
            return
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
        if app is not None:  # light level and cap at once; the HR band with the next program load
            # (core.Settings, which clamps to the safe limits again; core is not imported here)
            app.pod.settings = type(app.pod.settings)(d["wake_level"], d["cap_min"] * 60000)
        ok(rid, ',"config":' + json.dumps(d))
    else:
        raise ValueError("op: get or set")
