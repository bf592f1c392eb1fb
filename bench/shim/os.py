# The os module for a MicroPython port that has no os.urandom (the WebAssembly port): the port's
# own os, plus urandom, which an ESP32 has (pod.household.epoch draws a boot id from it).
# bench/heap32.py puts this folder on sys.path only on such a port. Its bytes are a fixed
# sequence: heap figures must not depend on chance.
from uos import *  # noqa: F403

_state = [0x5EED]


def urandom(n):
    out = bytearray(n)
    s = _state[0]
    for i in range(n):
        s = (s * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = (s >> 16) & 0xFF
    _state[0] = s
    return bytes(out)
