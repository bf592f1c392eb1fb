# Runs after boot.py. Anything that escapes the application (even a failed import) wakes the
# sleeper and restarts the board.
from pod import early

try:
    early.safe_mode_if_boot_loop()  # before the application is even imported
    from pod import app

    app.main()
except Exception as e:  # noqa: BLE001 - every failure must end in a wake
    early.crash(e)
