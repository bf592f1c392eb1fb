# Runs first on every boot. The watchdog starts before anything is read from flash, so a hang
# anywhere later still ends in a reset (5000 ms: pod.board.WDT_TIMEOUT_MS, checked by a test).
# Then the verdict on an interrupted session: when needed, the lights come on here, before
# main.py imports the rest of the firmware.
#
# The one exception: a maintenance boot, asked for over serial (pod/link/control.py) while no
# night and no alarm was under way. It is a plain REPL without the watchdog (which cannot be
# stopped once started), so deploy tools can copy files. The request is the exact marker bytes
# in RTC memory (inactive, checksummed); it is used up here, so only this one boot is affected.
# Nothing may be imported before the watchdog, so the two markers are written out here: they
# are what pod.marker.Marker.save() writes for deliberate = MAINT_ASKED and MAINT_BOOT with
# nothing else set, and a test pins them.
import machine

if machine.RTC().memory() == b"PD\x00\x00\x00\x02\x96":
    machine.RTC().memory(b"PD\x00\x00\x00\x03\x97")  # main.py: stay at the REPL, this boot only
else:
    machine.WDT(timeout=5000)
    import micropython

    # From here a 0x03 byte on the serial link is data, not Ctrl-C: line noise during the boot
    # must not raise KeyboardInterrupt past main.py's handler (only the watchdog would end it:
    # an alarm mid-night). Deploy tools get in through a maintenance boot, which skips this.
    micropython.kbd_intr(-1)

    from pod import failsafe

    failsafe.verdict()
