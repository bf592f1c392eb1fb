"""The firmware's drivers against the fake ESP32 hardware, register by register."""
import pytest

from simulator import FIRMWARE_DIR
from simulator.hw import simstate
from simulator.hw.flash import FlashFS
from simulator.hw.max30102sim import MAX30102Sim
from simulator.hw.sleeper import Sleeper
from simulator.sandbox import Sandbox


class Rig:
    """The fake board plus a firmware namespace on it; attribute access falls to the board."""

    def __init__(self, board, sandbox):
        self.__dict__["_b"] = board
        self.__dict__["sandbox"] = sandbox

    def __getattr__(self, name):
        return getattr(self._b, name)

    def __setattr__(self, name, value):
        setattr(self._b, name, value)


@pytest.fixture
def board(tmp_path):
    b = simstate.Board()
    simstate.current = b
    return Rig(b, Sandbox(FIRMWARE_DIR, b, FlashFS(tmp_path)))


def load(board, name):
    return board.sandbox._load(name)


def test_strip_writes_grb_and_skips_unchanged_frames(board):
    drivers = load(board, "pod.drivers")
    machine = board.sandbox.fakes["machine"]
    writes = []
    board.on_output = lambda: writes.append(bytes(board.strips[13]))
    strip = drivers.Strip(machine.Pin(13, machine.Pin.OUT), 4)
    writes.clear()
    strip.show(255, 100, 10, 1, 2, 3)
    strip.show(255, 100, 10, 1, 2, 3)
    assert len(writes) == 1
    assert board.strips[13][:6] == bytes([100, 255, 10, 2, 1, 3])  # G, R, B per pixel


def test_lamp_and_buzzer_drive_pwm(board):
    drivers = load(board, "pod.drivers")
    machine = board.sandbox.fakes["machine"]
    lamp = drivers.Lamp(machine.Pin(25))
    lamp.set(40000)
    assert board.pwm[25][1] == 40000
    buz = drivers.Buzzer(machine.Pin(26))
    buz.play(523, 1000)
    assert board.pwm[26] == [523, 32768]  # full volume is a 50 % square wave
    buz.play(0, 1000)
    assert board.pwm[26][1] == 0          # a rest is silent


def test_button_interrupt_latches_once_and_reports_hold(board):
    drivers = load(board, "pod.drivers")
    machine = board.sandbox.fakes["machine"]
    btn = drivers.Button(machine.Pin(27, machine.Pin.IN, machine.Pin.PULL_UP))
    board.advance_us(100000)
    board.set_input(27, 0)
    assert btn.latched                     # the interrupt only set the flag
    assert btn.take() and not btn.take()
    t0 = board.ticks_ms()
    assert btn.held_ms(t0) >= 1
    board.advance_us(2500000)
    assert btn.held_ms(board.ticks_ms()) >= 2500
    board.set_input(27, 1)
    assert btn.held_ms(board.ticks_ms()) == 0


def test_button_bounce_counts_as_one_press(board):
    drivers = load(board, "pod.drivers")
    machine = board.sandbox.fakes["machine"]
    btn = drivers.Button(machine.Pin(27, machine.Pin.IN, machine.Pin.PULL_UP))
    board.advance_us(100000)
    board.set_input(27, 0)
    btn.take()
    for _ in range(3):  # contact bounce within a few ms
        board.advance_us(2000)
        board.set_input(27, 1)
        board.set_input(27, 0)
    assert not btn.take()


def make_sensor(board):
    sleeper = Sleeper(3)
    model = MAX30102Sim(sleeper)
    board.i2c[0x57] = model
    mod = load(board, "pod.max30102")
    machine = board.sandbox.fakes["machine"]
    dev = mod.MAX30102(machine.I2C(0), 0x57)
    return dev, model, sleeper, mod


def test_max30102_configures_and_streams_at_its_rate(board):
    dev, model, sleeper, mod = make_sensor(board)
    dev.init()
    assert model.period_us() == 1000000 // mod.RATE_HZ
    total = 0
    for _ in range(10):
        board.advance_us(400000)
        n = dev.read()
        total += n
        assert all(100000 < dev.ir[i] < 200000 for i in range(n))
    assert total in (99, 100, 101)  # 4 s at 25 samples/s, none lost
    assert dev.overflows == 0


def test_max30102_counts_overflow_when_read_late(board):
    dev, model, _, _ = make_sensor(board)
    dev.init()
    board.advance_us(3000000)  # 75 samples arrive, the FIFO holds 32
    assert dev.read() == 32
    assert dev.overflows > 0


