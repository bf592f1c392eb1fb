# What must survive a reset: a few bytes in RTC memory (kept across watchdog and soft resets,
# lost on power loss) and a session file in flash (kept across power loss).
# Layout of RTC memory: b"PD", active, reason, failed_boots, deliberate, checksum (the low byte
# of the sum of the six before it). Marker.save() is the one place that lays it out (boot.py
# writes the two maintenance markers out, and a test pins them to what save() writes).
import os

import machine
from micropython import const

SESSION_FILE = "session.mark"
_MAGIC0 = const(0x50)  # "P"
_MAGIC1 = const(0x44)  # "D"
# deliberate: why the last reset was asked for (0: it was not)
RESET_ASKED = const(1)   # a reset command: the verdict does not count it as a failed boot
MAINT_ASKED = const(2)   # a maintenance boot asked for over serial: boot.py takes it (nothing
#                          else set: boot.py knows it by its exact bytes)
MAINT_BOOT = const(3)    # this boot is the maintenance boot: main.py stays at the REPL


class Marker:
    def __init__(self):
        self.rtc = machine.RTC()
        self.active = 0       # a session (or an unacknowledged alarm) is running
        self.reason = 0       # the alarm reason, when in ALARM
        self.failed_boots = 0  # consecutive boots that did not reach "stable"
        self.deliberate = 0   # the last reset was asked for: RESET_ASKED, MAINT_ASKED...
        self._buf = bytearray(7)
        self.valid = self._load()

    def _load(self):
        m = self.rtc.memory()
        if len(m) < 7 or m[0] != _MAGIC0 or m[1] != _MAGIC1 or (sum(m[:6]) & 0xFF) != m[6]:
            return False
        self.active = m[2]
        self.reason = m[3] if m[3] <= 13 else 8  # an unknown reason (R_UNANSWERED is the last) reads as a crash
        self.failed_boots = m[4]
        self.deliberate = m[5]
        return True

    def save(self):
        b = self._buf
        b[0] = _MAGIC0
        b[1] = _MAGIC1
        b[2] = self.active
        b[3] = self.reason
        b[4] = min(self.failed_boots, 255)
        b[5] = self.deliberate
        b[6] = sum(b[:6]) & 0xFF
        self.rtc.memory(b)

    # The flash copy of "a session is running", for power cuts. Written twice a session only.
    @staticmethod
    def flash_active():
        try:
            os.stat(SESSION_FILE)
            return True
        except OSError:
            return False

    @staticmethod
    def set_flash(active):
        """Whether the flash copy now says `active` (False: to be tried again)."""
        try:
            if active:
                with open(SESSION_FILE, "w") as f:
                    f.write("1")
            else:
                os.remove(SESSION_FILE)
        except OSError as e:
            return not active and e.errno == 2  # (ENOENT: nothing to remove)
        except Exception:  # noqa: BLE001 - flash full, or no heap for open(): the RTC copy
            return False   # (saved next) must still be written, and the loop go on
        return True
