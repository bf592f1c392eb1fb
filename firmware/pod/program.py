# Sleep programs: the JSON format people edit, its validator, and the compact plan the core runs.
# The same validator runs on the pod and in podctl, so an error reads the same in both places.

from pod.plan import Plan

VERSION = 1

# Field specs: (key, kind, low, high, default). kind "i" is an integer, "t" a clock time "HH:MM",
# "c" one of the words in _CHOICES. A default of None marks a field that may be left out with
# no default. Every field added after the first release is optional, so version 1 programs
# written before it stay valid and mean what they meant.
_SPEC = {
    "wind_down": (
        ("minutes", "i", 0, 120, 30),
        ("kelvin_start", "i", 1000, 6500, 2700),
        ("kelvin_end", "i", 1000, 6500, 1800),
        ("brightness_start", "i", 0, 100, 40),
        ("brightness_end", "i", 0, 100, 5),
        ("breaths_per_min", "i", 0, 12, 0),
        ("volume", "i", 0, 100, 20),
        ("sound", "c", 0, 0, "tone"),
    ),
    "sleep": (
        ("night_light", "i", 0, 20, 0),
        ("night_light_kelvin", "i", 1000, 3000, 1800),
        ("hr_low", "i", 30, 60, 40),
        ("hr_high", "i", 90, 180, 130),
        ("hr_hold_s", "i", 10, 300, 60),
        ("no_signal_min", "i", 1, 60, 10),
    ),
    "wake": (
        ("at", "t", 0, 0, None),
        ("after_min", "i", 10, 720, None),
        ("sunrise_min", "i", 15, 60, 30),
        ("sound_lead_min", "i", 0, 60, 10),
        ("volume", "i", 0, 100, 60),
        ("awake_min", "i", 5, 240, 30),
        ("window_min", "i", 0, 60, 0),
        ("snooze_min", "i", 1, 30, 9),
        ("max_snoozes", "i", 0, 5, 0),
        ("answer_min", "i", 2, 60, 20),
        ("check_min", "i", 2, 30, None),  # the wake-up check: off unless given
    ),
}
# The words a "c" field takes; the index is what the plan keeps.
_CHOICES = ("tone", "noise", "none")
SOUND_TONE = 0
SOUND_NOISE = 1
SOUND_NONE = 2
# Safety limits live in the pod's settings, never in a program: naming one is an error that
# says so, rather than a plain unknown key.
_SAFETY = ("cap_min", "cap", "wake_level", "wake_brightness", "min_brightness")
_TOP = ("version", "name", "wind_down", "sleep", "wake")

DEFAULT = {
    "version": 1,
    "name": "Default night",
    "wind_down": {"minutes": 30, "kelvin_start": 2700, "kelvin_end": 1800,
                  "brightness_start": 40, "brightness_end": 5, "volume": 20},
    "sleep": {"night_light": 0},
    "wake": {"at": "07:00", "sunrise_min": 30, "sound_lead_min": 10, "volume": 60},
}


def _clock(v):
    # "HH:MM" -> seconds since midnight, or -1
    if not isinstance(v, str) or len(v) != 5 or v[2] != ":":
        return -1
    h, m = v[:2], v[3:]
    if not (h.isdigit() and m.isdigit()):
        return -1
    h = int(h)
    m = int(m)
    if h > 23 or m > 59:
        return -1
    return h * 3600 + m * 60


