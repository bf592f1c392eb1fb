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
