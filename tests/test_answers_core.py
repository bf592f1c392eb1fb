"""Every wake is answered (#11), on the pure core: what a person sees and hears, step by step,
for each row of the README's gesture table and each rule that closes a side door."""
import pytest

M = 60 * 1000
# wind-down 20 min, asleep until 60 min, sunrise 60-90 min, the wake at 90 min
NIGHT = {"version": 1, "wind_down": {"minutes": 20}, "wake": {"after_min": 90, "sunrise_min": 30}}
SNOOZY = {"version": 1, "wind_down": {"minutes": 20},
          "wake": {"after_min": 90, "sunrise_min": 30, "snooze_min": 5, "max_snoozes": 5,
                   "answer_min": 12}}


class Night:
    """A core pod and its inputs, stepped every 100 ms as the loop does."""

    def __init__(self, fw, prog=NIGHT):
        self.fw = fw
        self.c = fw.core
        self.pod = fw.core.Pod(fw.program.load(prog), fw.core.Settings(), 0)
        self.inp = fw.core.In()
        self.inp.contact = self.inp.sensor_ok = True
        self.inp.bpm10 = 600
        self.inp.clock_s = 22 * 3600
        self.t = 0
        self.out = self.step()

    def step(self, **kw):
        for k, v in kw.items():
            setattr(self.inp, k, v)
        self.out = self.pod.step(self.t, self.inp)
        self.inp.press = False
        self.inp.cmd = 0
        self.t += 100
        return self.out

    def until(self, t):
        while self.t < t:
            self.step()
        return self.out

    def tap(self):
        return self.step(press=True)

    def hold(self, ms=2200):
        out = self.step(press=True)
        for dt in range(100, ms, 100):
            out = self.step(held_ms=dt)
        self.inp.held_ms = 0
        return out

    def cmd(self, name):
        out = self.step(cmd=getattr(self.c, "CMD_" + name.upper()))
        return out, out.refusal == 0

    def start(self):
        self.cmd("start")
        return self

    @property
    def state(self):
        return self.c.STATE_NAMES[self.pod.state]

    @property
    def reason(self):
        return self.fw.reasons.REASON_NAMES[self.pod.reason]

    def lit(self):
        d = self.fw.light.level_to_u16(800)
        m = self.fw.light.scale(255, d)
        o = self.out
        return o.white >= d and max(o.r, o.g, o.b) >= m and max(o.r2, o.g2, o.b2) >= m

    def sounding(self):
        return self.out.tone > 0 and self.out.vol > 0


@pytest.fixture
def fwr(fw):
    from simulator.sandbox import firmware_module
    fw.reasons = firmware_module("pod.reasons")
    return fw


# -- the gesture table --------------------------------------------------------------------------
def test_tap_at_night_lights_the_pod_and_the_night_goes_on(fwr):
    n = Night(fwr).start()
    n.until(30 * M)
    assert n.state == "SLEEP"
    n.tap()
    assert n.state == "AWAKE" and n.lit() and not n.sounding() and n.pod.night
    # nobody switches off: after the lamp's timeout (awake_min, 30) the night goes on
    n.until(30 * M + 30 * M + 200)
    assert n.state in ("SLEEP", "WAKE_RAMP") and n.pod.night
    n.until(90 * M + 200)
    assert n.state == "AWAKE" and n.reason == "scheduled" and n.sounding()


def test_hold_after_a_tap_switches_off_back_to_the_night_with_an_amber_glow(fwr):
    n = Night(fwr).start()
    n.until(30 * M)
    n.tap()
    n.until(35 * M)
    out = n.hold()
    assert n.state == "SLEEP" and n.pod.night
    assert out.r > out.b and out.g < out.r and out.white == 0  # amber, dim: "back to sleep"
    n.until(n.t + 2000)
    assert (n.out.r, n.out.g, n.out.b) == (0, 0, 0)  # then dark, the night's own light
    n.until(90 * M + 200)
    assert n.state == "AWAKE" and n.reason == "scheduled"


def test_three_quick_presses_the_last_held_end_the_night_with_green_blinks(fwr):
    n = Night(fwr).start()
    n.until(30 * M)
    n.tap()
    n.step()
    n.tap()
    n.step()
    out = n.hold()
    assert n.state == "IDLE" and not n.pod.night
    greens = []
    for _ in range(14):
        out = n.step()
        greens.append(out.g > 0 and out.r == 0 and out.b == 0)
    assert any(greens) and not all(greens)  # blinking green
    n.until(95 * M)
    assert n.state == "IDLE"  # no wake: the person ended the night on purpose


def test_a_single_long_hold_at_night_does_not_end_it(fwr):
    """A pillow on the button: a press held for minutes lights the lamp, then switches it off;
    the night goes on and the morning's wake comes."""
    n = Night(fwr).start()
    n.until(30 * M)
    n.hold(60000)
    assert n.pod.night and n.state == "SLEEP"
    n.until(90 * M + 200)
    assert n.state == "AWAKE" and n.sounding()


