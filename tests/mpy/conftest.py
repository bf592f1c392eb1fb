# The files here are MicroPython tests, run by tests/mpy/runner.py inside a MicroPython VM
# (tests/test_micropython.py starts it). They import `pod` and the fake board modules as
# top-level modules, which CPython cannot do, so pytest must not collect them.
collect_ignore_glob = ["*.py"]
