# The wake-up check (#11): whether the sleeper is still asleep in the pod. Loaded by pod.core
# when a check is due (a program's wake.check_min after the morning's wake was answered, with
# no press since), kept while it looks (asked at every step: nothing allocated) and let go
# (pod.forget) when it ends; the core calls the wake again. Pure: no hardware, no clock.
from micropython import const

from pod import forget

# A "sleeping heart rate", defined here only: the sensor healthy, in contact, a rate measured,
# and below the band's low edge plus this (70 bpm with the default 40-130 band; README,
# Gestures and answers).
SLEEPING_OVER_LOW = const(30)
# How long the check looks from its due time (a fail-safe policy number, its one home;
# pod/board.py lists it): a reading that is not a sleeper's (contact lost for a moment, a noisy
# rate) does not end the check; this long with none does, and so does a press.
LOOK_MS = const(60000)
# pod.core's IDLE and AWAKE (not imported: pod.core loads this module; a test pins them)
_IDLE = const(0)
_AWAKE = const(4)


def sleeping(plan, inp):
    return (inp.contact and inp.sensor_ok
            and 0 <= inp.bpm10 < (plan.hr_low + SLEEPING_OVER_LOW) * 10)


def look(pod, now, inp):
    """One look, at a step from the check's due time (pod.nosig_t) on: True at the first
    reading of a sleeper (the core calls the morning's wake again). The check ends there, or at
    a press (the person answered), once the pod is neither off nor a quiet lamp (the answer's
    day light; a host's wake calls instead), or LOOK_MS after its due time with no sleeper
    seen; this module is then let go."""
    st = pod.state
    if not inp.press and (st == _IDLE or st == _AWAKE and pod.silenced):
        if sleeping(pod.plan, inp):
            st = -1
        elif (now - pod.nosig_t) & 0x3FFFFFFF < LOOK_MS:  # (ticks; due: a positive difference)
            return False
    pod.nosig_t = -1
    forget("pod.wakecheck")  # (its globals too: nothing of them is used after this)
    return st < 0