def validate(prog):
    """Every problem with a program, as a list of "path: reason" strings. Empty means valid."""
    errs = []
    if not isinstance(prog, dict):
        return ["program: must be a JSON object"]
    for k in prog:
        if k in _SAFETY:
            errs.append("%s: a safety limit, set only in the pod's settings" % k)
        elif k not in _TOP:
            errs.append("%s: unknown key" % k)
    v = prog.get("version")
    if v is None:
        errs.append("version: missing")
    elif v != VERSION or isinstance(v, bool):
        errs.append("version: %r is not supported (this pod reads version %d)" % (v, VERSION))
    name = prog.get("name", "")
    if not isinstance(name, str) or len(name) > 40:
        errs.append("name: must be text of at most 40 characters")
    for sect, fields in _SPEC.items():
        body = prog.get(sect, {})
        if not isinstance(body, dict):
            errs.append("%s: must be an object" % sect)
            continue
        known = [f[0] for f in fields]
        for k in body:
            if k in _SAFETY:
                errs.append("%s.%s: a safety limit, set only in the pod's settings" % (sect, k))
            elif k not in known:
                errs.append("%s.%s: unknown key" % (sect, k))
        for key, kind, lo, hi, _ in fields:
            if key not in body:
                continue
            val = body[key]
            path = sect + "." + key
            if kind == "t":
                if _clock(val) < 0:
                    errs.append("%s: %r is not a clock time HH:MM" % (path, val))
            elif kind == "c":
                if val not in _CHOICES:
                    errs.append("%s: %r is not one of %s" % (path, val, ", ".join(_CHOICES)))
            elif not isinstance(val, int) or isinstance(val, bool):
                errs.append("%s: %r is not a whole number" % (path, val))
            elif val < lo:
                errs.append("%s: %d is below the minimum %d" % (path, val, lo))
            elif val > hi:
                errs.append("%s: %d is above the maximum %d" % (path, val, hi))
    wake = prog.get("wake", {})
    if isinstance(wake, dict):
        if ("at" in wake) == ("after_min" in wake):
            errs.append("wake: give exactly one of 'at' (HH:MM) or 'after_min'")
        lead = wake.get("sound_lead_min", 10)
        rise = wake.get("sunrise_min", 30)
        if isinstance(lead, int) and isinstance(rise, int) and lead > rise:
            errs.append("wake.sound_lead_min: %d is longer than the sunrise (%d min)" % (lead, rise))
        win = wake.get("window_min", 0)
        after = wake.get("after_min")
        if isinstance(win, int) and isinstance(after, int) and 0 < after <= win:
            errs.append("wake.window_min: %d does not fit in a night of %d min" % (win, after))
    return errs


def _get(prog, sect, key):
    body = prog.get(sect, {})
    if key in body:
        return body[key]
    for f in _SPEC[sect]:
        if f[0] == key:
            return f[4]
    return None


def _int(prog, sect, key):
    v = _get(prog, sect, key)
    return v if isinstance(v, int) else 0


def _choice(prog, sect, key):
    v = _get(prog, sect, key)
    return _CHOICES.index(v) if v in _CHOICES else 0


def compile_plan(prog):
    """A program that passed validate() reduced to integers (ms, permille, K, bpm) for the core.

    The object is a pod.plan.Plan, a class with no code: it holds no reference back into this
    module, so once pod.stored_load.load drops the validator, all of it is freed."""
    g = _int
    plan = Plan()
    plan.name = prog.get("name", "")
    plan.wd_ms = g(prog, "wind_down", "minutes") * 60000
    plan.wd_k0 = g(prog, "wind_down", "kelvin_start")
    plan.wd_k1 = g(prog, "wind_down", "kelvin_end")
    plan.wd_l0 = g(prog, "wind_down", "brightness_start") * 10
    plan.wd_l1 = g(prog, "wind_down", "brightness_end") * 10
    bpm = g(prog, "wind_down", "breaths_per_min")
    plan.breath_ms = 60000 // bpm if bpm else 0
    plan.wd_vol = g(prog, "wind_down", "volume") * 10
    plan.wd_sound = _choice(prog, "wind_down", "sound")
    plan.night_level = g(prog, "sleep", "night_light") * 10
    plan.night_k = g(prog, "sleep", "night_light_kelvin")
    plan.hr_low = g(prog, "sleep", "hr_low")
    plan.hr_high = g(prog, "sleep", "hr_high")
    plan.hr_hold_ms = g(prog, "sleep", "hr_hold_s") * 1000
    plan.nosig_ms = g(prog, "sleep", "no_signal_min") * 60000
    at = _get(prog, "wake", "at")
    plan.wake_at_s = _clock(at) if at is not None else -1
    after = _get(prog, "wake", "after_min")
    plan.wake_after_ms = after * 60000 if isinstance(after, int) else 480 * 60000
    plan.sunrise_ms = g(prog, "wake", "sunrise_min") * 60000
    plan.sound_lead_ms = g(prog, "wake", "sound_lead_min") * 60000
    plan.wake_vol = g(prog, "wake", "volume") * 10
    plan.awake_ms = g(prog, "wake", "awake_min") * 60000
    # smart wake: the wake may come up to window_ms before the wake time, never after it
    plan.window_ms = g(prog, "wake", "window_min") * 60000
    plan.snooze_ms = g(prog, "wake", "snooze_min") * 60000
    plan.max_snoozes = g(prog, "wake", "max_snoozes")
    # a wake nobody answers within this escalates to the fail-safe alarm (snoozes count)
    plan.answer_ms = g(prog, "wake", "answer_min") * 60000
    # the wake-up check, this long after the morning's wake is answered (0: off)
    plan.check_ms = g(prog, "wake", "check_min") * 60000
    return plan


def load(prog):
    """Validate and compile. Raises ValueError carrying every error, so nothing half-valid runs."""
    errs = validate(prog)
    if errs:
        raise ValueError("; ".join(errs))
    return compile_plan(prog)
