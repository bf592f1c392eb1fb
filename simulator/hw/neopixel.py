# Fake `neopixel` for the simulated ESP32: the same buffer layout as MicroPython's driver.
try:
    from simulator.hw import simstate
except ImportError:
    import simstate


class NeoPixel:
    ORDER = (1, 0, 2, 3)  # GRB(W) on the wire

    def __init__(self, pin, n, bpp=3, timing=1):
        self.pin = pin
        self.n = n
        self.bpp = bpp
        self.buf = bytearray(n * bpp)
        self.timing = timing
        b = simstate.current
        if pin.id not in b.strips:
            b.strips[pin.id] = bytes(n * bpp)

    def __len__(self):
        return self.n

    def __setitem__(self, i, v):
        o = i * self.bpp
        for j in range(self.bpp):
            self.buf[o + self.ORDER[j]] = v[j]

    def __getitem__(self, i):
        o = i * self.bpp
        return tuple(self.buf[o + self.ORDER[j]] for j in range(self.bpp))

    def fill(self, v):
        for i in range(self.n):
            self[i] = v

    def write(self):
        b = simstate.current
        b.strips[self.pin.id] = bytes(self.buf)
        b.output_changed()
