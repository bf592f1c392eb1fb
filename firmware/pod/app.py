# The pod's application: builds the drivers from the board file, then runs a fixed-period
# super-loop: read inputs, step the core, apply outputs, feed the watchdog when healthy.
import gc
import json
import os
import time

import machine
import micropython
from micropython import const

from pod import board, core, forget, hr, lazy
from pod.drivers import Button, Buzzer, Lamp, Strip
from pod.marker import Marker
from pod.max30102 import MAX30102, RATE_HZ
from pod.reasons import REASON_NAMES

_STABLE_MS = const(30000)     # running this long clears the failed-boot count (a policy
# number: see pod.board)
_RETRY_MIN_MS = const(1000)   # sensor re-init backoff, doubling up to the max
_RETRY_MAX_MS = const(32000)
_TEL_MS = const(1000)
_READ_MS = const(400)         # FIFO read period: 10 samples of the 32 it holds
_MARK_TELL = const(30)        # tries (one a second, or more) before a missing night file is told
RESET_NAMES = {1: "power_on", 2: "hard", 3: "watchdog", 4: "deep_sleep", 5: "soft"}
household = None  # pod.household.hook on a household's pod (set by its start(); README "Household")


class Heart:
    """The MAX30102 and the estimator. A missing or failing sensor is a state, not a crash."""

    def __init__(self, i2c, now):
        self.dev = MAX30102(i2c, board.HR_ADDR)
        self.est = hr.Estimator(RATE_HZ)
        self.ok = False
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
                    self.est.feed(self.dev.ir, self.dev.red, n)
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
        self.bpm10 = -1
        self.t_retry = time.ticks_add(now, self.backoff)
        self.backoff = min(self.backoff * 2, _RETRY_MAX_MS)


