# Runs first on every boot. The watchdog starts before anything is read from flash, so a hang
# anywhere later still ends in a reset (5000 ms: pod.board.WDT_TIMEOUT_MS, checked by a test).
# Then the verdict on an interrupted session: when needed, the lights come on here, before
# main.py imports the rest of the firmware.
import machine

machine.WDT(timeout=5000)

from pod import early  # noqa: E402

early.verdict()