def test_starting_switching_off_and_ending_each_look_different(fwr):
    n = Night(fwr)
    n.hold()  # from off: the start
    start = n.step()
    start = (start.r, start.g, start.b)
    n.until(30 * M)
    n.tap()
    n.until(n.t + 2000)
    off = n.hold()
    off = (off.r, off.g, off.b)
    n.until(n.t + 3000)
    n.tap()
    n.step()
    n.tap()
    n.step()
    n.hold()
    end = n.step()
    end = (end.r, end.g, end.b)
    assert len({start, off, end}) == 3, (start, off, end)
    assert start[2] > start[0] and off[0] > off[2] and end[1] > end[0] + end[2]


def test_tap_during_wind_down_and_sunrise_keeps_the_night(fwr):
    n = Night(fwr).start()
    n.until(5 * M)
    n.tap()
    assert n.state == "AWAKE" and n.lit()
    n.until(n.t + 2000)
    n.hold()
    assert n.state == "WIND_DOWN"
    n.until(70 * M)
    assert n.state == "WAKE_RAMP"
    n.tap()
    assert n.state == "AWAKE" and n.pod.night
    n.until(90 * M + 200)  # the wake comes at its time, calling
    assert n.reason == "scheduled" and n.sounding()


def test_second_tap_on_a_snooze_keeps_the_snooze_return(fwr):
    n = Night(fwr, SNOOZY).start()
    n.until(90 * M + 200)
    n.tap()
    assert n.state == "SLEEP" and n.pod.snooze_end >= 0  # snoozed, 5 min
    n.until(91 * M)
    n.tap()
    assert n.state == "AWAKE" and n.lit() and not n.sounding()
    n.until(95 * M + 500)
    assert n.state == "AWAKE" and n.reason == "scheduled" and n.sounding()


def test_host_wake_at_night_calls_until_answered_then_the_night_goes_on(fwr):
    n = Night(fwr).start()
    n.until(30 * M)
    n.cmd("wake")
    assert n.state == "AWAKE" and n.reason == "command" and n.sounding() and n.lit()
    n.until(35 * M)
    assert n.sounding()  # still calling
    n.tap()
    assert not n.sounding() and n.pod.how == 1 and n.pod.night
    n.until(n.t + 2000)
    n.hold()
    assert n.state == "SLEEP"
    n.until(90 * M + 200)
    assert n.reason == "scheduled" and n.sounding()


def test_wake_command_never_quietens_a_calling_wake(fwr):
    n = Night(fwr).start()
    n.until(90 * M + 200)
    vol = n.out.vol
    n.cmd("wake")
    assert n.reason == "scheduled" and n.sounding() and n.out.vol >= vol


# -- escalation ---------------------------------------------------------------------------------
def test_an_unanswered_wake_gets_louder_then_alarms_and_stays(fwr):
    n = Night(fwr).start()
    n.until(90 * M + 200)
    v0 = max(n.step().vol for _ in range(50))
    n.until(90 * M + 15 * M)
    v1 = max(n.step().vol for _ in range(50))
    assert n.state == "AWAKE" and v1 > v0  # louder in the second half of the window
    n.until(90 * M + 20 * M + 200)
    assert n.state == "ALARM" and n.reason == "unanswered" and n.lit() and n.sounding()
    n.until(200 * M)
    assert n.state == "ALARM"  # sticky: no timer ends it
    n.tap()
    assert n.state == "ALARM"
    _, ok = n.cmd("ack")
    assert ok and n.state == "AWAKE" and not n.sounding()


def test_snoozes_count_towards_the_escalation(fwr):
    """answer_min 12, snooze 5 min: two snoozes fit, a third would pass the window, so the tap
    answers instead; a sleeper who keeps snoozing is in ALARM at the window's end."""
    n = Night(fwr, SNOOZY).start()
    n.until(90 * M + 200)
    for k in range(2):
        n.tap()
        assert n.state == "SLEEP", k
        n.until(n.t + 5 * M + 200)
        assert n.state == "AWAKE" and n.sounding()
    assert not n.pod._can_snooze(n.t)
    n.until(90 * M + 12 * M + 200)
    assert n.state == "ALARM" and n.reason == "unanswered"


def test_tap_answers_a_wake_and_the_day_begins(fwr):
    n = Night(fwr).start()
    n.until(90 * M + 200)
    n.tap()
    assert n.state == "AWAKE" and not n.sounding() and n.lit() and not n.pod.night
    assert n.pod.how == 1 and n.pod.how == 1
    n.until(90 * M + 31 * M)
    assert n.state == "IDLE"  # answered: the light goes off after awake_min


def test_serial_ack_answers_a_calling_wake(fwr):
    n = Night(fwr).start()
    n.until(90 * M + 200)
    _, ok = n.cmd("ack")
    assert ok and not n.sounding() and n.pod.how == 3