class App:
    def __init__(self, loaded=None):
        """loaded: what pod.stored_load.load() returned, if main.py read the files before
        importing this module (as it does on the pod); else they are read here."""
        self.marker = Marker()
        m = self.marker
        alarm = bool(m.active and m.reason)
        self.wdt = machine.WDT(timeout=board.WDT_TIMEOUT_MS)
        now = time.ticks_ms()
        self.t_boot = now
        # the files first: their big temporary modules come and go before the long-lived
        # objects are made, which then fill the heap from below and leave one free run
        settings, plan, self.prog, probs = loaded or lazy("pod.stored_load", "load")
        loaded = None
        from pod.journal import Journal
        from pod.serial_link import Link  # (like the journal: not beside the validator at boot)
        gc.collect()
        self.journal = j = Journal()  # (first of the long-lived objects: its map grows)
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
        self.read_clock(now)
        self.plan_stale = False  # a new program waits for the end of the session
        self.job = None  # a program commit's second step (pod.link.commit), for the next tick
        self.pod = core.Pod(plan, core.Settings(settings["wake_level"], settings["cap_min"] * 60000), now)
        settings = None
        if board.I2S_ENABLED:  # an I2S speaker plays the night; the buzzer keeps the alarm
            from pod.i2s_out import I2SOut
            self.speaker = I2SOut()
        self.heart.est.set_band(plan.hr_low, plan.hr_high)
        self.inp = core.In()
        self.link = Link(self.telemetry)
        self.link.app = self  # pyright: ignore[reportAttributeAccessIssue] - for pod.link (the router)
        j.boot(machine.reset_cause(), m.reason, self.prog[1], m.failed_boots)
        if alarm:
            self.pod.alarm(now, m.reason)
            j.state(self, now, core.ALARM)  # (the loop sees no change: it starts in ALARM)
        for p in probs:  # a damaged file is reported, and the pod runs on what it could load
            j.fault(0, p)
            self._event("storage", p)
        self.stable = False
        self.mark_retry = 0  # failed tries of the night-under-way file (see _mark)
        self.t_prev = now
        self.t_tel = now
        self._event("boot")

    def read_clock(self, now):
        """Read the RTC (once a second: it makes a tuple). Until the next read, tick() counts
        on from it with ticks_ms, so a night started between reads is timed from the clock to
        the tick, not from a reading up to a second old. clock_ms is -1 while the clock has not
        been set: an ESP32 starts at 2000-01-01 after power-on, and a wake "at" a time of day
        must not trust that."""
        dt = self.rtc.datetime()
        self.t_clock = now
        if dt[0] < 2024:
            self.clock_ms = -1
        else:
            sub = dt[7]  # microseconds on the ESP32
            self.clock_ms = (dt[4] * 3600 + dt[5] * 60 + dt[6]) * 1000 + (
                sub // 1000 if 0 <= sub < 1000000 else 0)

    def run(self):
        nxt = time.ticks_ms()
        while True:
            self.tick(time.ticks_ms())
            nxt = time.ticks_add(nxt, board.LOOP_MS)
            wait = time.ticks_diff(nxt, time.ticks_ms())
            if wait > 0:
                time.sleep_ms(wait)
            else:  # overran its period: the next tick starts at once
                nxt = time.ticks_ms()

    def tick(self, now):
        inp = self.inp
        b = self.button
        inp.press = b.take()
        inp.held_ms = b.held_ms(now)
        c = self.clock_ms
        if c >= 0:
            c += time.ticks_diff(now, self.t_clock)
            inp.clock_s = c // 1000 % 86400
            inp.clock_sub = c % 1000
        else:
            inp.clock_s = -1
        self.heart.poll(now, inp)
        try:
            self.link.poll(now, inp)
        except MemoryError:  # no heap for a request or its reply: it is lost, not the night
            pass
        out = (household or self.pod).step(now, inp)  # a household's: its radio, then the core's
        inp.cmd = core.CMD_NONE
        # (the night-under-way file never reached flash: every other pixel dim red, see _mark)
        self.strip.show(out.r, out.g, out.b,
                        out.r2 | 40 if self.mark_retry >= _MARK_TELL else out.r2, out.g2, out.b2)
        self.lamp.set(out.white)
        if not board.I2S_ENABLED:
            self.buzzer.play(out.tone, out.vol)
        else:  # the speaker plays every sound; the piezo still sounds the fail-safe alarm
            self.speaker.play(out.tone, out.vol)
            if self.pod.state == core.ALARM:
                self.buzzer.play(out.tone, out.vol)
            else:
                self.buzzer.play(0, 0)
        if out.changed:
            how = self.pod.how
            if how:  # a person answered a wake: an event and a journal record, with how
                self.pod.how = 0
                self._event("answer", ("tap", "hold", "ack")[how - 1])
                self.journal.answer(how)
            self._state_changed(now)
        try:
            self.link.done(out.refusal, self.pod.state)
        except MemoryError:
            pass
        if self.job is not None:
            self._commit(False)
        if self._healthy(now):
            self.wdt.feed()
        self.t_prev = now
        if time.ticks_diff(now, self.t_tel) >= _TEL_MS:
            self.t_tel = now
            self.read_clock(now)
            try:
                self.telemetry(now)
            except MemoryError:  # a line lost, never the loop (so are events: _event)
                pass
            self.journal.second(self.heart.bpm10, inp.contact, self.pod.night)
            self._mark()
            if not self.stable and time.ticks_diff(now, self.t_boot) >= _STABLE_MS:
                self.stable = True
                self.marker.failed_boots = 0
                self.marker.save()

    def _healthy(self, now):
        """Feed the watchdog only if this iteration really ran: outputs applied, time sane."""
        out = self.pod.out
        return (core.IDLE <= self.pod.state <= core.ALARM
                and self.lamp.duty == out.white
                and self.strip._last[0] == out.r
                and time.ticks_diff(now, self.t_prev) < board.WDT_TIMEOUT_MS)

    def _state_changed(self, now):
        active = self._mark()
        self._event("state")
        self.journal.state(self, now, self.pod.state)
        if not active and self.plan_stale:
            self._commit(True)

    def _mark(self):
        """Keep the markers in step with the pod (on every change of state, and once a second
        for a wake silenced by a tap). "Active" is a night (lamps in it too), an alarm, or a
        wake not yet answered (calling, or snoozed): a reset or a power cut then boots into
        ALARM, never into the dark."""
        pod = self.pod
        m = self.marker
        st = pod.state
        active = pod.night or pod.unanswered()
        reason = pod.reason if st == core.ALARM else 0
        if active != bool(m.active) or self.mark_retry:
            # the night-under-way file, retried once a second until it is written (#11); not
            # written after _MARK_TELL tries, the person is told: a storage event (once), and
            # "mark" in the telemetry and status, and a dim red on the strip, until it is
            if Marker.set_flash(active):
                self.mark_retry = 0
            elif self.mark_retry < _MARK_TELL:
                self.mark_retry += 1
                if self.mark_retry == _MARK_TELL:
                    self._event("storage", "session.mark not written")
        if active != bool(m.active) or reason != m.reason:
            m.active = 1 if active else 0
            m.reason = reason
            m.save()
        return active

    def _commit(self, reload):
        """A program commit's heavy step (reload False), or loading the committed program into
        the core (reload True; never mid-session): pod.link.commit, loaded for the call only.
        It hands the program back through use_program()."""
        job = self.job
        self.job = None
        try:
            if reload:
                lazy("pod.link.commit", "reload", self)
            elif job is not None:
                lazy("pod.link.commit", "finish", self, job[0], job[1], job[2])
        except Exception:  # noqa: BLE001 - no heap even to load it: the upload is dropped
            if not reload and job is not None:  # (no reply: no heap for one); a reload is
                try:  # tried again at the next change of state
                    os.remove(job[3])  # the upload's file, named by pod.link.commit
                except OSError:
                    pass
        forget("pod.link")  # (the package the commit's module is in)

    def use_program(self, info, plan=None, probs=()):
        """A committed program (pod.link.commit hands it over): info as pod.stored_load gives
        it. Without its plan it is stored only and waits for the end of the session
        (plan_stale); with it, the core runs it from the next night on."""
        self.prog = info
        self.plan_stale = plan is None
        if plan is not None:
            self.pod.plan = plan
            self.heart.est.set_band(plan.hr_low, plan.hr_high)
            for p in probs:
                self.journal.fault(0, p)

    def _event(self, kind, msg=None):
        pod = self.pod
        try:
            print('{"t":"evt","ev":"%s","up":%d,"state":"%s","reason":"%s"%s}' % (
                kind, time.ticks_diff(time.ticks_ms(), self.t_boot),
                core.STATE_NAMES[pod.state], REASON_NAMES[pod.reason],
                "" if msg is None else ',"msg":' + json.dumps(msg)))
        except MemoryError:
            pass

    def telemetry(self, now, head='"t":"tel"'):
        """The 1 Hz telemetry line; with another head (an id and ok) the link's status reply."""
        pod = self.pod
        out = pod.out
        h = self.heart
        bpm = "null" if h.bpm10 < 0 else "%d.%d" % (h.bpm10 // 10, h.bpm10 % 10)
        # in two pieces (one line): two small blocks are easier to find in a night's heap;
        # both made before either is printed, so no heap for the second prints no half line
        a = '{%s,"up":%d,"state":"%s","reason":"%s","rgb":[%d,%d,%d],"white":%d,' % (
            head, time.ticks_diff(now, self.t_boot), core.STATE_NAMES[pod.state],
            REASON_NAMES[pod.reason], out.r, out.g, out.b, out.white)
        b = ('"tone":%d,"vol":%d,"bpm":%s,"contact":%s,"q":%d,"sensor":"%s","rc":"%s",'
              '"mark":%d,"mem":%d}' % (
                  out.tone, out.vol, bpm, "true" if self.inp.contact else "false",
                  h.est.quality, "ok" if h.ok else "fail",
                  RESET_NAMES.get(machine.reset_cause(), "unknown"),
                  self.mark_retry >= _MARK_TELL, gc.mem_free()))
        print(a, end="")
        print(b)


def main(loaded=None):
    # Ctrl-C off, as boot.py already did (kept here in case an older boot.py is on the board):
    # a 0x03 byte on the serial link is data (a bad_json reply), not a KeyboardInterrupt.
    micropython.kbd_intr(-1)
    gc.collect()  # the imports' garbage gone before the long-lived objects: less fragmentation
    App(loaded).run()
