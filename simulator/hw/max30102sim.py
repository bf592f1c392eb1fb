# A register-level MAX30102 on the fake I2C bus. Samples are clocked from virtual time at the
# configured rate and averaging, into a 32-sample FIFO with read/write pointers and overflow.
import sys

try:
    from simulator.hw import simstate
except ImportError:
    import simstate

if sys.implementation.name == "cpython":
    import struct

    # k samples of the FIFO as 2k big-endian 32-bit words (red, IR, red...): with every
    # fourth byte (the top one, always 0 for 18-bit values) deleted, the 6-byte records the
    # FIFO_DATA register streams, packed in C rather than byte by byte
    _WORDS = [struct.Struct(">%dI" % (2 * k)) for k in range(33)]
else:  # (MicroPython: deleting a stepped slice is not supported; the loop below is used)
    _WORDS = None

_FIFO_WR_PTR = 0x04
_OVF_COUNTER = 0x05
_FIFO_RD_PTR = 0x06
_FIFO_DATA = 0x07
_FIFO_CONFIG = 0x08
_MODE_CONFIG = 0x09
_SPO2_CONFIG = 0x0A
_TEMP_INTR = 0x1F
_TEMP_FRAC = 0x20
_TEMP_CONFIG = 0x21
_REV_ID = 0xFE
_PART_ID = 0xFF
_RATES = (50, 100, 200, 400, 800, 1000, 1600, 3200)
_AVES = (1, 2, 4, 8, 16, 32, 32, 32)


