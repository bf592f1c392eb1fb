"""A simulated pod: the unmodified firmware on a fake ESP32, a sleeper, and a recorder.

SimPod boots firmware/boot.py then firmware/main.py in virtual time. Resets and power cuts
reboot it the way a board would. This module is the runner: the board, the boots, time and what
happens to the pod (presses, serial input, faults). What the pod did (the trace, wake records
and which trigger each wake answered) is kept by the recorder it builds on,
simulator.recorder.WakeRecorder.
"""
from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path

from simulator import FIRMWARE_DIR
from simulator.hw import simstate
from simulator.hw.flash import FlashFS
from simulator.hw.max30102sim import MAX30102Sim
from simulator.hw.simstate import PowerCut, Reset, SimEnd
from simulator.hw.sleeper import Sleeper
from simulator.recorder import Fault, NightResult, WakeRecorder
from simulator.sandbox import Sandbox, firmware_module

BOOT_DELAY_MS = 600  # power-on or reset to boot.py on stock MicroPython


class SimPod(WakeRecorder):
    def __init__(self, fw_dir: Path = FIRMWARE_DIR, workdir: Path | None = None, seed: int = 1,
                 start_clock: str = "22:30", sleeper: Sleeper | None = None):
        self.fw_dir = Path(fw_dir)
        self.board = simstate.Board()
        simstate.current = self.board
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="pod-sim-")
            workdir = Path(self._tmp.name)
        self.fs = FlashFS(Path(workdir))
        self.sleeper = sleeper or Sleeper(seed)
        self.sensor = MAX30102Sim(self.sleeper)
        self.pins = firmware_module("pod.board", self.fw_dir)
        light = firmware_module("pod.light", self.fw_dir)
        self.board.i2c[self.pins.HR_ADDR] = self.sensor
        self.board.on_console = self._console
        self.board.on_output = self._output
        h, m = (int(x) for x in start_clock.split(":"))
        self.start_clock_s = h * 3600 + m * 60
        days = simstate.days_from_civil(2026, 11, 23) - simstate.EPOCH_2000_DAYS
        self.board.rtc_set(days * 86400 + self.start_clock_s)
        self._start_recording(self.start_clock_s, light)
        self.boot_crashes = 0
        # (kind, injected ms, struck ms) of each hang or crash fault once it is settled: it
        # strikes when firmware code runs; on a board already hung it never does (None)
        self.struck: list[tuple[str, int, int | None]] = []
        self.booted = 0
        self.running = False  # firmware code is running (not booting, not off)
        self._go = threading.Semaphore(0)
        self._paused = threading.Semaphore(0)
        self._output()


    # -- things that happen to the pod ---------------------------------------------------------
    def at(self, t_ms: int, fn) -> None:
        self.board.schedule(t_ms * 1000, fn)

    def press(self, t_ms: int, hold_ms: int = 120) -> None:
        pin = self.pins.BUTTON_PIN

        def down():
            self.note_trigger("button")
            self.board.set_input(pin, 0)

        self.at(t_ms, down)
        self.at(t_ms + hold_ms, lambda: self.board.set_input(pin, 1))

    def send(self, msg: dict | bytes | str, at_ms: int | None = None) -> None:
        """The host writes to the pod's serial port: a dict as one JSON line, bytes (or str)
        as they are. Now, or at simulated time at_ms. What does not fit in the board's receive
        buffer is lost (board.rx_max, board.rx_dropped)."""
        if isinstance(msg, dict):
            data = (json.dumps(msg) + "\n").encode()
        elif isinstance(msg, str):
            data = msg.encode()
        else:
            data = bytes(msg)
        wake = isinstance(msg, dict) and msg.get("cmd") == "wake"

        def arrive():
            if wake:
                self.note_trigger("wake")
            self.board.feed_rx(data)

        if at_ms is None:
            arrive()
        else:
            self.at(at_ms, arrive)

    def inject(self, kind: str, t_ms: int, arg: int = 0) -> None:
        """Schedule a fault (see simulator.faults.KINDS)."""
        from simulator import faults
        self.res.faults.append(Fault(kind, t_ms, arg))
        self.at(t_ms, lambda: faults.apply(self, kind, arg))

    # -- running -------------------------------------------------------------------------------
    def _boot_once(self) -> None:
        b = self.board
        self.running = False
        b.advance_us(BOOT_DELAY_MS * 1000)
        b.start_boot()
        self.fs.dead = False  # powered again
        self.running = True
        self.booted += 1
        sb = Sandbox(self.fw_dir, b, self.fs)
        # As on the board: an error in boot.py is printed and main.py still runs; an error
        # escaping main.py is printed and the board sits at the REPL, where only a running
        # watchdog (or a person) resets it.
        # Ctrl-C (KeyboardInterrupt) is no Exception: it too ends the script at the REPL.
        try:
            sb.run_file("boot.py")
        except (Exception, KeyboardInterrupt) as e:  # noqa: BLE001
            sb._print_exception(e)
        if self.boot_crashes > 0:
            self.boot_crashes -= 1
            b.schedule(b.us + 50000, self._boot_crash)
        try:
            sb.run_file("main.py")
        except (Exception, KeyboardInterrupt) as e:  # noqa: BLE001
            sb._print_exception(e)
        self.running = False  # at the REPL: nothing of the firmware runs
        b.hang()

    def advance_to(self, t_ms: int) -> None:
        """Run the pod until simulated time t_ms. The firmware keeps running between calls
        (it lives in its own thread, paused while the caller looks and acts), so a test can
        step a night, press buttons, inject faults and check the outputs as it goes."""
        if self._done:
            raise RuntimeError("this simulated pod has been stopped")
        b = self.board
        b.schedule(t_ms * 1000, self._pause)
        if self._thread is None:
            if self.sample_ms > 0:  # (0: no samples, for runs that never look at them)
                nxt = (self.now_ms // self.sample_ms + 1) * self.sample_ms
                b.schedule(nxt * 1000, self._tick)
            self._thread = threading.Thread(target=self._firmware, name="pod-firmware",
                                            daemon=True)
            self._thread.start()
        else:
            self._go.release()
        self._paused.acquire()
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def advance(self, ms: int) -> None:
        self.advance_to(self.now_ms + ms)

    def stop(self) -> NightResult:
        """End the simulation (the firmware thread unwinds) and return what was recorded."""
        if self._thread is not None and not self._done:
            self._stopping = True
            self._go.release()
            self._thread.join()
        self._done = True
        self.res.final_state = self.state
        self.res.duration_ms = self.now_ms
        return self.res

    def run(self, until_ms: int, sample_ms: int = 1000) -> NightResult:
        """Run from now until until_ms, then stop."""
        self.sample_ms = sample_ms
        self.advance_to(until_ms)
        return self.stop()

    sample_ms = 1000
    _thread: threading.Thread | None = None
    _error: BaseException | None = None
    _done = False
    _stopping = False

    def _tick(self) -> None:
        self._sample()
        self.board.schedule(self.board.us + self.sample_ms * 1000, self._tick)

    def _pause(self) -> None:
        self._paused.release()
        self._go.acquire()
        if self._stopping:
            raise SimEnd()

    def _firmware(self) -> None:
        b = self.board
        try:
            while True:
                try:
                    if self._reboot_cause is not None:
                        b.reboot(self._reboot_cause)
                        self._reboot_cause = None
                    self._boot_once()
                except Reset as r:
                    self._reset(r.cause)
                except PowerCut as p:
                    self._power_cut(p.off_ms)
        except SimEnd:
            pass
        except BaseException as e:  # noqa: BLE001 - handed to the caller of advance_to()
            self._error = e
        finally:
            self._done = True
            self._paused.release()

    _reboot_cause: int | None = None

    def _boot_crash(self) -> None:
        if self.running and not self.board.hung:
            raise RuntimeError("injected fault: crash during boot")

    def _reset(self, cause: int) -> None:
        self.running = False
        self.res.resets.append({"t_ms": self.now_ms, "cause": simstate.CAUSE_NAMES[cause]})
        self.state = "BOOT"
        self._reboot_cause = cause

    def _power_cut(self, off_ms: int) -> None:
        self.running = False
        b = self.board
        self.state = "OFF"
        b.reboot(simstate.PWRON_RESET)
        end = b.us + off_ms * 1000
        while b.us < end:  # the board is dead: events still happen around it, to no effect
            try:
                b.advance_us(end - b.us)
            except (Reset, PowerCut, Exception):
                continue
        self.res.resets.append({"t_ms": self.now_ms, "cause": "power_on"})
        self.state = "BOOT"
        self._reboot_cause = simstate.PWRON_RESET

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
