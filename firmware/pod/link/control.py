# Rarely used serial commands, imported by pod.link when one arrives and dropped again after:
#   {"cmd":"time","op":"set","datetime":[Y,M,D,h,m,s]} / {"cmd":"time","op":"get"}
#   {"cmd":"reset"}        a deliberate reset (marked, so the boot verdict does not call it a crash)
#   {"cmd":"maintenance"}  one boot into a plain REPL without the watchdog (see boot.py)
# reset and maintenance are refused while a night or an alarm is under way: the marker in RTC
# memory says so (pod.marker), the same byte boot.py trusts; and while a wake is still sounding
# (AWAKE after a scheduled wake: no longer a night, but the sleeper may not be up yet).
import time

import machine

from pod.marker import Marker

# RTC memory as boot.py expects it for a maintenance request: marker "PD", not active,
# no reason, no failed boots, deliberate = 2, checksum. Anything else boots normally.
MAINT_REQUEST = b"PD\x00\x00\x00\x02\x96"
_LIMITS = ((2024, 2099), (1, 12), (1, 31), (0, 23), (0, 59), (0, 59))


def _ok(rid, extra=""):
    print('{"id":%s,"ok":true%s}' % (rid, extra))


def run(rid, cmd, req, err, link=None):
    """Answer one request; err(rid, code, message) prints an error reply. link (pod.link.Link)
    gives the pod's state, for the reason of a refusal."""
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
        return _ok(rid, ',"datetime":[%d,%d,%d,%d,%d,%d],"set":%s' % (
            d[0], d[1], d[2], d[4], d[5], d[6], "true" if d[0] >= 2024 else "false"))
    m = Marker()
    if m.active:  # (pod.app keeps it set for a night, an alarm and a wake not yet answered)
        from pod import link as lk
        from pod.core import ALARM
        from pod.reasons import REF_ALARM, REF_NIGHT, REF_WAKE_CALLING
        app = getattr(link, "app", None)
        pod = app.pod if app is not None else None
        if m.reason or (pod is not None and pod.state == ALARM):
            why = REF_ALARM
        elif pod is not None and pod.unanswered():  # calling or snoozed, not a lamp
            why = REF_WAKE_CALLING
        else:
            why = REF_NIGHT
        return lk.refused(rid, why)
    m.reason = 0
    m.failed_boots = 0
    m.deliberate = 2 if cmd == "maintenance" else 1
    m.save()
    _ok(rid)
    time.sleep_ms(100)  # let the reply leave the UART before the reset
    machine.reset()
