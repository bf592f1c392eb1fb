# Wake reasons, shared by the core and by boot.py's early verdict.
from micropython import const

# Why the pod woke (or lit up). The fail-safe reasons lead to ALARM.
R_NONE = const(0)
R_SCHEDULED = const(1)
R_BUTTON = const(2)
R_COMMAND = const(3)
R_CAP = const(4)
R_HR_LOW = const(5)
R_HR_HIGH = const(6)
R_NO_SIGNAL = const(7)
R_CRASH = const(8)
R_WATCHDOG = const(9)
R_POWER_CUT = const(10)
R_BOOT_LOOP = const(11)
R_SMART = const(12)  # a scheduled wake brought forward inside the wake window (lighter sleep)
R_UNANSWERED = const(13)  # a wake nobody answered within the program's answer window
REASON_NAMES = ("none", "scheduled", "button", "command", "cap", "hr_low", "hr_high",
                "no_signal", "crash", "watchdog", "power_cut", "boot_loop", "smart", "unanswered")

# Why a command was refused: the link sends the number ("reason" in a refused reply) and the
# host words it (host_tools/refusals.py reads these names from this file). 0: accepted. A new
# refusal is a new number here and its words there.
REF_OK = const(0)
REF_ALARM = const(1)        # a fail-safe alarm is under way: only an acknowledgement ends it
REF_NO_ALARM = const(2)     # ack: there is no alarm to acknowledge
REF_NIGHT = const(3)        # start again, reset, maintenance: a night is under way
REF_WAKE_CALLING = const(4)  # a scheduled wake still calls the sleeper (not yet answered)
# start: the program wakes at a time of day and the clock is not set. Only pod.core returns it
# (as its own constant), so it is private here: a public one would grow this module's globals
_REF_NO_CLOCK = const(5)
# a parent's household command (wake_all, bedtime) on a pod in no household, or on a child's:
# only pod.link.household returns them, as its own constants
_REF_NO_HOUSEHOLD = const(6)
_REF_NOT_PARENT = const(7)
