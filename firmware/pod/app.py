# The pod's application: builds the drivers from the board file, then runs a fixed-period
# super-loop: read inputs, step the core, apply outputs, feed the watchdog when healthy.
import gc
import json
import sys
import time

import machine
from micropython import const

from pod import board, core, hr
from pod.drivers import Button, Buzzer, Lamp, Strip
from pod.link import Link
from pod.marker import Marker
from pod.max30102 import MAX30102, RATE_HZ
from pod.reasons import REASON_NAMES

PROGRAM_FILE = "program.json"
SETTINGS_FILE = "settings.json"
_STABLE_MS = const(30000)     # running this long clears the failed-boot count
_RETRY_MIN_MS = const(1000)   # sensor re-init backoff, doubling up to the max
_RETRY_MAX_MS = const(32000)
_TEL_MS = const(1000)
_READ_MS = const(400)         # FIFO read period: 10 samples of the 32 it holds
_RESET_NAMES = {1: "power_on", 2: "hard", 3: "watchdog", 4: "deep_sleep", 5: "soft"}


def _load_json(name):
    try:
        with open(name) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_plan():
    """The stored program if it is valid, else the built-in default. Never raises.

    The validator is only needed here, so its module is dropped again afterwards: on a small
    heap its bytecode is worth more as free memory for the night."""
    from pod import program
    try:
        prog = _load_json(PROGRAM_FILE)
        if prog is not None:
            try:
                return program.load(prog), "file"
            except ValueError:
                pass
        return program.load(program.DEFAULT), "default"
    finally:
        _forget("pod.program")


def _forget(name):
    """Unload a firmware module so the garbage collector can take its code back."""
    sys.modules.pop(name, None)
    pkg, _, leaf = name.rpartition(".")
    parent = sys.modules.get(pkg)
    if parent is not None and leaf in parent.__dict__:
        delattr(parent, leaf)


def load_settings():
    s = _load_json(SETTINGS_FILE)
    if isinstance(s, dict):
        wl = s.get("wake_level", 800)
        cap = s.get("cap_min", 720)
        if isinstance(wl, int) and isinstance(cap, int):
            return core.Settings(wl, cap * 60000)
    return core.Settings()


class Heart:
    """The MAX30102 and the estimator. A missing or failing sensor is a state, not a crash."""

    def __init__(self, i2c, now):
        self.dev = MAX30102(i2c, board.HR_ADDR)
        self.est = hr.Estimator(RATE_HZ)
        self.ok = False
        self.errors = 0
        self.backoff = _RETRY_MIN_MS
        self.t_retry = now
        self.bpm10 = -1
        self.t_bpm = now
        self.t_read = now

    def poll(self, now, inp):
        if not self.ok and time.ticks_diff(now, self.t_retry) >= 0:
            try:
                self.dev.init()
                self.ok = True
                self.backoff = _RETRY_MIN_MS
                self.est.reset()
            except OSError:
                self._failed(now)
        if self.ok and time.ticks_diff(now, self.t_read) >= _READ_MS:
            self.t_read = now
            try:
                n = self.dev.read()
                if n:
                    self.est.feed(self.dev.ir, n)
                    inp.hr_bad = self.est.oob
                    inp.hr_bad_ms = self.est.bad_ms()
            except OSError:
                self._failed(now)
        if time.ticks_diff(now, self.t_bpm) >= 1000:
            self.t_bpm = now
            self.bpm10 = self.est.bpm10() if self.ok else -1
        if not self.ok:
            inp.hr_bad = 0
            inp.hr_bad_ms = -1
        inp.sensor_ok = self.ok
        inp.contact = self.ok and self.est.contact
        inp.bpm10 = self.bpm10

    def _failed(self, now):
        self.ok = False
        self.errors += 1
        self.bpm10 = -1
        self.t_retry = time.ticks_add(now, self.backoff)
        self.backoff = min(self.backoff * 2, _RETRY_MAX_MS)


