"""Every wake is answered (#11), the rules added last: the wake-up check, a night "at" a time
on an unset clock, and the host held back while a wake is unanswered. On the pure core (the
Night helper of tests/test_answers_core.py); the whole simulated pod in
tests/test_answers_night.py."""
import pytest

from tests.test_answers_core import M, Night

S = 1000


@pytest.fixture
def fwr(fw):
    from simulator.sim import firmware_module
    fw.reasons = firmware_module("pod.reasons")
    return fw


CHECK = {"version": 1, "wind_down": {"minutes": 20},
         "wake": {"after_min": 90, "sunrise_min": 30, "check_min": 5}}
SNOOZY_CHECK = {"version": 1, "wind_down": {"minutes": 20},
                "wake": {"after_min": 90, "sunrise_min": 30, "check_min": 5, "snooze_min": 5,
                         "max_snoozes": 1, "answer_min": 12}}


def answered(n, gesture="tap"):
    n.until(90 * M + 200)
    assert n.state == "AWAKE" and n.sounding()
    t = n.t  # the answer: this step (a hold's press answers as it begins)
    if gesture == "tap":
        n.tap()
    elif gesture == "hold":
        n.hold()
    else:
        n.cmd("ack")
    assert not n.sounding() and not n.pod.night
    return t


# -- the wake-up check ---------------------------------------------------------------------------
@pytest.mark.parametrize("gesture", ["tap", "hold", "ack"])
def test_an_answer_then_sleeping_on_brings_the_wake_back(fwr, gesture):
    n = Night(fwr, CHECK).start()
    t = answered(n, gesture)  # ...and the sleeper stays in the pod at 60 bpm
    n.until(t + 5 * M - 300)
    assert not n.sounding()
    n.until(t + 5 * M + 200)
    assert n.state == "AWAKE" and n.reason == "scheduled" and n.sounding() and n.lit()
    assert n.pod.night  # a wake not yet answered: part of the night (the markers stay set)
    # it must be answered again: nobody does, so it escalates (a fresh 20 min window)
    n.until(t + 5 * M + 20 * M + 500)
    assert n.state == "ALARM" and n.reason == "unanswered"


def test_a_second_answer_after_the_check_ends_it_for_good_if_awake(fwr):
    n = Night(fwr, CHECK).start()
    t = answered(n)
    n.until(t + 5 * M + 200)
    assert n.sounding()
    n.tap()
    t2 = n.t
    n.inp.bpm10 = 850  # up now: 85 bpm
    n.until(t2 + 10 * M)
    assert n.state == "AWAKE" and not n.sounding()


@pytest.mark.parametrize("inputs", [{"contact": False}, {"bpm10": 850}, {"bpm10": -1},
                                    {"sensor_ok": False}])
def test_no_check_wake_for_someone_up_or_away(fwr, inputs):
    """Out of the pod, a rate of someone awake, no rate measured, no sensor: no second call."""
    n = Night(fwr, CHECK).start()
    t = answered(n)
    for k, v in inputs.items():
        setattr(n.inp, k, v)
    n.until(t + 25 * M)
    assert n.state == "AWAKE" and not n.sounding()


def test_a_further_press_after_the_answer_cancels_the_check(fwr):
    n = Night(fwr, CHECK).start()
    t = answered(n)
    n.until(t + 2 * M)
    n.tap()  # the person shows they are up
    n.until(t + 25 * M)
    assert not n.sounding() and n.state == "AWAKE"


def test_the_check_is_off_by_default(fwr):
    n = Night(fwr).start()
    t = answered(n)
    n.until(t + 29 * M)
    assert n.state == "AWAKE" and not n.sounding()


def test_the_check_wake_snoozes_and_its_snooze_returns(fwr):
    """A check wake is the morning's wake again: a tap snoozes it (snoozes left), and the
    snooze comes back (the night is back on, so it is timed)."""
    n = Night(fwr, SNOOZY_CHECK).start()
    n.until(90 * M + 200)
    n.cmd("ack")  # answered without using the snooze
    t = n.t
    n.until(t + 5 * M + 200)
    assert n.sounding()
    n.tap()
    assert n.state == "SLEEP" and n.pod.snooze_end >= 0
    n.until(t + 10 * M + 500)
    assert n.state == "AWAKE" and n.sounding()


@pytest.mark.parametrize("bpm10, called", [(400, True), (695, True), (700, False)])
def test_the_sleeping_rate_is_below_the_band_low_edge_plus_30(fwr, bpm10, called):
    """One definition: in contact, measured, below the band's low edge + 30 bpm (70 here)."""
    n = Night(fwr, CHECK).start()
    t = answered(n)
    n.inp.bpm10 = bpm10
    n.until(t + 5 * M + 200)
    assert n.sounding() == called


def loaded(n):
    """The firmware modules loaded beside this pod (its sandbox's sys.modules)."""
    return n.c.__dict__["__builtins__"]["__import__"]("sys").modules


