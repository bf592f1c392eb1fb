# HMAC-SHA256 (RFC 2104) on MicroPython's hashlib, which has no copy(): every tag is made from
# two fresh sha256 objects, one over (key ^ ipad) + message, one over (key ^ opad) + inner digest.
# The padded keys are made once, so the key itself is not kept. Checked against RFC 4231.
#
# Cost per tag on the MicroPython unix port: two hash objects and two 32-byte digests, about
# 450 bytes of short-lived heap (hashlib objects cannot be reused). The receiver therefore runs
# every cheap check first and verifies at most a few tags per poll (see receiver.py).
import hashlib

from micropython import const

_BLOCK = const(64)


class Hmac:
    """An HMAC-SHA256 keyed once. Never prints its key: repr shows only the class."""

    def __init__(self, key):
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        ipad = bytearray(_BLOCK)
        opad = bytearray(_BLOCK)
        n = len(key)
        for i in range(_BLOCK):
            k = key[i] if i < n else 0
            ipad[i] = k ^ 0x36
            opad[i] = k ^ 0x5C
        self._ipad = ipad
        self._opad = opad

    def __repr__(self):
        return "<Hmac>"

    def digest(self, msg):
        """The 32-byte tag of msg (any buffer: bytes, bytearray, memoryview)."""
        h = hashlib.sha256(self._ipad)
        h.update(msg)
        inner = h.digest()
        h = hashlib.sha256(self._opad)
        h.update(inner)
        return h.digest()


def equal(a, a_off, b, b_off, n):
    """Constant-time: a[a_off:a_off+n] == b[b_off:b_off+n], looking at every byte whatever
    differs (a timing side channel must not tell a forger how many tag bytes it got right)."""
    d = 0
    for i in range(n):
        d |= a[a_off + i] ^ b[b_off + i]
    return d == 0