def test_max30102_swap_for_clone_boards(board):
    dev, _, _, _ = make_sensor(board)
    dev.init()
    dev.swap = True
    board.advance_us(400000)
    n = dev.read()
    assert n and dev.red[0] > dev.ir[0]  # the IR baseline is the larger, now read as red


def test_max30102_missing_or_wrong_part_is_an_oserror(board):
    dev, model, _, _ = make_sensor(board)
    board.i2c_fault = "nack"
    with pytest.raises(OSError):
        dev.init()
    board.i2c_fault = ""
    model.regs[0xFF] = 0x11  # something else answers at 0x57
    with pytest.raises(OSError):
        dev.init()


def test_max30102_temperature(board):
    dev, model, _, _ = make_sensor(board)
    dev.init()
    dev.temperature()
    assert dev.temperature() == 36 * 16


def test_watchdog_resets_a_starved_board(board):
    machine = board.sandbox.fakes["machine"]
    wdt = machine.WDT(timeout=2000)
    board.advance_us(1500000)
    wdt.feed()
    board.advance_us(1500000)
    with pytest.raises(simstate.Reset) as e:
        board.advance_us(1000000)
    assert e.value.cause == simstate.WDT_RESET
    assert board.us == 3500000  # exactly at the deadline


def test_rtc_memory_survives_reset_not_power_loss(board):
    machine = board.sandbox.fakes["machine"]
    machine.RTC().memory(b"PD\x01")
    board.reboot(simstate.WDT_RESET)
    assert machine.RTC().memory() == b"PD\x01"
    assert machine.reset_cause() == machine.WDT_RESET
    board.reboot(simstate.PWRON_RESET)
    assert machine.RTC().memory() == b""


def test_fake_ticks_wrap_like_micropython(board):
    t = board.sandbox.fakes["time"]
    board.ticks_base = (1 << 30) - 50
    a = t.ticks_ms()
    board.advance_us(100000)
    b = t.ticks_ms()
    assert b < a and t.ticks_diff(b, a) == 100 and t.ticks_add(a, 100) == b


def test_release_bounce_is_not_a_second_press(board):
    """Holding the button and letting go with a bouncy contact is one press, not two."""
    drivers = load(board, "pod.drivers")
    machine = board.sandbox.fakes["machine"]
    btn = drivers.Button(machine.Pin(27, machine.Pin.IN, machine.Pin.PULL_UP))
    board.set_input(27, 0)
    presses = int(btn.take())
    for _ in range(25):  # held for 2.5 s, the loop polling every 100 ms
        board.advance_us(100000)
        btn.held_ms(board.ticks_ms())
    board.set_input(27, 1)
    for _ in range(3):   # release bounce
        board.advance_us(2000)
        board.set_input(27, 0)
        board.set_input(27, 1)
    for _ in range(3):
        board.advance_us(100000)
        btn.held_ms(board.ticks_ms())
        presses += btn.take()
    assert presses == 1
    board.set_input(27, 0)  # a real second press, once settled, counts
    assert btn.take()


@pytest.mark.parametrize("fault,errno", [("nack", 19), ("eio", 5), ("stuck", 116)])
def test_max30102_bus_faults_are_the_esp32_oserrors_and_recoverable(board, fault, errno):
    dev, model, _, _ = make_sensor(board)
    dev.init()
    board.i2c_fault = fault
    t0 = board.us
    with pytest.raises(OSError) as e:
        dev.read()
    assert e.value.args[0] == errno
    assert not board.hung and board.us - t0 <= 50000  # a stuck bus times out, it does not hang
    board.i2c_fault = ""
    dev.init()
    board.advance_us(400000)
    assert dev.read() >= 9


def test_max30102_pulled_out_and_plugged_back(board):
    dev, model, _, _ = make_sensor(board)
    dev.init()
    del board.i2c[0x57]
    with pytest.raises(OSError) as e:
        dev.read()
    assert e.value.args[0] == 19  # ENODEV: nothing acknowledges the address
    fresh = MAX30102Sim(Sleeper(4))  # plugged back: a part at its power-on defaults
    board.i2c[0x57] = fresh
    board.advance_us(400000)
    assert fresh.read(0x09, 1)[0] & 7 == 0  # not sampling until the driver configures it
    dev.init()
    board.advance_us(400000)
    assert dev.read() >= 9


def test_max30102_die_temperature(board):
    dev, model, _, _ = make_sensor(board)
    dev.init()
    model.temp_c16 = 35 * 16 + 5
    dev.temperature()  # starts a conversion
    assert dev.temperature() == 35 * 16 + 5