class MAX30102Sim:
    def __init__(self, source, temp_c16=36 * 16):
        self.source = source      # .block(t0_us, per_us, n) -> (reds, irs)
        self.temp_c16 = temp_c16
        self.samples = 0
        self._glitch_n = 0        # samples left of a burst of bus errors (see glitch())
        self._glitch_kind = 0
        self._lcg = 12345
        self._reset()

    def glitch(self, n, kind):
        """The next n samples read wrong, as a disturbed bus delivers them: kind 0 all zeros,
        1 all ones (0x3FFFF: SDA held high), 2 garbage (a frame read out of step)."""
        self._glitch_n = n
        self._glitch_kind = kind

    def _reset(self):
        self.regs = bytearray(256)
        self.regs[_PART_ID] = 0x15
        self.regs[_REV_ID] = 0x03
        self.red = [0] * 32
        self.ir = [0] * 32
        self.wr = 0
        self.rd = 0
        self.count = 0
        self.ovf = 0
        self._last_us = simstate.current.us
        self._byte = 0            # byte index within the sample being read

    def period_us(self):
        c = self.regs[_SPO2_CONFIG]
        sr = _RATES[(c >> 2) & 7]
        ave = _AVES[self.regs[_FIFO_CONFIG] >> 5]
        return 1000000 * ave // sr

    def _running(self):
        mode = self.regs[_MODE_CONFIG]
        return not mode & 0x80 and (mode & 7) in (2, 3, 7)

    def _catch_up(self):
        now = simstate.current.us
        regs = self.regs
        mode = regs[_MODE_CONFIG]  # (_running() and period_us(), inlined: twice a FIFO read)
        if mode & 0x80 or (mode & 7) not in (2, 3, 7):
            self._last_us = now
            return
        per = 1000000 * _AVES[regs[_FIFO_CONFIG] >> 5] // _RATES[(regs[_SPO2_CONFIG] >> 2) & 7]
        n = (now - self._last_us) // per
        if n <= 0:
            return
        start = self._last_us
        self._last_us += n * per
        if n > 40:  # a long gap: only the last samples can still be in the FIFO
            self.ovf = min(31, self.ovf + n - 40)
            start += (n - 40) * per
            n = 40
        roll = self.regs[_FIFO_CONFIG] & 0x10
        reds, irs = self.source.block(start, per, n)
        fred = self.red
        fir = self.ir
        wr = self.wr
        count = self.count
        if not self._glitch_n and count + n <= 32 and min(reds) >= 0 and min(irs) >= 0 \
                and max(reds) <= 0x3FFFF and max(irs) <= 0x3FFFF:
            # (the usual case: room for them all, nothing to clip, no glitch: stored as a
            # block, the very same FIFO contents as the loop below gives)
            e = wr + n
            if e <= 32:
                fred[wr:e] = reds
                fir[wr:e] = irs
            else:
                m = 32 - wr
                fred[wr:] = reds[:m]
                fir[wr:] = irs[:m]
                fred[:e - 32] = reds[m:]
                fir[:e - 32] = irs[m:]
            self.wr = e & 31
            self.count = count + n
            self.samples += n
            return
        for i in range(n):
            if count == 32:
                self.ovf = min(31, self.ovf + 1)
                if not roll:
                    continue
                self.rd = (self.rd + 1) & 31
                count -= 1
            red = reds[i]
            ir = irs[i]
            if self._glitch_n:
                self._glitch_n -= 1
                if self._glitch_kind == 0:
                    red = ir = 0
                elif self._glitch_kind == 1:
                    red = ir = 0x3FFFF
                else:
                    self._lcg = (self._lcg * 1103515245 + 12345) & 0x7FFFFFFF
                    red = self._lcg & 0x3FFFF
                    ir = (self._lcg >> 12) & 0x3FFFF
            if not 0 <= red <= 0x3FFFF:
                red = 0 if red < 0 else 0x3FFFF
            if not 0 <= ir <= 0x3FFFF:
                ir = 0 if ir < 0 else 0x3FFFF
            fred[wr] = red
            fir[wr] = ir
            wr = (wr + 1) & 31
            count += 1
        self.wr = wr
        self.count = count
        self.samples += n

    def read(self, reg, n):
        self._catch_up()
        if reg == _FIFO_DATA and self._byte == 0 and n % 6 == 0 and n // 6 <= self.count:
            return self._pop(n // 6)
        if reg == _FIFO_WR_PTR and n == 3:
            return bytes((self.wr, self.ovf, self.rd))
        out = bytearray(n)
        for i in range(n):
            out[i] = self._read1(reg)
            if reg != _FIFO_DATA:
                reg = (reg + 1) & 0xFF
        return out

    def read_into(self, reg, buf):
        """read(reg, len(buf)) into buf (the I2C bus's readfrom_mem_into), without a copy."""
        n = len(buf)
        self._catch_up()
        if reg == _FIFO_DATA and self._byte == 0 and n % 6 == 0 and n // 6 <= self.count:
            self._pop_into(n // 6, buf)
            return
        if reg == _FIFO_WR_PTR and n == 3:  # the driver's pointer read, before each burst
            buf[0] = self.wr
            buf[1] = self.ovf
            buf[2] = self.rd
            return
        data = self.read(reg, n)
        for i in range(n):
            buf[i] = data[i]

    def _pop(self, k):
        """k whole samples, as the 6-byte records the FIFO_DATA register streams."""
        out = bytearray(6 * k)
        self._pop_into(k, out)
        return out

    def _pop_into(self, k, out):
        rd = self.rd
        fred = self.red
        fir = self.ir
        if _WORDS is not None and k:
            e = rd + k
            if e <= 32:
                r = fred[rd:e]
                i = fir[rd:e]
            else:
                r = fred[rd:] + fred[:e - 32]
                i = fir[rd:] + fir[:e - 32]
            w = [0] * (2 * k)
            w[0::2] = r
            w[1::2] = i
            b = bytearray(_WORDS[k].pack(*w))
            del b[::4]
            out[0:6 * k] = b
            self.rd = e & 31
            self.count -= k
            self.ovf = 0
            return
        j = 0
        for _ in range(k):
            r = fred[rd]
            i = fir[rd]
            out[j] = r >> 16
            out[j + 1] = (r >> 8) & 0xFF
            out[j + 2] = r & 0xFF
            out[j + 3] = i >> 16
            out[j + 4] = (i >> 8) & 0xFF
            out[j + 5] = i & 0xFF
            j += 6
            rd = (rd + 1) & 31
        self.rd = rd
        self.count -= k
        if k:
            self.ovf = 0

    def _read1(self, reg):
        if reg == _FIFO_WR_PTR:
            return self.wr
        if reg == _OVF_COUNTER:
            return self.ovf
        if reg == _FIFO_RD_PTR:
            return self.rd
        if reg == _FIFO_DATA:
            if self.count == 0:
                return 0
            k = self._byte
            v = self.red[self.rd] if k < 3 else self.ir[self.rd]
            b = (v >> (8 * (2 - k % 3))) & 0xFF
            self._byte += 1
            if self._byte == 6:
                self._byte = 0
                self.rd = (self.rd + 1) & 31
                self.count -= 1
                self.ovf = 0
            return b
        if reg == _TEMP_CONFIG:
            return 0
        return self.regs[reg]

    def write(self, reg, data):
        self._catch_up()
        for v in data:
            self._write1(reg, v)
            reg = (reg + 1) & 0xFF

    def _write1(self, reg, v):
        if reg == _MODE_CONFIG and v & 0x40:
            self._reset()
            return
        if reg == _FIFO_WR_PTR:
            self.wr = v & 31
            self.count = (self.wr - self.rd) & 31
        elif reg == _FIFO_RD_PTR:
            self.rd = v & 31
            self.count = (self.wr - self.rd) & 31
            self._byte = 0
        elif reg == _OVF_COUNTER:
            self.ovf = v & 31
        elif reg == _TEMP_CONFIG:
            if v & 1:
                t = self.temp_c16
                self.regs[_TEMP_INTR] = (t >> 4) & 0xFF
                self.regs[_TEMP_FRAC] = t & 0x0F
        else:
            if reg == _MODE_CONFIG and (v & 7) != (self.regs[reg] & 7):
                self._last_us = simstate.current.us
            self.regs[reg] = v
