# Smart wake: inside the program's wake window, bring the wake forward when the heart rate
# suggests lighter sleep: a sustained rise over the night's baseline. Pure, integer-only, no
# allocation per call. The core loads it only for a program with a window; this module reads
# the pod but changes nothing in it: watch() returns the new wake target, which the core
# applies. Times here are the session's elapsed ms (el), so no tick arithmetic is needed.
from micropython import const

from pod import light

# A rate this far (bpm x10) above the night's baseline for this long suggests lighter sleep;
# the rest of the sunrise then takes at most _RAMP_MS. The baseline follows the heart rate
# slowly (time constant ~17 min), the short-term rate quickly (~32 s), both sampled once a
# second, in fixed point (x16).
_RISE = const(40)
_HOLD_MS = const(120000)
_RAMP_MS = const(300000)
_BASE_SHIFT = const(10)
_FAST_SHIFT = const(5)


class SmartWake:
    def __init__(self):
        self.reset()

    def reset(self):
        """At the start of a night (el 0)."""
        self.base = -1   # the night's heart-rate baseline, bpm x10 x16 (-1: none yet)
        self.fast = 0    # the short-term heart rate, same units
        self.t = 0       # when they were last updated (session ms)
        self.since = -1  # since when the rate has been above the baseline (-1: not)
        self.rise = 0    # with a new target: where its sunrise starts (session ms)

    def watch(self, pod, el, inp, ramping):
        """Follow the heart rate; inside the window, a sustained rise brings the wake earlier:
        returns the new wake target (session ms), and sets self.rise to where its sunrise
        starts; -1 if the wake stays where it is. Never before the window opens, never after
        the wake time (the target only ever moves earlier). ramping: the sunrise has begun."""
        if el - self.t < 1000:
            return -1
        self.t = el
        b = inp.bpm10
        if b < 0 or not inp.contact:
            self.since = -1
            return -1
        b <<= 4
        if self.base < 0:
            self.base = self.fast = b
            return -1
        self.base += (b - self.base) >> _BASE_SHIFT
        self.fast += (b - self.fast) >> _FAST_SHIFT
        if self.fast - self.base < _RISE << 4:
            self.since = -1
            return -1
        if self.since < 0:
            self.since = el
            return -1
        target = el + _RAMP_MS
        if (el < pod.wake_target - pod.plan.window_ms or target >= pod.wake_target
                or el - self.since < _HOLD_MS):
            return -1  # not in the window yet, or not for long enough, or the wake is near anyway
        # keep the sunrise where it is: the new ramp starts from the current progress
        pr = 0
        if ramping:
            pr = light.progress(el - pod.rise_start, pod.wake_target - pod.rise_start)
            if pr >= 1000:
                return -1
        self.rise = el - pr * _RAMP_MS // (1000 - pr)
        return target
