# The wake-up check (#11): whether the sleeper is still asleep in the pod. Loaded by pod.core
# (through pod.lazy) only when a check is due (a program's wake.check_min after the morning's
# wake was answered, with no press since); the core calls the wake again. Pure: no hardware,
# no clock.
from micropython import const

# A "sleeping heart rate", defined here only: the sensor healthy, in contact, a rate measured,
# and below the band's low edge plus this (70 bpm with the default 40-130 band; README,
# Gestures and answers).
SLEEPING_OVER_LOW = const(30)


def sleeping(plan, inp):
    return (inp.contact and inp.sensor_ok
            and 0 <= inp.bpm10 < (plan.hr_low + SLEEPING_OVER_LOW) * 10)

