# The household policy: what an accepted frame may make this pod do. Pure: no radio, no clock.
#
# Its invariants, in plain words:
# - The network can only add. decide() returns one of A_NONE, A_WAKE, A_ANNOUNCE,
#   A_WIND_DOWN. None of them delays, snoozes, dims, silences or cancels a wake, an alarm or the
#   fail-safe, and none changes a program, the settings or the clock: there is no action code
#   for any of those, so no frame can ask for one.
# - A wake is only ever added: A_WAKE comes from a parent's "wake everyone".
# - An announcement is only made on a parent's pod, for an alarm another pod raised.
# - A wind-down never starts over a wake: A_WIND_DOWN only comes when the pod is not waking
#   (local_waking False), and only from a parent's bedtime frame to a child's pod.
# - Heartbeats and acknowledgements act on nothing here (the node keeps supervision and stops
#   resending; neither touches the pod's own state).
from micropython import const

from pod.household import frame

ROLE_CHILD = const(0)
ROLE_PARENT = const(1)
ROLE_NAMES = ("child", "parent")

A_NONE = const(0)
A_WAKE = const(1)        # start a wake on this pod (reason: the household's wake)
A_ANNOUNCE = const(2)    # show another pod's alarm here, until a person here acknowledges it
A_WIND_DOWN = const(3)   # start this pod's wind-down now (only from idle)
ACTION_NAMES = ("none", "wake", "announce", "wind_down")


def decide(my_role, sender_role, ftype, local_waking):
    """The one action an accepted frame asks of this pod."""
    if ftype == frame.T_ALARM:
        return A_ANNOUNCE if my_role == ROLE_PARENT else A_NONE
    if ftype == frame.T_WAKE_ALL:
        return A_WAKE if sender_role == ROLE_PARENT else A_NONE
    if ftype == frame.T_BEDTIME:
        if sender_role == ROLE_PARENT and my_role == ROLE_CHILD and not local_waking:
            return A_WIND_DOWN
        return A_NONE
    return A_NONE
