# Runs after boot.py. Anything that escapes the application (even a failed import) wakes the
# sleeper and restarts the board. In a maintenance boot (see boot.py) nothing runs: the REPL
# is left to the deploy tools, and the next reset boots normally. A maintenance boot that is
# forgotten ends by itself: a timer resets the board after 10 minutes.
import machine

if machine.RTC().memory() == b"PD\x00\x00\x00\x03\x97":
    machine.Timer(0, mode=machine.Timer.ONE_SHOT, period=600000, callback=lambda t: machine.reset())
    print('{"t":"evt","ev":"maintenance","state":"REPL","reason":"none","reset_in_s":600}')
else:
    try:
        from pod import early

        early.ensure_verdict()  # in case boot.py failed before giving it
        early.safe_mode_if_boot_loop()  # before the application is even imported
        # the stored program and settings are read first, while the heap holds little else:
        # the store and the validator are the biggest modules, and they are dropped after
        import gc

        import pod
        from pod import files

        loaded = files.load()
        pod.forget("pod.files")
        gc.collect()  # their code gone before the rest is imported into the room it leaves
        from pod import app

        hh = None
        try:  # a household's pod only (household.json): pod.household.hook runs the App
            import os

            os.stat("household.json")
            from pod.household import hook as hh
        except Exception:  # noqa: BLE001 - no household (the usual case), or no heap: alone
            pass
        (hh or app).main(loaded)
    except Exception as e:  # noqa: BLE001 - every failure must end in a wake
        # If even the handler fails (a second error while pod.early is imported or while it
        # records the crash), reset at once: the verdict on the next boot lights up. Never sit
        # at the REPL, dark, until the watchdog.
        try:
            from pod import early

            early.crash(e)
        except Exception:  # noqa: BLE001
            machine.reset()
