"""A safety monitor for a simulated pod: it performs what a person or a fault does to the pod,
records what each one obliges the pod to do and by when, and checks the promise that the
sleeper always wakes. Property tests and the broken-variant tests drive pods through it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.faults import SENSOR_LOST
from simulator.recorder import SESSION_STATES, first_on
from simulator.sim import BOOT_DELAY_MS, SimPod

H = 3600 * 1000
WDT_MS = 5000          # firmware/pod/board.py WDT_TIMEOUT_MS
BUTTON_MS = 250        # a press (or serial wake) to lit
CRASH_MS = 1000        # an escaped exception to lit and sounding
BOOT_MS = 1000         # power back (or a reset) to lit
RETRY_MS = 50          # the simulator retries a fault deferred while the firmware is not running
CAP_MS = 12 * H
LONG_PRESS_MS = 2600   # held past the firmware's 2 s long press
DEFAULT_HOLD_MS = 60000        # sleep.hr_hold_s and sleep.no_signal_min of the default program
DEFAULT_GRACE_MS = 10 * 60000  # (firmware/pod/program.py), which replaces a corrupt one
DISRUPTIVE = ("hang", "crash", "power-cut", "boot-crash")
DEFAULT_ANSWER_MS = 20 * 60000  # wake.answer_min of the default program
CALLING = ("scheduled", "smart", "command")  # the wakes that call until a person answers
MORNING = ("scheduled", "smart")
SET_CLOCK_S = 24 * 365 * 86400  # RTC seconds since 2000 below which the pod's clock is unset


@dataclass
class Obligation:
    why: str
    t: int                 # when it was triggered, simulated ms
    due: int | None        # lit (and sounding) by then; None until it can be dated
    sound: bool = True
    kind: str = ""
    trigger: str = ""      # its Safety-table row in simulator/soakreport.py, if not `kind`


@dataclass
class Deferred:
    """A hang or a crash injected while the firmware was not running: it strikes once the
    firmware runs again (the simulator defers it), by `strike` at the latest."""
    kind: str
    t: int
    strike: int
    ob: Obligation | None


@dataclass
class SafetyMonitor:
    pod: SimPod
    hold_ms: int = 60000          # sleep.hr_hold_s of the program in use
    grace_ms: int = 10 * 60000    # sleep.no_signal_min
    answer_ms: int = DEFAULT_ANSWER_MS  # wake.answer_min
    program: dict | None = None   # the program in use, to date each night's morning wake
    obligations: list[Obligation] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    acks: list[int] = field(default_factory=list)        # times a person acknowledged
    user: list[int] = field(default_factory=list)        # times a person did anything
    faults: list[tuple[str, int]] = field(default_factory=list)
    _events_seen: int = 0
    _resets_seen: int = 0
    _fw_state: str = "IDLE"
    _session_t: int | None = None
    _feeds: int = 0
    _checked_t: int = 0
    _down_from: int | None = None  # a fault knocked the firmware out; None once it is back
    _alarm_t: int | None = None    # when the current alarm began
    _alarm_in_session: bool = True  # ...and whether a night was under way then
    _power_cuts: list[int] = field(default_factory=list)
    _deferred: list[Deferred] = field(default_factory=list)  # hangs and crashes yet to strike
    _hangs_checked: int = 0       # pod.struck entries the watchdog check is done with
    _power_back: int = 0
    # answers (#11): a wake calling since _call_t, not answered yet; the morning's wake due
    _fw_reason: str = "none"
    _call_t: int | None = None
    _morning: int | None = None   # when this night's morning wake is due at the latest
    _stops: list[int] = field(default_factory=list)  # host `stop` requests
    clock_sets: list[int] = field(default_factory=list)  # when a host set the pod's clock
    _night_t: int = 0             # when the night now owed its morning wake started
    _presses: list[tuple[int, int]] = field(default_factory=list)  # (when, held ms)
    # the wake-up check: (answered at, due at) of an answered morning wake, which calls again
    # if the sleeper still sleeps in the pod then; and whether the wake calling was answered
    _check: tuple[int, int] | None = None
    _quiet: int | None = None     # when it was (its own state event follows at once)
    # soak report (simulator/soakreport.py): told of each action, fault and settled deadline
    observer: Any = None

    # -- what happens to the pod ---------------------------------------------------------------
    @property
    def now(self) -> int:
        return self.pod.now_ms

    def active(self) -> bool:
        """A session or an unacknowledged alarm: a sleeper depends on the pod. (A boot-loop
        safe mode that began with no night under way is not: a power cycle clears it.)"""
        if self._fw_state == "ALARM":
            return self._alarm_in_session
        return self._fw_state in SESSION_STATES

    def advance(self, ms: int) -> None:
        self.pod.advance(ms)
        self.check()

    def tap(self, hold_ms: int = 120) -> None:
        """Press the button (a tap, or held for hold_ms): lit within 250 ms, whatever the state."""
        if self.observer is not None:  # soak report
            self.observer.action(self, "hold" if hold_ms >= 2000 else "tap")
        self.user.append(self.now)
        self._presses.append((self.now, hold_ms))
        if self._down_from is None:  # a press while the firmware is down goes unseen
            self.obligations.append(Obligation("button press", self.now, self.now + BUTTON_MS,
                                               sound=False))
        self.pod.press(self.now, hold_ms)

    def long_press(self) -> None:
        """Hold the button past 2 s: starts a night from off, acknowledges an alarm (even one
        that begins while the button is already held)."""
        self.acks.append(self.now + 2000)
        self.user.append(self.now + LONG_PRESS_MS)
        self.tap(LONG_PRESS_MS)

    def fault(self, kind: str, arg: int = 0) -> None:
        t = self.now
        if self.observer is not None:  # soak report
            self.observer.action(self, kind, fault=True)
        if kind in ("hang", "crash") and self.pod.board.hung:
            # a hung board runs no code: nothing can hang again or raise (until a reset or a
            # power cut ends the hang, the watchdog's reset is what is due)
            self.faults.append((kind, t))
            self.pod.inject(kind, t, arg)
            return
        # While the power is off, nothing can happen before it returns; while the board boots,
        # a hang or a crash can only strike once the firmware runs (the simulator defers it,
        # retrying every 50 ms): a boot (0.6 s) after the reset, or after power returns.
        wait = max(0, self._power_back - t)
        if kind in ("hang", "crash") and not self.pod.running:
            last = self.pod.res.resets[-1]["t_ms"] if self.pod.res.resets else 0
            wait = max(0, max(last, self._power_back) + BOOT_DELAY_MS - t) + RETRY_MS
        due = None
        if any(t - 3000 <= a <= t for a in self.acks):
            pass  # an acknowledgement is under way: the pod may rightly be going off
        elif kind == "hang" and self.active():
            due = t + WDT_MS + BOOT_MS
        elif kind == "crash" and self.active():
            due = t + CRASH_MS
        elif kind == "power-cut" and self.active() and self._powered(t):
            due = t + (arg or 5) * 1000 + BOOT_MS
        elif kind == "boot-crash":
            k = arg or 3
            if k >= 3:  # safe mode, whatever the state
                due = t + 3 * 1300 + 600 + BOOT_MS
            elif self.active():
                due = t + (k + 1) * 1300 + BOOT_MS
        elif kind in ("hr-low", "hr-high") and self._fw_state in SESSION_STATES \
                and self.pod.sleeper.contact and not self.pod.board.i2c_fault \
                and self.pod.pins.HR_ADDR in self.pod.board.i2c:
            due = t + self.hold_ms + 1000  # (a rate nobody can measure is a no-signal case)
        if due is not None:
            due += wait
        if kind == "crash" and not self.pod.running:
            # a crash while the board boots costs one more boot before anything else can
            # happen: whatever was due is due one boot later (the crash itself is due a second
            # after it strikes: its handler, or the verdict of the boot it interrupts, lights up)
            for o in self.obligations:
                if o.due is not None and o.due > t:
                    o.due += 1300
        if kind in DISRUPTIVE:
            for p in self._unstruck():
                # a hang or a crash injected while the firmware was not running strikes when
                # it runs again, before this fault's consequences can unfold...
                if kind in ("power-cut", "boot-crash"):
                    # ...unless this reset or power cut comes first: then it strikes once the
                    # firmware runs after it (a boot after power returns)
                    back = t
                    if kind == "power-cut":  # (a cut while off changes nothing)
                        back = t + (arg or 5) * 1000 if self._powered(t) else self._power_back
                    p.strike = max(p.strike, back + BOOT_DELAY_MS + RETRY_MS)
                    if p.ob is not None and p.ob.due is not None:
                        p.ob.due = max(p.ob.due, p.strike + (WDT_MS + BOOT_MS if p.kind == "hang"
                                                             else CRASH_MS))
                if due is not None:
                    # what this fault brings comes only after the earlier one has played out: a
                    # hang ends in the watchdog's reset; a crash costs a boot (its handler resets)
                    due += max(0, p.strike + WDT_MS - t) if p.kind == "hang" else 1300
            # the pod is knocked out: what it had not done yet is due when this fault's wake
            # is due, or, if this fault brings no wake, cannot be asked of it any more
            keep = []
            for o in self.obligations:
                if o.due is not None and o.due > t:
                    if due is None:
                        continue
                    o.due = max(o.due, due)
                keep.append(o)
            self.obligations = keep
            self._down_from = t
            self._call_t = None  # a wake calling: the fail-safe verdict takes over from here
        if kind == "power-cut" and self._powered(t):  # (a cut while off changes nothing)
            self._power_cuts.append(t)
            self._power_back = t + (arg or 5) * 1000
        if kind == "corrupt-program":
            # from its next load the pod runs the default program instead (no previous one is
            # kept in these tests): its hold and grace time may be the ones that apply
            self.hold_ms = max(self.hold_ms, DEFAULT_HOLD_MS)
            self.grace_ms = max(self.grace_ms, DEFAULT_GRACE_MS)
            self.answer_ms = max(self.answer_ms, DEFAULT_ANSWER_MS)
            self.program = None  # (its morning can no longer be dated from here)
        if kind in SENSOR_LOST:
            # the rate cannot be measured any more: its wake becomes the no-signal one, unless
            # the rate had been outside the band for a while (10 s: beats seen out of band):
            # then the out-of-band time goes on through the gap (#11)
            self.obligations = [o for o in self.obligations if o.kind not in ("hr-low", "hr-high")
                                or t - o.t >= 10000]
            self.obligations.append(Obligation("no signal (%s)" % kind, t, None, kind=kind))
        ob = None
        if kind not in SENSOR_LOST and due is not None:
            ob = Obligation(kind, t, due, kind=kind,
                            trigger="boot loop" if kind == "boot-crash" and (arg or 3) >= 3 else "")
            self.obligations.append(ob)
        if kind in ("hang", "crash") and wait:
            self._deferred.append(Deferred(kind, t, t + wait, ob))
        self.faults.append((kind, t + wait))
        self.pod.inject(kind, t, arg)

    def serial(self, cmd: str) -> None:
        """A command over the serial link, as a host would send it (a newline first, to end
        any half line left by garbage). `wake` must light the pod within 250 ms; `ack` is an
        acknowledgement; `start` and `stop` are a person's choices."""
        t = self.now
        if self.observer is not None:  # soak report
            self.observer.action(self, "serial " + cmd)
        self.user.append(t)
        if cmd == "ack":
            self.acks.append(t)
        if cmd == "stop":
            self._stops.append(t)
        recent_garbage = any(k == "serial-garbage" and t - 3000 <= ft <= t
                             for k, ft in self.faults)
        if cmd == "wake" and self._down_from is None and not recent_garbage:
            self.obligations.append(Obligation("serial wake", t, t + BUTTON_MS, sound=False))
        self.pod.send(b"\n")
        self.pod.send({"id": len(self.user), "cmd": cmd})

    def set_clock(self, clock_s: int) -> None:
        """A host sets the pod's clock (a sync, or daylight saving) to clock_s past midnight. A
        night under way keeps the wake it worked out when it started."""
        if self.observer is not None:  # soak report
            self.observer.action(self, "serial time set")
        self.clock_sets.append(self.now)
        d = [2026, 3, 29, clock_s // 3600, clock_s // 60 % 60, clock_s % 60]
        self.pod.send(b"\n")
        self.pod.send({"id": 9000 + len(self.user), "cmd": "time", "op": "set", "datetime": d})

    def config_set(self, config: dict) -> None:
        """A host changes the pod's settings (`podctl config set`); refused while a wake is
        unanswered (#11)."""
        if self.observer is not None:  # soak report
            self.observer.action(self, "serial config set")
        self.user.append(self.now)
        self.pod.send(b"\n")
        self.pod.send({"id": 9500 + len(self.user), "cmd": "config", "op": "set",
                       "config": config})

    def push_program(self, program: dict) -> None:
        """A host pushes a program (`podctl program push`: begin, chunks, commit, each after
        the reply to the one before, about 0.2 s apart). The pod loads it for the next night,
        never while a night or a wake waiting for its answer is under way."""
        import base64
        import binascii
        import json
        if self.observer is not None:  # soak report
            self.observer.action(self, "serial program push")
        self.user.append(self.now)
        data = json.dumps(program).encode()
        rid = 9700 + 10 * len(self.user)
        reqs = [{"cmd": "program", "op": "begin", "size": len(data), "crc": binascii.crc32(data)}]
        reqs += [{"cmd": "program", "op": "chunk", "off": off,
                  "data": base64.b64encode(data[off:off + 96]).decode()}
                 for off in range(0, len(data), 96)]
        reqs.append({"cmd": "program", "op": "commit"})
        self.pod.send(b"\n")
        for i, r in enumerate(reqs):
            self.pod.send(dict(r, id=rid + i))
            self.advance(200)

    def heal_sensor(self) -> None:
        """The heart-rate signal comes back to normal: pending heart-rate wakes are off."""
        self.pod.sleeper.override = 0.0
        self.pod.sleeper.contact = True
        b = self.pod.board
        if b.i2c_fault in ("nack", "stuck"):
            b.i2c_fault = ""
        b.i2c[self.pod.pins.HR_ADDR] = self.pod.sensor  # (plugged back in, if it was pulled)
        self.obligations = [o for o in self.obligations
                            if o.kind not in ("hr-low", "hr-high") + SENSOR_LOST]

    def _powered(self, t: int) -> bool:
        """Whether the board has power at t (a fault in the very ms power returns is still
        one in the dark, as in the simulator)."""
        return t > self._power_back or not self._power_cuts

    def _unstruck(self) -> list[Deferred]:
        settled = {(k, t) for k, t, _ in self.pod.struck}
        self._deferred = [p for p in self._deferred if (p.kind, p.t) not in settled]
        return self._deferred

    # -- the checks ----------------------------------------------------------------------------
    def _sleeping(self) -> bool:
        """Whether the simulated sleeper lies in the pod with a sleeping heart rate, clearly so
        (3 bpm inside the firmware's line: the band's low edge + 30, pod.wakecheck), on a
        healthy sensor."""
        p = self.pod
        low = ((self.program or {}).get("sleep", {})).get("hr_low", 40)
        return (p.sleeper.contact and not p.sleeper.override and not p.board.i2c_fault
                and p.pins.HR_ADDR in p.board.i2c and p.sleeper.hr < low + 27)

    def _fail(self, msg: str) -> None:
        self.violations.append("at %d ms: %s" % (self.now, msg))

    def check(self) -> list[str]:
        """Run every invariant on what happened since the last check; returns violations."""
        self._follow_events()
        self._deadlines()
        self._answers()
        self._watchdog()
        self._checked_t = self.now
        return self.violations

    def _follow_events(self) -> None:
        """Walk the firmware's own state events: sticky alarms and the session cap."""
        evs = self.pod.res.events
        for e in evs[self._events_seen:]:
            st = e.get("state", "")
            t = e["sim_ms"]
            if e.get("ev") in ("boot", "safe_mode") and self._down_from is not None \
                    and t > self._down_from:
                self._down_from = None
            if st == "ALARM" and self._alarm_t is None:
                self._alarm_t = t
                self._alarm_in_session = (e.get("reason") != "boot_loop"
                                          or self._fw_state in SESSION_STATES
                                          or self._session_t is not None)
            if self._fw_state == "ALARM" and st != "ALARM":
                begun = self._alarm_t if self._alarm_t is not None else t
                cleared = not self._alarm_in_session and any(
                    begun <= c <= t for c in self._power_cuts)
                if not cleared and not any(begun - 3000 <= a <= t for a in self.acks):
                    self._fail("the alarm ended (now %s) at %d ms with no acknowledgement" % (st, t))
                self._alarm_t = None
            self._follow_answers(e, st, t)
            if st in SESSION_STATES and self._fw_state not in SESSION_STATES:
                self._session_t = t
            if st not in SESSION_STATES:
                self._session_t = None
            self._fw_state = st
            self._fw_reason = e.get("reason", "none")
        self._events_seen = len(evs)
        if self._session_t is not None and self.now - self._session_t > CAP_MS + 2000:
            self._fail("a session has run past the 12-hour cap (since %d ms)" % self._session_t)
            self._session_t = None

    def _follow_answers(self, e: dict, st: str, t: int) -> None:
        """Answers (#11): a wake that calls (scheduled, smart, a host's wake) goes on until a
        person answers it (a press, a hold, `ack`) or the fail-safe alarm takes over; a night
        started is owed its morning wake."""
        ev = e.get("ev")
        reason = e.get("reason", "none")
        if ev == "answer":
            if not any(t - 3000 <= u <= t + 700 for u in self.user + self.acks):
                self._fail("a wake was answered (%s) at %d ms with no person there"
                           % (e.get("msg"), t))
            self._call_t = None
            check = ((self.program or {}).get("wake", {})).get("check_min")
            if check and reason in MORNING:  # the wake-up check: due, if still asleep then
                self._check = (t, t + check * 60000)
            self._quiet = t
            return
        if st == "ALARM" and self._call_t is not None and reason == "unanswered" \
                and self.observer is not None:  # soak report: the escalation's margin
            self.observer.latency("unanswered wake", t - self._call_t, self.answer_ms + 2000)
        if (st == "AWAKE" and reason in MORNING and self._morning is not None
                and self.observer is not None):  # soak report: the morning wake's lateness
            self.observer.latency("morning wake", t - (self._morning - 2000), 2000)
        if st == "ALARM" and self._call_t is not None \
                and t > self._call_t + self.answer_ms + 2000:
            self._fail("a wake calling since %d ms was neither answered nor escalated to ALARM "
                       "by %d ms (ALARM at %d ms)" % (self._call_t,
                                                      self._call_t + self.answer_ms + 2000, t))
        if ev in ("boot", "safe_mode") or st == "ALARM":
            self._call_t = None  # the fail-safe verdict or alarm takes over from here
        if st == "ALARM" or (st == "AWAKE" and reason in MORNING):
            self._morning = None  # the morning came (or the fail-safe alarm did)
        if ev != "state":
            return
        if st == "AWAKE" and reason in CALLING and self._call_t is None and (
                self._fw_state != "AWAKE" or self._fw_reason != reason
                or self._quiet is not None and t > self._quiet):
            self._call_t = t  # (a wake calling again after an answer: the wake-up check)
            self._quiet = None
        if st == "IDLE" and self._call_t is not None:
            self._fail("a wake calling since %d ms ended unanswered (IDLE at %d ms)"
                       % (self._call_t, t))
            self._call_t = None
        if st == "IDLE" and self._morning is not None:
            if not any(self._night_t <= s <= t for s in self._stops) \
                    and not self._ended_by_hand(t):
                self._fail("the night ended at %d ms before its morning wake (due by %d ms) with "
                           "no host stop" % (t, self._morning))
            self._morning = None  # (ended by a host stop or by hand: no morning is owed)
        if st in SESSION_STATES and reason == "none" and self._fw_state not in SESSION_STATES \
                and self._morning is None:  # a night started (not one going back to sleep)
            self._morning = self._morning_due(t)
            self._night_t = t

    def _ended_by_hand(self, t: int) -> bool:
        """Whether a person made the gesture that ends a night just before t: three presses,
        each within 1.5 s of the one before, the last held past 2 s (README, gestures)."""
        p = self._presses
        for i in range(2, len(p)):
            t3, hold = p[i]
            if hold >= 2000 and t3 + 1900 <= t <= t3 + 2700 \
                    and t3 - p[i - 1][0] < 1500 and p[i - 1][0] - p[i - 2][0] < 1500:
                return True
        return False

    def _morning_due(self, t: int) -> int | None:
        """When the morning wake of a night started at t is due: worked out from the program
        and the pod's clock as the firmware does (an unset clock: after_min's 8-hour default)."""
        if self.program is None:
            return None
        wake = self.program.get("wake", {})
        secs = self.pod.board.rtc_seconds()
        target = wake.get("after_min", 480) * 60000
        if "at" in wake and secs >= SET_CLOCK_S:
            h, m = (int(x) for x in wake["at"].split(":"))
            target = (h * 3600 + m * 60 - secs % 86400) % 86400 * 1000
        return t + min(target, CAP_MS - 60000) + 2000

    def _answers(self) -> None:
        """An unanswered wake escalates to ALARM by the end of its answer window; the morning
        wake comes on time; an answered morning wake with a wake-up check calls again if the
        sleeper still sleeps in the pod when the check is due."""
        if self._check is not None and self.now >= self._check[1] + 3000:
            answered, due = self._check
            self._check = None
            # nobody did anything after the answering gesture (a hold is done 2.6 s after its
            # press), no fault, the sleeper still in the pod, asleep: it must call again
            quiet = (not any(answered + 3000 < u <= due for u in self.user)
                     and not any(answered < ft <= due for _, ft in self.faults))
            if quiet and self._sleeping() and self._down_from is None:
                called = [e for e in self.pod.res.events if due - 1000 <= e["sim_ms"] <= due + 3000
                          and e.get("ev") == "state" and (e.get("state") == "ALARM" or (
                              e.get("state") == "AWAKE" and e.get("reason") in MORNING))]
                if not called:
                    self._fail("the wake-up check due at %d ms found the sleeper asleep in the "
                               "pod and did not call again" % due)
        if self._call_t is not None and self._fw_state != "ALARM" and self._down_from is None \
                and self.now > self._call_t + self.answer_ms + 2000:
            self._fail("a wake calling since %d ms was neither answered nor escalated to ALARM "
                       "by %d ms" % (self._call_t, self._call_t + self.answer_ms + 2000))
            self._call_t = None
        if self._morning is not None and self.now > self._morning and self._down_from is None:
            self._fail("the morning wake due by %d ms did not come (%s)" % (
                self._morning, self._fw_state))
            self._morning = None

    def _deadlines(self) -> None:
        keep = []
        for o in self.obligations:
            if o.due is None:
                o.due = self._no_signal_due(o)
            if o.due is None or o.due > self.now:
                keep.append(o)
                continue
            lit = first_on(self.pod._lit_log, o.t)
            if lit is None or lit > o.due:
                self._fail("%s at %d ms: not lit by %d ms (lit %s)" % (o.why, o.t, o.due, lit))
            woken = any(o.t <= u <= o.due for u in self.user)
            snd = None
            if o.sound and not woken:
                snd = first_on(self.pod._sound_log, o.t)
                if snd is None or snd > o.due:
                    self._fail("%s at %d ms: not sounding by %d ms" % (o.why, o.t, o.due))
            if self.observer is not None:  # soak report: the margin of this deadline
                self.observer.settled(self, o, lit, snd, o.sound and not woken)
        self.obligations = keep

    def _no_signal_due(self, o: Obligation) -> int | None:
        """No-signal wakes are due a grace time after the pod is asleep with the signal gone."""
        start = None
        state = None
        for e in self.pod.res.events:
            if e["sim_ms"] <= o.t:
                state = e.get("state")
                continue
            if e.get("state") == "SLEEP" and start is None:
                start = e["sim_ms"]
        if state == "SLEEP":
            start = o.t
        if start is None:
            return None
        return start + self.grace_ms + 1000

    def _watchdog(self) -> None:
        """A healthy loop keeps feeding the watchdog; only a stuck one is ever reset by it."""
        resets = self.pod.res.resets
        for r in resets[self._resets_seen:]:
            if r["cause"] == "watchdog":
                # a hang, or an error that left the board at the REPL, is what it is for
                # (a hang or crash counts from when it struck: one deferred past a power cut
                # strikes long after it was injected)
                causes = [s for _, _, s in self.pod.struck if s is not None]
                causes += [t for k, t in self.faults if k == "boot-crash"]
                if not any(r["t_ms"] - WDT_MS - 2000 <= c <= r["t_ms"] for c in causes):
                    self._fail("a watchdog reset at %d ms with no hang before it" % r["t_ms"])
        struck = self.pod.struck
        while self._hangs_checked < len(struck):
            k, t0, s = struck[self._hangs_checked]
            if k == "hang" and s is not None:
                if s + WDT_MS + 100 > self.now:
                    break
                # from when it struck (a hang injected while the board boots strikes once the
                # firmware runs); another reset, or a power cut, may end it before the watchdog
                if not any(s <= r["t_ms"] <= s + WDT_MS + 100 for r in resets) \
                        and not any(s <= c <= s + WDT_MS + 100 for c in self._power_cuts):
                    self._fail("a hang at %d ms (struck at %d ms) was not reset by the watchdog"
                               % (t0, s))
            self._hangs_checked += 1
        feeds = self.pod.board.wdt_feeds
        quiet = (len(resets) == self._resets_seen and self._down_from is None
                 and not any(self._checked_t - WDT_MS <= t <= self.now for _, t in self.faults))
        span = self.now - self._checked_t
        if quiet and span >= 2000 and feeds - self._feeds < span // 200:
            self._fail("the loop fed the watchdog %d times in %d ms" % (feeds - self._feeds, span))
        self._feeds = feeds
        self._resets_seen = len(resets)
