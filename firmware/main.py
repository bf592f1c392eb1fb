# Runs after boot.py. Anything that escapes the application (even a failed import) wakes the
# sleeper and restarts the board. In a maintenance boot (see boot.py) nothing runs: the REPL
# is left to the deploy tools, and the next reset boots normally. A maintenance boot that is
# forgotten ends by itself: a timer resets the board after MAINTENANCE_MS (a policy number: see pod.board).
import machine

MAINTENANCE_MS = 600000

try:
    from pod.marker import MAINT_BOOT, Marker

    if Marker().deliberate == MAINT_BOOT:  # (set by boot.py only, and only for this boot)
        machine.Timer(0, mode=machine.Timer.ONE_SHOT, period=MAINTENANCE_MS,
                      callback=lambda t: machine.reset())
        print('{"t":"evt","ev":"maintenance","state":"REPL","reason":"none","reset_in_s":%d}'
              % (MAINTENANCE_MS // 1000))
    else:
        from pod import failsafe

        failsafe.ensure_verdict()  # in case boot.py failed before giving it
        failsafe.safe_mode_if_boot_loop()  # before the application is even imported
        # the stored program and settings are read first, while the heap holds little else:
        # the store and the validator are the biggest modules, and they are dropped after
        # (and collected: their code gone before the rest is imported into the room it leaves)
        from pod import lazy

        loaded = lazy("pod.stored_load", "load")
        from pod import app

        if "household.json" in __import__("os").listdir():  # (no new global name: heap)
            try:  # a household's pod: pod.household.hook runs the App
                from pod.household import hook as app
            except Exception:  # noqa: BLE001 - no heap for the household: the pod runs alone
                pass
        app.main(loaded)
except Exception as e:  # noqa: BLE001 - every failure must end in a wake
    # If even the handler fails (a second error while pod.failsafe is imported or while it
    # records the crash), reset at once: the verdict on the next boot lights up. Never sit
    # at the REPL, dark, until the watchdog.
    try:
        from pod import failsafe

        failsafe.crash(e)
    except Exception:  # noqa: BLE001
        machine.reset()
