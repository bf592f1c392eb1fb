# Runs after boot.py. Anything that escapes the application (even a failed import) wakes the
# sleeper and restarts the board.
try:
    from pod import early

    early.ensure_verdict()  # in case boot.py failed before giving it
    early.safe_mode_if_boot_loop()  # before the application is even imported
    from pod import app

    app.main()
except Exception as e:  # noqa: BLE001 - every failure must end in a wake
    from pod import early

    early.crash(e)
