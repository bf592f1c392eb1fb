# Smart wake: inside the program's wake window, bring the wake forward when the heart rate
# suggests lighter sleep: a sustained rise over the night's baseline. Pure, integer-only, no
# allocation per call. The core loads it only for a program with a window.
from micropython import const

from pod import light
from pod.core import WAKE_RAMP as _WAKE_RAMP
from pod.core import ticks_diff as _diff
from pod.reasons import R_SMART

# A rate this far (bpm x10) above the night's baseline for this long suggests lighter sleep;
# the rest of the sunrise then takes at most _RAMP_MS. The baseline follows the heart rate
# slowly (time constant ~17 min), the short-term rate quickly (~32 s), both sampled once a
# second, in fixed point (x16).
_RISE = const(40)
_HOLD_MS = const(120000)
_RAMP_MS = const(300000)
_BASE_SHIFT = const(10)
_FAST_SHIFT = const(5)
# (the core is complete when this module is loaded: Pod.start imports it, never the core's top)


class SmartWake:
    def __init__(self):
        self.reset(0)

    def reset(self, now):
        self.base = -1   # the night's heart-rate baseline, bpm x10 x16 (-1: none yet)
        self.fast = 0    # the short-term heart rate, same units
        self.t = now     # when they were last updated
        self.since = -1  # since when the rate has been above the baseline (-1: not)

    def watch(self, pod, now, el, inp, st):
        """Follow the heart rate; inside the window, a sustained rise moves the pod's wake
        earlier. Never before the window opens, never after the wake time (the target only
        ever moves earlier). st is SLEEP or WAKE_RAMP."""
        if _diff(now, self.t) < 1000:
            return
        self.t = now
        b = inp.bpm10
        if b < 0 or not inp.contact:
            self.since = -1
            return
        b <<= 4
        if self.base < 0:
            self.base = self.fast = b
            return
        self.base += (b - self.base) >> _BASE_SHIFT
        self.fast += (b - self.fast) >> _FAST_SHIFT
        if self.fast - self.base < _RISE << 4:
            self.since = -1
            return
        if self.since < 0:
            self.since = now
            return
        target = el + _RAMP_MS
        if (el < pod.wake_target - pod.plan.window_ms or target >= pod.wake_target
                or _diff(now, self.since) < _HOLD_MS):
            return  # not in the window yet, or not for long enough, or the wake is near anyway
        # keep the sunrise where it is: the new ramp starts from the current progress
        pr = 0
        if st == _WAKE_RAMP:
            pr = light.progress(el - pod.rise_start, pod.wake_target - pod.rise_start)
            if pr >= 1000:
                return
        rs = el - pr * _RAMP_MS // (1000 - pr)
        pod.rise_start = rs
        pod.sound_start = min(pod.sound_start, max(rs, target - pod.plan.sound_lead_ms))
        pod.wake_target = target
        pod._to(_WAKE_RAMP, now, R_SMART)
