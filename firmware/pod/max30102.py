# MAX30102 pulse-oximeter driver over machine.I2C.
# Reads the FIFO by its pointers in one burst into a buffer made once; decodes into arrays made
# once. I2C errors surface as OSError: the caller (pod.heart) counts them and re-initialises.
import time
from array import array

from micropython import const

_REG_INTR_STATUS_1 = const(0x00)  # INTR_STATUS_1
_REG_FIFO_WR_PTR = const(0x04)    # FIFO_WR_PTR
_REG_OVF_COUNTER = const(0x05)    # OVF_COUNTER
_REG_FIFO_RD_PTR = const(0x06)    # FIFO_RD_PTR
_REG_FIFO_DATA = const(0x07)      # FIFO_DATA
_REG_FIFO_CONFIG = const(0x08)    # FIFO_CONFIG: SMP_AVE[7:5] FIFO_ROLLOVER_EN[4] FIFO_A_FULL[3:0]
_REG_MODE_CONFIG = const(0x09)    # MODE_CONFIG: SHDN[7] RESET[6] MODE[2:0]
_REG_SPO2_CONFIG = const(0x0A)    # SPO2_CONFIG: SPO2_ADC_RGE[6:5] SPO2_SR[4:2] LED_PW[1:0]
_REG_LED1_PA = const(0x0C)        # LED1_PA (red)
_REG_LED2_PA = const(0x0D)        # LED2_PA (IR)
_REG_TEMP_INTR = const(0x1F)      # TEMP_INTR
_REG_TEMP_FRAC = const(0x20)      # TEMP_FRAC
_REG_TEMP_CONFIG = const(0x21)    # TEMP_CONFIG: TEMP_EN[0]
_REG_PART_ID = const(0xFF)        # PART_ID

PART_ID = const(0x15)
_MODE_RESET = const(0x40)
_MODE_SPO2 = const(0x03)          # red + IR
_FIFO_AVE4_ROLL = const(0x50)     # SMP_AVE=4, roll-over on, A_FULL=0
_SPO2_4096NA_100SPS_411US = const(0x27)  # ADC 4096 nA, 100 samples/s, 411 us (18 bit)
_LED_7MA = const(0x24)            # 0x24 * 0.2 mA = 7.2 mA
_FIFO_DEPTH = const(32)
_SAMPLE_BYTES = const(6)

RATE_HZ = const(25)               # 100 samples/s averaged 4:1 into the FIFO


class MAX30102:
    def __init__(self, i2c, addr=0x57):
        self.i2c = i2c
        self.addr = addr
        self._reg = bytearray(1)
        self._ptrs = bytearray(3)  # FIFO_WR_PTR, OVF_COUNTER, FIFO_RD_PTR
        self._buf = bytearray(_FIFO_DEPTH * _SAMPLE_BYTES)
        mv = memoryview(self._buf)
        self._views = [mv[: n * _SAMPLE_BYTES] for n in range(_FIFO_DEPTH + 1)]
        self.ir = array("i", [0] * _FIFO_DEPTH)
        self.red = array("i", [0] * _FIFO_DEPTH)
        self.overflows = 0
        self.swap = False  # some clone boards wire red and IR the other way round

    def _read(self, reg):
        self.i2c.readfrom_mem_into(self.addr, reg, self._reg)
        return self._reg[0]

    def _write(self, reg, val):
        self._reg[0] = val
        self.i2c.writeto_mem(self.addr, reg, self._reg)

    def init(self):
        """Check the part, reset it and configure SpO2 mode. Raises OSError if it is not there."""
        if self._read(_REG_PART_ID) != PART_ID:
            raise OSError(19)  # ENODEV: something else answers at this address
        self._write(_REG_MODE_CONFIG, _MODE_RESET)
        for _ in range(10):  # the reset bit clears itself within about 1 ms
            time.sleep_ms(1)
            if not self._read(_REG_MODE_CONFIG) & _MODE_RESET:
                break
        else:
            raise OSError(5)  # EIO: the part did not come out of reset
        self._write(_REG_FIFO_CONFIG, _FIFO_AVE4_ROLL)
        self._write(_REG_SPO2_CONFIG, _SPO2_4096NA_100SPS_411US)
        self._write(_REG_LED1_PA, _LED_7MA)
        self._write(_REG_LED2_PA, _LED_7MA)
        self._write(_REG_MODE_CONFIG, _MODE_SPO2)
        self.clear()

    def clear(self):
        self._write(_REG_FIFO_WR_PTR, 0)
        self._write(_REG_OVF_COUNTER, 0)
        self._write(_REG_FIFO_RD_PTR, 0)
        self._read(_REG_INTR_STATUS_1)

    def read(self):
        """Read every sample waiting in the FIFO into self.ir / self.red; returns how many."""
        self.i2c.readfrom_mem_into(self.addr, _REG_FIFO_WR_PTR, self._ptrs)
        wr = self._ptrs[0]
        ovf = self._ptrs[1]
        n = (wr - self._ptrs[2]) & 31
        if ovf:
            self.overflows += ovf
            n = _FIFO_DEPTH if n == 0 else n
        if n == 0:
            return 0
        self.i2c.readfrom_mem_into(self.addr, _REG_FIFO_DATA, self._views[n])
        b = self._buf
        a = self.red
        c = self.ir
        if self.swap:
            a = self.ir
            c = self.red
        j = 0
        for i in range(n):
            a[i] = ((b[j] << 16) | (b[j + 1] << 8) | b[j + 2]) & 0x3FFFF
            c[i] = ((b[j + 3] << 16) | (b[j + 4] << 8) | b[j + 5]) & 0x3FFFF
            j += _SAMPLE_BYTES
        return n

    def temperature(self):
        """Die temperature in 1/16 degC (starts a conversion and reads the previous one)."""
        whole = self._read(_REG_TEMP_INTR)
        if whole > 127:
            whole -= 256
        t = whole * 16 + (self._read(_REG_TEMP_FRAC) & 0x0F)
        self._write(_REG_TEMP_CONFIG, 1)
        return t
