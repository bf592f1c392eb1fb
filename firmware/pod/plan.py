# The compiled sleep program the core runs: plain integer attributes, set by pod.program.load
# (see there for what each means). A class of its own with no code, so that the validator
# module can be unloaded after boot: a Plan holds no reference into it. The annotations are
# for the type checker; MicroPython compiles them to nothing.


class Plan:
    name: str
    wd_ms: int
    wd_k0: int
    wd_k1: int
    wd_l0: int
    wd_l1: int
    breath_ms: int
    wd_vol: int
    wd_sound: int
    night_level: int
    night_k: int
    hr_low: int
    hr_high: int
    hr_hold_ms: int
    nosig_ms: int
    wake_at_s: int
    wake_after_ms: int
    sunrise_ms: int
    sound_lead_ms: int
    wake_vol: int
    awake_ms: int
    window_ms: int
    snooze_ms: int
    max_snoozes: int
    answer_ms: int
    check_ms: int