# The check looks for a minute from its due time (pod.core _LOOK_MS): one reading that is not a
# sleeper's does not end it; a minute of them does, and so does a press.
@pytest.mark.parametrize("blip", [{"contact": False}, {"bpm10": -1}, {"bpm10": 850},
                                  {"sensor_ok": False}])
def test_a_moment_out_of_contact_at_the_due_time_still_calls(fwr, blip):
    """Contact lost (or a noisy or unsure reading) right at the due time, for 20 s, then the
    sleeper's readings again: the wake calls at the first of them."""
    n = Night(fwr, CHECK).start()
    t = answered(n)
    n.until(t + 5 * M - 100)
    for k, v in blip.items():
        setattr(n.inp, k, v)
    n.until(t + 5 * M + 20 * S)
    assert n.state == "AWAKE" and not n.sounding()
    assert not n.pod.night and n.pod.unanswered()  # still looking: a reset boots into a wake
    n.inp.contact = n.inp.sensor_ok = True
    n.inp.bpm10 = 600
    n.step()
    assert n.state == "AWAKE" and n.reason == "scheduled" and n.sounding() and n.pod.night
    assert "pod.wakecheck" not in loaded(n)  # let go once it has called


def test_a_sleeper_seen_in_the_last_step_of_the_minute_is_called(fwr):
    n = Night(fwr, CHECK).start()
    t = answered(n)
    n.inp.contact = False
    n.until(t + 5 * M + M)  # the check's last look is at due + 60 s
    assert not n.sounding() and n.pod.unanswered()
    n.inp.contact = True
    n.step()
    assert n.sounding() and n.reason == "scheduled"


@pytest.mark.parametrize("awake", [{"contact": False}, {"bpm10": 850}])
def test_a_whole_minute_of_awake_readings_ends_the_check_with_no_call(fwr, awake):
    n = Night(fwr, CHECK).start()
    t = answered(n)
    for k, v in awake.items():
        setattr(n.inp, k, v)
    n.until(t + 5 * M + M)
    assert n.pod.unanswered() and "pod.wakecheck" in loaded(n)  # looking, the module kept
    n.step()  # a minute after the due time, still no sleeper: the person is up
    assert not n.pod.unanswered() and "pod.wakecheck" not in loaded(n)
    assert n.state == "AWAKE" and not n.sounding()
    n.inp.contact = True  # back in the pod, asleep, a moment too late: the check is over
    n.inp.bpm10 = 600
    n.until(t + 25 * M)
    assert not n.sounding()


@pytest.mark.parametrize("after_s", [0, 10, 59])
def test_a_press_while_the_check_looks_ends_it(fwr, after_s):
    """The person answered: no call, even when the readings show a sleeper afterwards."""
    n = Night(fwr, CHECK).start()
    t = answered(n)
    n.inp.contact = False
    n.until(t + 5 * M + after_s * S)
    n.tap()
    assert not n.pod.unanswered() and "pod.wakecheck" not in loaded(n)
    n.inp.contact = True
    n.until(t + 25 * M)
    assert n.state == "AWAKE" and not n.sounding()


def test_a_host_wake_while_the_check_looks_ends_it_and_calls(fwr):
    """A host's wake calls (until a person answers it): the check ends, its module let go."""
    n = Night(fwr, CHECK).start()
    t = answered(n)
    n.inp.contact = False
    n.until(t + 5 * M + 10 * S)
    n.cmd("wake")
    assert n.sounding() and n.reason == "command"
    n.step()  # (the check's next look sees it)
    assert n.sounding() and not n.pod.night and "pod.wakecheck" not in loaded(n)


def test_the_check_loads_its_module_once_while_it_looks(fwr, monkeypatch):
    n = Night(fwr, CHECK).start()
    t = answered(n)
    fb = type(n.pod).step.__globals__["__builtins__"]
    real = fb["__import__"]
    loads = []

    def counting(name, *a, **kw):
        if name == "pod.wakecheck" and name not in loaded(n):
            loads.append(n.t)
        return real(name, *a, **kw)
    monkeypatch.setitem(fb, "__import__", counting)
    n.inp.contact = False
    n.until(t + 5 * M - 100)
    assert loads == [] and "pod.wakecheck" not in loaded(n)  # not before it is due
    n.until(t + 5 * M + 30 * S)
    assert len(loads) == 1  # (300 looks, one load)
    n.until(t + 7 * M)
    assert len(loads) == 1 and "pod.wakecheck" not in loaded(n)


def test_the_check_module_names_the_core_states_as_the_core_does(fwr):
    """pod.wakecheck cannot import pod.core (which loads it): its copies of IDLE and AWAKE."""
    from simulator.sim import firmware_module
    wc = firmware_module("pod.wakecheck")
    assert (wc._IDLE, wc._AWAKE) == (fwr.core.IDLE, fwr.core.AWAKE)


