# Runs first on every boot. Keep it tiny: the verdict on an interrupted session and, when
# needed, the lights come on here before main.py imports the rest of the firmware. The
# watchdog starts here too, so a hang anywhere later still ends in a reset.
from pod import early

early.verdict()
early.start_watchdog()
