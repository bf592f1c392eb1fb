# The pod's state machine: pure logic, no hardware, no clock.
# Pod.step(now_ms, inputs) decides the state and fills a preallocated Out with what the lights
# and the speaker should do. Times are ticks in ms (they wrap at 2**30, like time.ticks_ms()).
from micropython import const

from pod import board, light, sound

# States
IDLE = const(0)
WIND_DOWN = const(1)
SLEEP = const(2)
WAKE_RAMP = const(3)
AWAKE = const(4)
ALARM = const(5)  # fail-safe wake: full light and alarm sound until a person acknowledges it
STATE_NAMES = ("IDLE", "WIND_DOWN", "SLEEP", "WAKE_RAMP", "AWAKE", "ALARM")

# Why the pod woke: see pod.reasons (shared with boot.py, which must not import this module).
from pod.reasons import (  # noqa: E402
    R_BUTTON,
    R_CAP,
    R_COMMAND,
    R_HR_HIGH,
    R_HR_LOW,
    R_NO_SIGNAL,
    R_NONE,
    R_SCHEDULED,
    R_SMART,
    R_UNANSWERED,
)

# Why a command was refused: pod.reasons' REF_* numbers, written here as constants (each name
# imported would take a slot in this module's globals, on a heap at its edge);
# tests/test_answers_check.py checks that they agree.
_REF_OK = const(0)
_REF_ALARM = const(1)
_REF_NO_ALARM = const(2)
_REF_NIGHT = const(3)
_REF_WAKE_CALLING = const(4)
_REF_NO_CLOCK = const(5)

# Commands from the serial link
CMD_NONE = const(0)
CMD_WAKE = const(1)
CMD_ACK = const(2)
CMD_START = const(3)
CMD_STOP = const(4)

LONG_PRESS_MS = board.LONG_PRESS_MS
# The session cap: no program or setting can raise it past this or turn it off.
CAP_MAX_MS = const(12 * 3600 * 1000)
_DAY_S = const(86400)
_DAYLIGHT_K = const(6500)  # where the sunrise ends
_DOUBLE_MS = const(1500)  # three presses this close, the last held: ends a night
_CONFIRM_MS = const(1500)  # how long a gesture's confirmation shows
_C_START = const(1)  # confirmations: a night started, switched off (back to it), ended
_C_OFF = const(2)
_C_END = const(3)
_C_GUESS = const(4)  # a night started on an unset clock: its wake "at" a time is a guess
# How a wake was answered (pod.app names them)
_HOW_TAP = const(1)
_HOW_HOLD = const(2)
_HOW_ACK = const(3)
_ALARM_SWAP_MS = const(500)
# wind_down.sound, as pod.program numbers it (the core does not import the validator)
_SOUND_NOISE = const(1)
_SOUND_NONE = const(2)


def ticks_diff(a, b):
    """a - b for ticks that wrap at 2**30, as time.ticks_diff does.

    Written so no intermediate leaves the 31-bit small-int range of a 32-bit port (2**30
    itself is a big int there), so it never allocates on the ESP32."""
    d = (a - b) & 0x3FFFFFFF
    if d >= 0x20000000:
        d -= 0x20000000
        d -= 0x20000000
    return d


class Settings:
    """Pod-wide settings. The safety floors are enforced here, whatever a file says."""

    def __init__(self, wake_level=800, cap_ms=CAP_MAX_MS):
        self.wake_level = max(300, min(1000, wake_level))  # permille of full, perceived
        self.cap_ms = max(3600000, min(CAP_MAX_MS, cap_ms))


