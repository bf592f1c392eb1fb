# bedtime-pod firmware package. Copied to the board as-is (or compiled with mpy-cross).
VERSION = "0.1.0"
