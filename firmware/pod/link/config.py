# The link's config commands (get/set). Loaded by pod.link for one request, then
# dropped, with the store it uses (pod.flash_store).
import json

from pod import err, ok
from pod.file_spec import SETTINGS, SETTINGS_TMP


def handle(link, rid, req):
    from pod import flash_store as store
    op = req.get("op")
    if op == "get":
        d = store.load_settings([])
        ok(rid, ',"config":' + json.dumps(d))
    elif op == "set":
        app = getattr(link, "app", None)
        if app is not None and app.pod.unanswered():
            # #11: an alarm or a wake not yet answered: no setting may end or move it
            from pod.core import ALARM  # (resident with an App)
            from pod.reasons import REF_ALARM, REF_WAKE_CALLING
            why = REF_ALARM if app.pod.state == ALARM else REF_WAKE_CALLING
            err(rid, "refused", "refused (reason %d)" % why, "", ',"reason":%d' % why)
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
        store.seal_replace(SETTINGS_TMP, SETTINGS, json.dumps(d).encode())
        if app is not None:  # light level and cap at once; the HR band with the next program load
            # (core.Settings, which clamps to the safe limits again; core is not imported here)
            app.pod.settings = type(app.pod.settings)(d["wake_level"], d["cap_min"] * 60000)
        ok(rid, ',"config":' + json.dumps(d))
    else:
        raise ValueError("op: get or set")