class In:
    """Inputs for one step. The loop fills the same object every time."""

    def __init__(self):
        self.press = False   # a button press happened since the last step
        self.held_ms = 0     # how long the button has been held down now (0: released)
        self.cmd = CMD_NONE  # a command from the serial link
        self.bpm10 = -1      # heart rate x10, -1 when the estimator is not sure
        self.hr_bad = 0      # beats outside the safe band: 0 no, 1 too slow, 2 too fast
        self.hr_bad_ms = -1  # for how long (ms), -1 when they are not
        self.contact = False
        self.sensor_ok = False
        self.clock_s = -1    # seconds since midnight, -1 when the clock is not set
        self.clock_sub = 0   # and milliseconds into that second (0..999)


class Out:
    """What the outputs should be after a step. Even strip pixels show (r, g, b), odd ones
    (r2, g2, b2). white is the white LED's 16-bit duty; tone in Hz (0: silent); vol permille."""

    def __init__(self):
        self.r = self.g = self.b = 0
        self.r2 = self.g2 = self.b2 = 0
        self.white = 0
        self.tone = 0
        self.vol = 0
        self.changed = False  # the state changed in this step
        self.refusal = _REF_OK  # the command in this step: accepted (0) or why it was refused,
        # a pod.reasons REF_* number (the link sends it)