def test_check_field_is_validated_with_its_path(fw):
    v = fw.program.validate
    base = {"version": 1, "wake": {"after_min": 90}}
    assert fw.program.load(base).check_ms == 0  # off unless given
    assert fw.program.load({"version": 1, "wake": {"after_min": 90, "check_min": 10}}
                           ).check_ms == 10 * M
    assert v({"version": 1, "wake": {"after_min": 90, "check_min": 1}}) == [
        "wake.check_min: 1 is below the minimum 2"]
    assert v({"version": 1, "wake": {"after_min": 90, "check_min": 31}}) == [
        "wake.check_min: 31 is above the maximum 30"]
    assert v({"version": 1, "wake": {"after_min": 90, "check_min": "5"}}) == [
        "wake.check_min: '5' is not a whole number"]
    assert v({"version": 1, "wake": {"after_min": 90, "check_min": 20, "awake_min": 10}}) == []


def test_a_check_longer_than_the_day_light_still_comes(fwr):
    """awake_min 10, check_min 20: the pod is off (IDLE) by the check, which still calls."""
    prog = {"version": 1, "wind_down": {"minutes": 20},
            "wake": {"after_min": 90, "sunrise_min": 30, "check_min": 20, "awake_min": 10}}
    n = Night(fwr, prog).start()
    t = answered(n)
    n.until(t + 11 * M)
    assert n.state == "IDLE"
    n.until(t + 20 * M + 200)
    assert n.state == "AWAKE" and n.sounding()


def test_a_host_stop_after_the_answer_is_no_press(fwr):
    n = Night(fwr, CHECK).start()
    t = answered(n)
    n.cmd("stop")  # refused while the check is still to come; either way it answers nothing
    n.until(t + 5 * M + 200)
    assert n.sounding()


def test_while_the_check_is_to_come_the_host_cannot_start_a_night_over_it(fwr):
    # a host start (or a parent's bedtime frame, which the household turns into one) after the
    # answer would drop the check and move the wake to the next night's: refused
    n = Night(fwr, CHECK).start()
    t = answered(n, "hold")
    assert n.state == "IDLE"
    out, ok = n.cmd("start")
    assert not ok and out.refusal == fwr.reasons.REF_WAKE_CALLING
    assert n.pod.unanswered()  # so a reset keeps the night's marker: it boots into a wake
    n.until(t + 5 * M + 200)
    assert n.state == "AWAKE" and n.sounding()


def test_no_heap_for_the_check_calls_the_wake_again(fwr, monkeypatch):
    n = Night(fwr, CHECK).start()
    t = answered(n)
    fb = type(n.pod).step.__globals__["__builtins__"]  # the firmware's own (its sandbox's)
    real = fb["__import__"]

    def short(name, *a, **kw):
        if name == "pod.wakecheck":
            raise MemoryError("no heap")
        return real(name, *a, **kw)
    monkeypatch.setitem(fb, "__import__", short)
    n.until(t + 5 * M + 200)
    assert n.state == "AWAKE" and n.sounding()


# -- a wake "at" a time on an unset clock ---------------------------------------------------------
AT = {"version": 1, "wind_down": {"minutes": 20}, "wake": {"at": "07:00"}}


def test_host_start_on_an_unset_clock_is_refused_with_its_reason(fwr):
    n = Night(fwr, AT)
    n.inp.clock_s = -1
    out, ok = n.cmd("start")
    assert not ok and out.refusal == fwr.core._REF_NO_CLOCK and n.state == "IDLE"
    n.inp.clock_s = 22 * 3600  # the host sets the time: now it starts
    _, ok = n.cmd("start")
    assert ok and n.state == "WIND_DOWN"


def test_an_after_min_night_starts_on_an_unset_clock(fwr):
    n = Night(fwr)
    n.inp.clock_s = -1
    _, ok = n.cmd("start")
    assert ok and n.state == "WIND_DOWN"


def test_button_start_on_an_unset_clock_falls_back_visibly(fwr):
    """The night starts (a person in bed always gets a wake: 8 hours on), with a violet glow
    instead of the blue one, so they can tell it is not at its time."""
    n = Night(fwr, AT)
    n.inp.clock_s = -1
    n.hold()
    guess = (n.out.r, n.out.g, n.out.b)
    assert n.state == "WIND_DOWN" and guess[0] > 0 and guess[2] > 0 and guess[1] == 0
    m = Night(fwr, AT)
    m.hold()
    normal = (m.out.r, m.out.g, m.out.b)
    assert normal[0] == 0 and normal[2] > 0 and normal != guess
    n.until(8 * 3600 * 1000 - 30 * M + 5000)
    assert n.state == "WAKE_RAMP"  # the fallback: 8 hours after the start




def test_the_core_refusal_numbers_are_the_reasons_table():
    """pod.core writes pod.reasons' REF_* numbers as its own constants (heap): they agree, and
    each has words on the host."""
    from host_tools import refusals
    from simulator.sim import firmware_module
    core = firmware_module("pod.core")
    table = refusals.firmware_table()
    mine = {n: getattr(core, n) for n in dir(core) if n.startswith("_REF_")}
    assert len(mine) == 6
    for name, number in mine.items():
        assert table[number] == name[1:], name
        assert name[1:] in refusals.WORDS