# -- the host cannot end or move an unanswered wake ---------------------------------------------
@pytest.mark.parametrize("cmd", ["stop", "start"])
def test_host_cannot_end_a_calling_wake(fwr, cmd):
    n = Night(fwr).start()
    n.until(90 * M + 200)
    _, ok = n.cmd(cmd)
    assert not ok and n.state == "AWAKE" and n.sounding()


def test_host_cannot_end_a_snoozed_wake(fwr):
    n = Night(fwr, SNOOZY).start()
    n.until(90 * M + 200)
    n.tap()
    _, ok = n.cmd("stop")
    assert not ok and n.pod.snooze_end >= 0
    n.until(95 * M + 500)
    assert n.sounding()


def test_host_stop_ends_a_night_before_its_wake(fwr):
    n = Night(fwr).start()
    n.until(30 * M)
    out, ok = n.cmd("stop")
    assert ok and n.state == "IDLE" and out.g > 0  # with the green "night ended" blinks


# -- only a deliberate press answers ------------------------------------------------------------
def test_a_button_held_before_the_alarm_does_not_acknowledge_it(fwr):
    n = Night(fwr).start()
    n.until(30 * M)
    n.step(press=True)  # pressed (a pillow) and held...
    for dt in range(100, 1000, 100):
        n.step(held_ms=dt)
    n.step(hr_bad=2, hr_bad_ms=120000, held_ms=1000)  # ...when the alarm comes
    assert n.state == "ALARM"
    for dt in range(1100, 5000, 100):
        n.step(held_ms=dt)
    assert n.state == "ALARM"


def test_a_press_held_before_a_wake_does_not_answer_it(fwr):
    n = Night(fwr).start()
    n.until(90 * M - 500)
    n.step(press=True)  # a tap just before the wake makes a lamp; held on, it is no answer
    n.until(90 * M + 500)
    assert n.state == "AWAKE" and n.sounding() and n.pod.how == 0


# -- out-of-band time survives gaps in the signal -----------------------------------------------
def test_signal_lost_while_out_of_band_keeps_the_timer(fwr):
    n = Night(fwr).start()
    n.until(30 * M)
    t0 = n.t
    for k in range(300):  # 30 s of a rate too high, timed from its first beat
        n.step(hr_bad=2, hr_bad_ms=k * 100)
    n.step(hr_bad=0, hr_bad_ms=-1, bpm10=-1, contact=False, sensor_ok=False)  # the sensor dies
    n.until(t0 + 59 * 1000)
    assert n.state == "SLEEP"
    n.until(t0 + 60 * 1000 + 200)
    assert n.state == "ALARM" and n.reason == "hr_high"


def test_contact_that_comes_and_goes_does_not_restart_the_timer(fwr):
    n = Night(fwr).start()
    n.until(30 * M)
    t0 = n.t
    while n.t < t0 + 60 * 1000 + 500 and n.state != "ALARM":
        k = (n.t - t0) // 100
        if (k // 50) % 2:  # 5 s of contact lost in every 10 s
            n.step(hr_bad=0, hr_bad_ms=-1, bpm10=-1, contact=False)
        else:
            n.step(hr_bad=2, hr_bad_ms=(k % 50) * 100, bpm10=1500, contact=True)
    assert n.state == "ALARM" and n.t <= t0 + 60 * 1000 + 200


def test_a_rate_measured_back_in_the_band_ends_the_timer(fwr):
    n = Night(fwr).start()
    n.until(30 * M)
    for k in range(300):
        n.step(hr_bad=2, hr_bad_ms=k * 100, bpm10=1400)
    n.step(hr_bad=0, hr_bad_ms=-1, bpm10=700)
    n.until(n.t + 5 * M)
    assert n.state == "SLEEP"


# -- the clock only brings a wake earlier -------------------------------------------------------
def test_changing_the_clock_mid_night_does_not_move_the_wake_later(fwr):
    prog = {"version": 1, "wind_down": {"minutes": 20}, "wake": {"at": "23:30"}}
    n = Night(fwr, prog).start()  # 22:00: the wake in 90 min
    n.until(10 * M)
    n.inp.clock_s = 20 * 3600  # the clock set back two hours
    n.until(90 * M + 200)
    assert n.state == "AWAKE" and n.reason == "scheduled"


# -- the program field --------------------------------------------------------------------------
def test_answer_window_field_is_validated(fw):
    v = fw.program.validate
    base = {"version": 1, "wake": {"after_min": 90}}
    assert fw.program.load(base).answer_ms == 20 * M
    assert v({"version": 1, "wake": {"after_min": 90, "answer_min": 1}}) == [
        "wake.answer_min: 1 is below the minimum 2"]
    assert v({"version": 1, "wake": {"after_min": 90, "answer_min": 61}}) == [
        "wake.answer_min: 61 is above the maximum 60"]
    # snoozes never push past the window: with a short one, a tap answers instead of snoozing
    short = fw.program.load({"version": 1, "wake": {"after_min": 90, "answer_min": 5,
                                                     "max_snoozes": 2, "snooze_min": 9}})
    assert short.answer_ms == 5 * M and short.max_snoozes == 2