class Pod:
    def __init__(self, plan, settings, now_ms):
        self.plan = plan
        self.settings = settings
        self.out = Out()
        self.state = IDLE
        self.reason = R_NONE
        self.t_state = now_ms
        self.t_session = now_ms
        self.wd_end = 0
        self.rise_start = 0
        self.sound_start = 0
        self.wake_target = 0
        self.silenced = False  # in AWAKE: no wake is calling (a lamp, or a wake answered)
        self.press_origin = -1  # the state a press began in, until its hold is handled
        self.t_press = now_ms - 60000
        self.quick = 0  # presses each soon after the one before
        # since when there is no signal in SLEEP (-1: there is one); outside a night, when
        # the wake-up check is due (-1: none), armed by an answer to the morning's wake
        self.nosig_t = -1
        self._ck = -1  # kelvin and level behind the colour in out
        self._cl = -1
        self.smart = None      # pod.smart.SmartWake, loaded only for a program with a window
        self.snoozes = 0
        self.snooze_end = -1   # session ms a snooze ends (-1: not snoozing)
        # A night goes on under a lamp or a host wake until the morning's wake is answered.
        self.night = False
        self.morning = False   # the morning's (scheduled or smart) wake has come
        self.t_call = now_ms   # when the wake now calling began (its answer window's start)
        self.oob = 0           # heart rate outside the band (as In.hr_bad), kept through gaps
        self.oob_t = now_ms    # since the first beat outside the band
        self.how = 0           # how a person last answered (the app reports it, and clears it)
        self.confirm = 0       # the last change of state's visible confirmation: _C_START...

    # -- transitions -------------------------------------------------------------------------
    def _to(self, state, now, reason):
        self.state = state
        self.t_state = now
        self.confirm = 0  # (a gesture's confirmation is set after its change of state)
        if reason != R_NONE:
            self.reason = reason
        self.out.changed = True

    def unanswered(self):
        """A wake is waiting for a person: the fail-safe alarm, a wake calling, a snooze, or a
        wake-up check still to come (so the host, the household and a reset cannot lose it)."""
        st = self.state
        return (st == ALARM or (st == AWAKE and not self.silenced) or self.snooze_end >= 0
                or not self.night and self.nosig_t >= 0)

    def alarm(self, now, reason):
        """Fail-safe wake: lit and sounding until acknowledged."""
        self.silenced = False
        self.snooze_end = -1
        self.night = False
        self.nosig_t = -1
        self._to(ALARM, now, reason)

    def wake(self, now, reason):
        """R_BUTTON or R_NONE: a lamp, lit and quiet. Any other reason: a wake that calls until
        a person answers it (never a quieter one than a wake already calling)."""
        st = self.state
        if st == ALARM:
            return
        if reason == R_BUTTON or reason == R_NONE:
            if st == AWAKE:
                return
            self.silenced = True
        else:
            calling = st == AWAKE and not self.silenced
            # the answer window starts with the call; a snooze's return or a host wake never
            # moves the morning's
            if not calling and not (self.morning and self.night):
                self.t_call = now
            if reason != R_COMMAND:
                self.morning = True
                self.snooze_end = -1
            elif calling:
                return
            self.silenced = False
        self._to(AWAKE, now, reason)

    def _answer(self, now, how):
        """A person answered the wake calling (a press, a hold, the serial ack)."""
        self.silenced = True
        self.how = how
        self.nosig_t = -1
        if self.reason == R_SCHEDULED or self.reason == R_SMART:
            self.night = False  # the morning's wake answered: the night is over
            if self.plan.check_ms:  # ...unless the wake-up check finds the sleeper asleep
                self.nosig_t = (now + self.plan.check_ms) & 0x3FFFFFFF
        self._to(AWAKE, now, R_NONE)  # (from ALARM; a wake calling stays lit, now quiet)

    def start(self, now, clock_s, sub_ms=0):
        p = self.plan
        target = p.wake_after_ms
        if p.wake_at_s >= 0 and clock_s >= 0:
            target = max(0, ((p.wake_at_s - clock_s) % _DAY_S) * 1000 - sub_ms)
        # A scheduled wake always comes before the cap.
        target = min(target, self.settings.cap_ms - 60000)
        self.wake_target = target
        self.rise_start = max(0, target - p.sunrise_ms)
        self.wd_end = min(p.wd_ms, self.rise_start)
        self.sound_start = max(self.rise_start, target - p.sound_lead_ms)
        if p.window_ms:
            if self.smart is None:
                try:  # only programs with a window pay for it; no heap for it: no early wake
                    from pod.smart import SmartWake
                    self.smart = SmartWake()
                except MemoryError:
                    pass
            if self.smart is not None:
                self.smart.reset()
        self.snoozes = 0
        self.snooze_end = -1
        self.t_session = now
        self.nosig_t = -1
        self.oob = 0
        self.night = True
        self.morning = False
        self.reason = R_NONE
        self._to(WIND_DOWN, now, R_NONE)
        # a wake "at" a time on an unset clock falls back to wake_after_ms: shown as such
        self.confirm = _C_GUESS if p.wake_at_s >= 0 and clock_s < 0 else _C_START

    def stop(self, now):
        end = self.night
        self.reason = R_NONE
        self.snooze_end = -1
        self.night = False
        self._to(IDLE, now, R_NONE)
        if end:
            self.confirm = _C_END  # a night ended: a green glow
            self.nosig_t = -1  # (no wake-up check: only an answer arms one)

    def _resume(self, now):
        """Back to the night under a lamp or an answered host wake, the morning's wake still set
        (or a snooze still running)."""
        el = ticks_diff(now, self.t_session)
        self.nosig_t = -1
        self.silenced = True
        if self.snooze_end < 0 and el >= self.rise_start:
            self._to(WAKE_RAMP, now, R_SCHEDULED)
        elif self.snooze_end < 0 and el < self.wd_end:
            self._to(WIND_DOWN, now, R_NONE)
        else:
            self._to(SLEEP, now, R_NONE)
        self.confirm = _C_OFF

    # -- one step ------------------------------------------------------------------------------
    def step(self, now, inp):
        out = self.out
        out.changed = False
        out.refusal = _REF_OK
        if not self.night and self.nosig_t >= 0 and ticks_diff(now, self.nosig_t) >= 0:
            try:  # the wake-up check is due: it looks for a sleeper (a press ends it)
                import pod.wakecheck  # (loaded at its first look, kept until it ends: heap)
                asleep = pod.wakecheck.look(self, now, inp)
            except MemoryError:  # no heap to look: call again, a person's answer ends it
                asleep = not inp.press
            if asleep:
                self.wake(now, R_SCHEDULED)  # a new answer window; the night back on
                self.night = True  # until that answer (markers, heart-rate checks, cap)
        self._buttons(now, inp)
        if inp.cmd != CMD_NONE:
            out.refusal = self._command(now, inp)
        if self.night:
            self._session(now, inp)
        if self.state == AWAKE:
            p = self.plan
            if not self.silenced:  # a wake calling: unanswered past its window, the alarm
                if ticks_diff(now, self.t_call) >= p.answer_ms:
                    self.alarm(now, R_UNANSWERED)
            elif ticks_diff(now, self.t_state) >= p.awake_ms:
                if self.night:
                    self._resume(now)  # a lamp's timeout: the night goes on
                else:
                    self.stop(now)
        self._outputs(now)
        return out

    def _buttons(self, now, inp):
        st = self.state
        if inp.press:
            self.nosig_t = -1  # a press: no wake-up check (in a night, SLEEP sets it again)
            # three presses in quick succession, the last one held: the gesture that ends a
            # night (a pillow, or a tap and a hold to switch off, cannot make it)
            self.quick = self.quick + 1 if ticks_diff(now, self.t_press) < _DOUBLE_MS else 0
            self.t_press = now
            self.press_origin = st
            if st == AWAKE:
                if self.silenced:
                    pass
                elif self._can_snooze(now):
                    self._snooze(now)
                else:
                    self._answer(now, _HOW_TAP)
            elif st != ALARM:
                self.wake(now, R_BUTTON if self.night else R_NONE)
        o = self.press_origin  # only a press that began in this state counts for it
        if inp.held_ms >= LONG_PRESS_MS and o >= 0:
            self.press_origin = -1
            st = self.state
            if o == ALARM and st == ALARM:
                self._answer(now, _HOW_HOLD)
            elif o == IDLE and st == AWAKE:
                self.start(now, inp.clock_s, inp.clock_sub)
            elif st != ALARM and (self.night and self.quick >= 2
                                  or o == AWAKE and (self.morning or not self.night)):
                # tap, tap, then tap and hold: the night ends; or held on a lamp, or on a
                # morning wake (also from a tap that snoozed it): off
                if st == AWAKE and not self.silenced or self.snooze_end >= 0:  # calling, snoozed
                    self._answer(now, _HOW_HOLD)
                self.stop(now)
            elif self.night and st == AWAKE:
                self._resume(now)  # switched off: back to the night

    def _can_snooze(self, now):
        """A tap on a scheduled (or smart) wake that is still sounding snoozes it, as often as
        the program allows, and never past the session cap or its answer window."""
        p = self.plan
        r = self.reason
        el = ticks_diff(now, self.t_session) + p.snooze_ms
        return ((r == R_SCHEDULED or r == R_SMART) and self.snoozes < p.max_snoozes
                and el < self.settings.cap_ms - 60000
                and ticks_diff(now, self.t_call) + p.snooze_ms + 60000 <= p.answer_ms)

    def _snooze(self, now):
        self.snoozes += 1
        self.snooze_end = ticks_diff(now, self.t_session) + self.plan.snooze_ms
        self.nosig_t = -1
        self._to(SLEEP, now, R_NONE)

    def _command(self, now, inp):
        """Carry out a serial command: REF_OK, or the pod.reasons REF_* number of why not."""
        c = inp.cmd
        st = self.state
        if c == CMD_WAKE:
            if st != ALARM:
                self.wake(now, R_COMMAND)
            return _REF_OK
        if c == CMD_ACK:
            if st == ALARM or (st == AWAKE and not self.silenced):
                self._answer(now, _HOW_ACK)
                return _REF_OK
            return _REF_NO_ALARM
        if st == ALARM:  # start/stop cannot skip the acknowledgement
            return _REF_ALARM
        # #11: while a wake is unanswered (a wake calling, a snooze), start and stop are
        # refused: the host cannot end or move it, only a person's answer can. (So are a
        # settings change and a program reload: pod.link.config, pod.link.commit.)
        if self.unanswered():
            return _REF_WAKE_CALLING
        if c == CMD_START:
            if self.night:  # restarting would restart the cap's clock too
                return _REF_NIGHT
            if self.plan.wake_at_s >= 0 and inp.clock_s < 0:
                return _REF_NO_CLOCK  # a wake "at" a time needs the time: set it first
            self.start(now, inp.clock_s, inp.clock_sub)
            return _REF_OK
        if c == CMD_STOP:
            self.stop(now)
            return _REF_OK
        return _REF_OK  # no such command reaches the core (pod.serial_link sends only these four)

    def _session(self, now, inp):
        el = ticks_diff(now, self.t_session)
        st = self.state
        if el >= self.settings.cap_ms:
            self.alarm(now, R_CAP)
            return
        if self._heart(now, inp, st):
            return
        if self.snooze_end >= 0:
            if el >= self.snooze_end:
                self.wake(now, R_SCHEDULED)
            return
        if self.morning:
            return  # the morning's wake came: it calls until answered
        if st == AWAKE:  # lit by a tap or a host wake: the schedule goes on underneath
            if el >= self.wake_target:
                self.wake(now, R_SCHEDULED)
            return
        if st == WIND_DOWN and el >= self.wd_end:
            self._to(SLEEP, now, R_NONE)
            self.nosig_t = -1
            st = SLEEP
        sw = self.smart  # set only for a program with a wake window
        if st != WIND_DOWN and sw is not None and self.reason != R_SMART:
            t = sw.watch(self, el, inp, st == WAKE_RAMP)
            if t >= 0:  # brought forward: the sunrise goes on from where it is
                self.rise_start = sw.rise
                self.sound_start = min(self.sound_start, max(sw.rise, t - self.plan.sound_lead_ms))
                self.wake_target = t
                self._to(WAKE_RAMP, now, R_SMART)
                st = WAKE_RAMP
        if st == SLEEP and el >= self.rise_start:
            self._to(WAKE_RAMP, now, R_SCHEDULED)
            st = WAKE_RAMP
        if st == WAKE_RAMP and el >= self.wake_target:
            self.wake(now, R_SMART if self.reason == R_SMART else R_SCHEDULED)

    def _heart(self, now, inp, st):
        """The fail-safe heart-rate checks, all night (and while a wake calls). Time outside
        the band counts from the first beat outside it and survives gaps in the signal (no
        contact, a dead sensor): only a rate measured inside the band again ends it."""
        p = self.plan
        if inp.hr_bad:
            t = (now - inp.hr_bad_ms) & 0x3FFFFFFF
            if not self.oob or ticks_diff(t, self.oob_t) < 0:
                self.oob_t = t
            self.oob = inp.hr_bad
        elif self.oob and p.hr_low * 10 <= inp.bpm10 <= p.hr_high * 10 and inp.contact:
            self.oob = 0
        if self.oob and ticks_diff(now, self.oob_t) >= p.hr_hold_ms:
            self.alarm(now, R_HR_LOW if self.oob == 1 else R_HR_HIGH)
            self.oob = 0
            return True
        if st == SLEEP:
            if inp.contact and inp.sensor_ok and inp.bpm10 >= 0:
                self.nosig_t = -1
            elif self.nosig_t < 0:
                self.nosig_t = now
            elif ticks_diff(now, self.nosig_t) >= p.nosig_ms:
                self.alarm(now, R_NO_SIGNAL)
                return True
        return False

    # -- outputs -------------------------------------------------------------------------------
    def _colour(self, kelvin, level):
        if kelvin == self._ck and level == self._cl:
            return  # same colour as the last step: the strip values in out still hold
        self._ck = kelvin
        self._cl = level
        out = self.out
        d = light.level_to_u16(level)
        # spatial dither: even and odd pixels differ by at most one step, so the strip's
        # average has half-step resolution and the dimmest ramps have no visible stairs
        v = light.half_steps(light.kelvin_channel(kelvin, 0), d)
        out.r = (v + 1) >> 1
        out.r2 = v >> 1
        v = light.half_steps(light.kelvin_channel(kelvin, 1), d)
        out.g = (v + 1) >> 1
        out.g2 = v >> 1
        v = light.half_steps(light.kelvin_channel(kelvin, 2), d)
        out.b = (v + 1) >> 1
        out.b2 = v >> 1

    def _outputs(self, now):
        out = self.out
        p = self.plan
        st = self.state
        out.white = 0
        out.tone = 0
        out.vol = 0
        if st == IDLE:
            self._colour(_DAYLIGHT_K, 0)
        elif st == WIND_DOWN:
            el = ticks_diff(now, self.t_session)
            pr = light.progress(el, self.wd_end)
            lvl = light.lerp(p.wd_l0, p.wd_l1, pr)
            if p.breath_ms:
                lvl = light.breathe(lvl, el, p.breath_ms, 300)
            self._colour(light.lerp(p.wd_k0, p.wd_k1, pr), lvl)
            if p.wd_vol and p.wd_sound != _SOUND_NONE:
                if p.wd_sound == _SOUND_NOISE:
                    out.tone = sound.noise_tone(el)
                    out.vol = sound.noise_volume(el, p.wd_vol)
                else:
                    out.tone = sound.SOOTHE_HZ
                    out.vol = sound.soothe_volume(el, p.wd_vol)
                out.vol = out.vol * (1000 - pr) // 1000
        elif st == SLEEP:
            self._colour(p.night_k, p.night_level)
        elif st == WAKE_RAMP:
            el = ticks_diff(now, self.t_session)
            pr = light.progress(el - self.rise_start, self.wake_target - self.rise_start)
            self._colour(light.sunrise_kelvin(pr), light.sunrise_level(pr, 1000))
            if pr > 500:
                out.white = light.level_to_u16(self.settings.wake_level * (pr - 500) // 500)
            if el >= self.sound_start:
                out.tone = sound.wake_tone(el)
                out.vol = p.wake_vol * light.progress(el - self.sound_start,
                                                      self.wake_target - self.sound_start) // 1000
        elif st == AWAKE:
            self._colour(_DAYLIGHT_K, 1000)
            out.white = light.level_to_u16(self.settings.wake_level)
            if not self.silenced:  # calling until answered, louder in its window's second half
                since = ticks_diff(now, self.t_call)
                half = p.answer_ms >> 1
                out.tone = sound.wake_tone(ticks_diff(now, self.t_state))
                out.vol = p.wake_vol + (1000 - p.wake_vol) * light.progress(since - half, half) // 1000
        else:  # ALARM: alternating white and amber pixels that swap every half second
            since = ticks_diff(now, self.t_state)
            self._ck = -1
            swap = (since // _ALARM_SWAP_MS) & 1
            out.r = out.r2 = 255
            if swap:
                out.g = 120
                out.b = 0
                out.g2 = out.b2 = 255
            else:
                out.g = out.b = 255
                out.g2 = 120
                out.b2 = 0
            out.white = 65535
            if not self.silenced:
                out.tone = sound.alarm_tone(since)
                out.vol = 1000
        k = self.confirm
        if k:  # a gesture's confirmation for _CONFIRM_MS, over what the state shows: a night
            # started is a blue glow, switched off (back to the night) amber, ended green
            if ticks_diff(now, self.t_state) >= _CONFIRM_MS or st >= AWAKE:
                self.confirm = 0
            else:
                self._ck = -1  # the state's own colour is worked out again afterwards
                # (on an unset clock, violet: a wake 8 hours on, not at its time)
                out.r = out.r2 = 90 if k == _C_OFF or k == _C_GUESS else 0
                out.g = out.g2 = 90 if k == _C_END else (35 if k == _C_OFF else 0)
                out.b = out.b2 = 90 if k == _C_START or k == _C_GUESS else 0
        if out.tone == 0:
            out.vol = 0
