# pod.program on MicroPython: the validator's exact messages (podctl shows the same ones) and
# the compiled plan.
from pod import program


def _prog(**sections):
    p = {"version": 1, "wake": {"after_min": 480}}
    for k in sections:
        p[k] = sections[k]
    return p


def test_default_program_is_valid():
    assert program.validate(program.DEFAULT) == []
    plan = program.load(program.DEFAULT)
    assert plan.wd_ms == 30 * 60000
    assert plan.wake_at_s == 7 * 3600
    assert plan.sunrise_ms == 30 * 60000
    assert plan.sound_lead_ms == 10 * 60000
    assert plan.wd_l0 == 400 and plan.wd_l1 == 50
    assert plan.wake_vol == 600
    assert plan.awake_ms == 30 * 60000


def test_above_and_below_limits():
    p = _prog(wake={"after_min": 480, "sunrise_min": 90})
    assert program.validate(p) == ["wake.sunrise_min: 90 is above the maximum 60"]
    p = _prog(wind_down={"kelvin_start": 900})
    assert program.validate(p) == ["wind_down.kelvin_start: 900 is below the minimum 1000"]
    p = _prog(wake={"after_min": 5})
    assert program.validate(p) == ["wake.after_min: 5 is below the minimum 10"]


def test_types_and_unknown_keys():
    p = _prog(sleep={"hr_low": "40", "snore": 1})
    assert program.validate(p) == [
        "sleep.snore: unknown key",
        "sleep.hr_low: '40' is not a whole number",
    ]
    p = _prog(wind_down={"minutes": True})
    assert program.validate(p) == ["wind_down.minutes: True is not a whole number"]
    p = _prog(colour=3)
    assert program.validate(p) == ["colour: unknown key"]
    p = _prog(sleep=[1])
    assert program.validate(p) == ["sleep: must be an object"]
    assert program.validate([1, 2]) == ["program: must be a JSON object"]


def test_version_and_name():
    assert program.validate({"wake": {"after_min": 60}}) == ["version: missing"]
    assert program.validate({"version": 2, "wake": {"after_min": 60}}) == [
        "version: 2 is not supported (this pod reads version 1)"]
    p = _prog(name="x" * 41)
    assert program.validate(p) == ["name: must be text of at most 40 characters"]


def test_wake_needs_exactly_one_of_at_or_after():
    both = {"version": 1, "wake": {"at": "07:00", "after_min": 60}}
    neither = {"version": 1, "wake": {}}
    msg = "wake: give exactly one of 'at' (HH:MM) or 'after_min'"
    assert program.validate(both) == [msg]
    assert program.validate(neither) == [msg]
    assert program.validate({"version": 1, "wake": {"at": "7:00"}}) == [
        "wake.at: '7:00' is not a clock time HH:MM"]
    assert program.validate({"version": 1, "wake": {"at": "24:00"}}) == [
        "wake.at: '24:00' is not a clock time HH:MM"]


def test_sound_lead_not_longer_than_sunrise():
    p = _prog(wake={"after_min": 480, "sunrise_min": 20, "sound_lead_min": 25})
    assert program.validate(p) == ["wake.sound_lead_min: 25 is longer than the sunrise (20 min)"]


def test_load_raises_with_every_error():
    p = {"version": 1, "wake": {"after_min": 480, "sunrise_min": 90, "volume": 101}}
    try:
        program.load(p)
    except ValueError as e:
        msg = e.args[0]
    else:
        raise AssertionError("load accepted an invalid program")
    assert msg == ("wake.sunrise_min: 90 is above the maximum 60; "
                   "wake.volume: 101 is above the maximum 100"), msg


def test_plan_from_after_min_and_breathing():
    p = {"version": 1, "name": "nap",
         "wind_down": {"minutes": 10, "breaths_per_min": 6, "volume": 0},
         "sleep": {"night_light": 5, "hr_hold_s": 30},
         "wake": {"after_min": 90, "sunrise_min": 15, "sound_lead_min": 5}}
    plan = program.load(p)
    assert plan.name == "nap"
    assert plan.wake_at_s == -1
    assert plan.wake_after_ms == 90 * 60000
    assert plan.breath_ms == 10000
    assert plan.wd_vol == 0
    assert plan.night_level == 50
    assert plan.hr_hold_ms == 30000
    assert plan.nosig_ms == 10 * 60000  # default


def test_wake_window_snooze_and_sound_choice():
    p = {"version": 1,
         "wind_down": {"sound": "noise"},
         "wake": {"at": "06:45", "window_min": 30, "snooze_min": 5, "max_snoozes": 2}}
    assert program.validate(p) == []
    plan = program.load(p)
    assert plan.window_ms == 30 * 60000
    assert plan.snooze_ms == 5 * 60000 and plan.max_snoozes == 2
    assert plan.wd_sound == program.SOUND_NOISE
    plan = program.load(program.DEFAULT)  # version 1 without them: no window, no snooze
    assert plan.window_ms == 0 and plan.max_snoozes == 0
    assert plan.wd_sound == program.SOUND_TONE


def test_new_fields_exact_errors():
    p = _prog(wind_down={"sound": "rain"})
    assert program.validate(p) == ["wind_down.sound: 'rain' is not one of tone, noise, none"]
    p = _prog(wake={"after_min": 480, "window_min": 90})
    assert program.validate(p) == ["wake.window_min: 90 is above the maximum 60"]
    p = _prog(wake={"after_min": 30, "window_min": 30})
    assert program.validate(p) == ["wake.window_min: 30 does not fit in a night of 30 min"]
    p = _prog(wake={"after_min": 480, "max_snoozes": 9, "snooze_min": 0})
    assert program.validate(p) == ["wake.snooze_min: 0 is below the minimum 1",
                                   "wake.max_snoozes: 9 is above the maximum 5"]


def test_safety_limits_cannot_be_set_by_a_program():
    p = _prog(wake={"after_min": 480, "wake_brightness": 10})
    assert program.validate(p) == [
        "wake.wake_brightness: a safety limit, set only in the pod's settings"]
    p = _prog(cap_min=1440)
    assert program.validate(p) == ["cap_min: a safety limit, set only in the pod's settings"]
