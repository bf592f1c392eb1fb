# The wake-up check (#11), loaded by pod.core only when one is due (a program's wake.check_min
# after the morning's wake was answered, with no press since): a sleeper still in the pod with
# a sleeping heart rate is called again. Pure, like the core: no hardware, no clock.
from micropython import const

from pod.reasons import R_SCHEDULED

# A "sleeping heart rate", defined here only: the sensor healthy, in contact, a rate measured,
# and below the band's low edge plus this (70 bpm with the default 40-130 band; README,
# Gestures and answers).
SLEEPING_OVER_LOW = const(30)


def sleeping(plan, inp):
    return (inp.contact and inp.sensor_ok
            and 0 <= inp.bpm10 < (plan.hr_low + SLEEPING_OVER_LOW) * 10)


def check(pod, now, inp):
    """The check is due now (pod.core cleared it). If the pod is off or a quiet lamp (the
    answer's day light) and the sleeper is asleep, the morning's wake calls again: a new
    answer window, and the night back on until that answer (the markers, the heart-rate
    checks, the cap)."""
    st = pod.state
    if (st == 0 or st == 4 and pod.silenced) and sleeping(pod.plan, inp):  # IDLE, AWAKE
        pod.wake(now, R_SCHEDULED)
        pod.night = True
