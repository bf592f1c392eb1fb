# Fake ESP32 hardware for the simulator. Every module here is written in the subset of Python
# that MicroPython runs, so the same fakes drive the firmware on CPython and on a real
# MicroPython VM. machine.py, neopixel.py and time.py stand in for the modules of those names.
