# The link's control commands, imported by the dispatcher (pod.serial_link), through the router pod.link, when one arrives and dropped again
# after (pod.lazy):
#   {"cmd":"time","op":"set","datetime":[Y,M,D,h,m,s]} / {"cmd":"time","op":"get"}
#   {"cmd":"reset"}        a deliberate reset (marked, so the boot verdict does not call it a crash)
#   {"cmd":"maintenance"}  one boot into a plain REPL without the watchdog (see boot.py)
# reset and maintenance are refused while a night or an alarm is under way: the marker in RTC
# memory says so (pod.marker), the same byte boot.py trusts; and while a wake is still sounding
# (AWAKE after a scheduled wake: no longer a night, but the sleeper may not be up yet).
import time

import machine

from pod import err, ok
from pod.core import ALARM
from pod.marker import MAINT_ASKED, RESET_ASKED, Marker
from pod.reasons import REF_ALARM, REF_NIGHT, REF_WAKE_CALLING

_LIMITS = ((2024, 2099), (1, 12), (1, 31), (0, 23), (0, 59), (0, 59))


def run(rid, cmd, req, link=None):
    """Answer one request. link (pod.serial_link.Link) gives the pod's state, for the
    reason of a refusal."""
    if cmd == "time":
        rtc = machine.RTC()
        op = req.get("op")
        if op == "set":
            dt = req.get("datetime")
            if type(dt) is not list or len(dt) != 6:
                return err(rid, "bad_request", "datetime must be [Y,M,D,h,m,s]")
            for i in range(6):
                v = dt[i]
                lo, hi = _LIMITS[i]
                if type(v) is not int or not lo <= v <= hi:
                    return err(rid, "bad_request", "datetime[%d] must be a whole number %d..%d" % (i, lo, hi))
            rtc.datetime((dt[0], dt[1], dt[2], 0, dt[3], dt[4], dt[5], 0))
        elif op != "get":
            return err(rid, "bad_request", "op must be set or get")
        d = rtc.datetime()
        return ok(rid, ',"datetime":[%d,%d,%d,%d,%d,%d],"set":%s' % (
            d[0], d[1], d[2], d[4], d[5], d[6], "true" if d[0] >= 2024 else "false"))
    m = Marker()
    if m.active:  # (pod.app keeps it set for a night, an alarm and a wake not yet answered)
        app = getattr(link, "app", None)
        pod = app.pod if app is not None else None
        if m.reason or (pod is not None and pod.state == ALARM):
            why = REF_ALARM
        elif pod is not None and pod.unanswered():  # calling or snoozed, not a lamp
            why = REF_WAKE_CALLING
        else:
            why = REF_NIGHT
        return err(rid, "refused", "refused (reason %d)" % why, "", ',"reason":%d' % why)
    m.reason = 0
    m.failed_boots = 0
    m.deliberate = MAINT_ASKED if cmd == "maintenance" else RESET_ASKED
    m.save()  # (a maintenance request: pod.marker.maintenance(MAINT_ASKED), as boot.py expects)
    ok(rid)
    time.sleep_ms(100)  # let the reply leave the UART before the reset
    machine.reset()