class App:
    def __init__(self):
        self.marker = Marker()
        m = self.marker
        alarm = bool(m.active and m.reason)
        self.wdt = machine.WDT(timeout=board.WDT_TIMEOUT_MS)
        now = time.ticks_ms()
        self.t_boot = now
        self.reset_cause = _RESET_NAMES.get(machine.reset_cause(), "unknown")
        full = 255 if alarm else 0
        P = machine.Pin
        self.strip = Strip(P(board.STRIP_PIN, P.OUT), board.STRIP_COUNT, full)
        self.lamp = Lamp(P(board.WHITE_PIN), 65535 if alarm else 0)
        self.buzzer = Buzzer(P(board.BUZZER_PIN))
        self.button = Button(P(board.BUTTON_PIN, P.IN, P.PULL_UP))
        i2c = machine.I2C(board.I2C_ID, scl=P(board.I2C_SCL), sda=P(board.I2C_SDA),
                          freq=board.I2C_FREQ)
        self.heart = Heart(i2c, now)
        self.rtc = machine.RTC()
        plan, self.plan_src = load_plan()
        self.pod = core.Pod(plan, load_settings(), now)
        if board.I2S_ENABLED:  # an I2S speaker plays the night; the buzzer keeps the alarm
            from pod.i2s_out import Speaker
            self.buzzer = Speaker(self.buzzer, self.pod)
        self.heart.est.set_band(plan.hr_low, plan.hr_high)
        self.inp = core.In()
        self.link = Link(self.telemetry)
        if alarm:
            self.pod.alarm(now, m.reason)
        self.stable = False
        self.t_prev = now
        self.t_tel = now
        self.ticks = 0
        self.overruns = 0
        self._event("boot")

    def clock_s(self):
        """Seconds since midnight, or -1 while the clock has not been set: an ESP32 starts at
        2000-01-01 after power-on, and a wake "at" a time of day must not trust that."""
        dt = self.rtc.datetime()
        if dt[0] < 2024:
            return -1
        return dt[4] * 3600 + dt[5] * 60 + dt[6]

    def run(self):
        nxt = time.ticks_ms()
        while True:
            self.tick(time.ticks_ms())
            nxt = time.ticks_add(nxt, board.LOOP_MS)
            wait = time.ticks_diff(nxt, time.ticks_ms())
            if wait > 0:
                time.sleep_ms(wait)
            else:
                self.overruns += 1
                nxt = time.ticks_ms()

    def tick(self, now):
        inp = self.inp
        b = self.button
        inp.press = b.take()
        inp.held_ms = b.held_ms(now)
        self.heart.poll(now, inp)
        self.link.poll(now, inp)
        out = self.pod.step(now, inp)
        inp.cmd = core.CMD_NONE
        self.strip.show(out.r, out.g, out.b, out.r2, out.g2, out.b2)
        self.lamp.set(out.white)
        self.buzzer.play(out.tone, out.vol)
        if out.changed:
            self._state_changed()
        self.link.done(out.cmd_ok, self.pod.state)
        if self._healthy(now):
            self.wdt.feed()
        self.t_prev = now
        self.ticks += 1
        if time.ticks_diff(now, self.t_tel) >= _TEL_MS:
            self.t_tel = now
            inp.clock_s = self.clock_s()
            self.telemetry(now)
            if not self.stable and time.ticks_diff(now, self.t_boot) >= _STABLE_MS:
                self.stable = True
                self.marker.failed_boots = 0
                self.marker.save()

    def _healthy(self, now):
        """Feed the watchdog only if this iteration really ran: outputs applied, time sane."""
        out = self.pod.out
        return (0 <= self.pod.state <= core.ALARM
                and self.lamp.duty == out.white
                and self.strip._last[0] == out.r
                and time.ticks_diff(now, self.t_prev) < board.WDT_TIMEOUT_MS)

    def _state_changed(self):
        pod = self.pod
        m = self.marker
        active = core.in_session(pod.state) or pod.state == core.ALARM
        reason = pod.reason if pod.state == core.ALARM else 0
        if active != bool(m.active):
            Marker.set_flash(active)
        if active != bool(m.active) or reason != m.reason:
            m.active = 1 if active else 0
            m.reason = reason
            m.save()
        self._event("state")

    def _event(self, kind):
        pod = self.pod
        print('{"t":"evt","ev":"%s","up":%d,"state":"%s","reason":"%s"}' % (
            kind, time.ticks_diff(time.ticks_ms(), self.t_boot),
            core.STATE_NAMES[pod.state], REASON_NAMES[pod.reason]))

    def telemetry(self, now, head='"t":"tel"'):
        """The 1 Hz telemetry line; with another head (an id and ok) the link's status reply."""
        pod = self.pod
        out = pod.out
        h = self.heart
        bpm = "null" if h.bpm10 < 0 else "%d.%d" % (h.bpm10 // 10, h.bpm10 % 10)
        print('{%s,"up":%d,"state":"%s","reason":"%s","rgb":[%d,%d,%d],"white":%d,'
              '"tone":%d,"vol":%d,"bpm":%s,"contact":%s,"q":%d,"sensor":"%s","rc":"%s",'
              '"mem":%d}' % (
                  head, time.ticks_diff(now, self.t_boot), core.STATE_NAMES[pod.state],
                  REASON_NAMES[pod.reason], out.r, out.g, out.b, out.white, out.tone, out.vol,
                  bpm, "true" if self.inp.contact else "false", h.est.quality,
                  "ok" if h.ok else "fail", self.reset_cause, gc.mem_free()))


def main():
    gc.collect()  # the imports' garbage gone before the long-lived objects: less fragmentation
    App().run()
