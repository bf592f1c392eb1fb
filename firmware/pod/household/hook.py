# The household in the pod's loop. Loaded by the app only when household.json exists (a pod
# with no household never imports any of pod.household), made once at boot. Each loop tick
# calls step(now, inp) instead of the core's step, which does, in this order:
#   _after(now)       - the radio (bounded: see node.py and radio.py), this pod's ALARM relayed
#                       to the parents, the actions received;
#   then              - an acknowledgement of an announcement (a press or the serial ack, only
#                       while this pod's own state has nothing to answer), and the household's
#                       additions (a wake, a wind-down) as a core command when the tick has none;
#   the core's step, then show(now, out): the core's outputs as they are while the pod wakes,
#                       calls or alarms (nothing received may dim or silence them); otherwise
#                       an announcement's pattern or the quiet "child silent" pixel drawn over
#                       them (and taken off again before the next step).
# A radio call that stalls (a full transmit buffer: up to 2 s, at most once a minute, see
# radio.py) delays that tick's outputs by as much, far inside the 5 s watchdog.
# Every call catches everything: a household error is logged as a fault and the household
# stops for this boot; the pod's own loop, watchdog and fail-safe never see it.
#
# It reads the core only through public attributes (pod.state, pod.reason, pod.night,
# pod.unanswered()) and hands it only the commands a person could send (wake, start).
import json
import time

from micropython import const

from pod.core import ALARM, CMD_ACK, CMD_START, CMD_WAKE, STATE_NAMES
from pod.core import SLEEP as _QUIET  # states up to it: nothing of the pod's own to show over
from pod.reasons import REASON_NAMES  # (resident anyway: the core's)

# The numbers of the other household modules the hook needs, copied here, so that importing the
# hook loads none of them: pod.household.setup loads them only once the settings are read and
# their module gone again, the biggest moment of the household's boot (tests/test_household.py
# checks each copy against its source).
_A_WAKE = const(1)       # pod.household.policy.A_WAKE
_A_ANNOUNCE = const(2)   # policy.A_ANNOUNCE
_A_WIND_DOWN = const(3)  # policy.A_WIND_DOWN
_ROLE_CHILD = const(0)   # policy.ROLE_CHILD
_ROLE_PARENT = const(1)  # policy.ROLE_PARENT
_RETRY_S = const(60)     # pod.household.radio.RETRY_MS // 1000

_PHASE_MS = const(250)   # the announcement's pattern swaps this often
_ANN_HZ = const(1760)    # its sound: short high beeps (the core's sounds are lower and steady)
_ANN_VOL = const(700)
_ERRORS_MAX = const(3)   # household errors before it stops for this boot

live = None              # the Hook of this boot (or the core, if it could not be made)
why = ""                 # why it could not be made (the fault logged), never the key


def step(now, inp):
    """The app's call instead of the core's step (pod.app holds this module as household)."""
    return live.step(now, inp)  # pyright: ignore[reportOptionalMemberAccess]


class Hook:
    """Made once at boot by pod.household.setup (which also logs a radio that did not start);
    what is asked on the serial link (status, wake everyone, bedtime, leave) is done by
    pod.link.household, loaded for the request only."""

    def __init__(self, app, n, now):
        self.app = app
        self.node = n                     # pod.household.node.Node
        self.role = n.role
        self.saved = bytearray(6)         # the core's strip values under the overlay
        self.over = False                 # the overlay was drawn over them last tick
        self.ann = 0                      # bit per peer slot: its alarm announced here
        self.ann_reason = bytearray(len(n.rx.ids))  # (a slot per peer the receiver can hold)
        self.silent = 0                   # bit per child slot: silent during this night
        self.relayed = False              # this pod's current ALARM was relayed
        self.want = 0                     # a core command the household adds (wake, start)
        self.faults = n.radio.faults
        self.errors = 0
        self.off = False                  # stopped for this boot (errors), or left
        self.t_sup = now

    # -- what the pod prints: never the key ---------------------------------------------------
    def event(self, what):
        pod = self.app.pod
        try:
            print('{"t":"evt","ev":"household","up":%d,"state":"%s","reason":"%s","msg":%s}' % (
                time.ticks_diff(time.ticks_ms(), self.app.t_boot),
                STATE_NAMES[pod.state],
                REASON_NAMES[pod.reason], json.dumps(what)))
        except MemoryError:
            pass

    def _fault(self, text):
        try:
            self.app.journal.fault(0, text)
        except Exception:  # noqa: BLE001 - the journal's own trouble is not the household's
            pass
        self.event({"fault": text})

    def _error(self, e):
        """Never raises (a MemoryError here too: the fault is then only counted)."""
        self.errors += 1
        if self.errors >= _ERRORS_MAX:
            self.off = True
            self.node.radio.stop()
        try:
            self._fault("household: %s%s" % (
                e.__class__.__name__, ", stopped until the next boot" if self.off else ""))
        except Exception:  # noqa: BLE001
            pass

    def _names_of(self, mask):
        # (a comprehension in _after would make its locals closure cells: heap on every call)
        return [self._name(i) for i in range(len(self.ann_reason)) if mask >> i & 1]

    def _name(self, slot):
        names = self.node.names
        return names[slot].decode() if slot < len(names) else "?"

    # -- the loop's call -------------------------------------------------------------------------
    def step(self, now, inp):
        """The app's one call per tick, instead of the core's step: the radio and what it
        brought (_after), this pod's acknowledgement of an announcement and the household's
        additions, the core's step, then the overlay drawn into the core's outputs (restored
        before the next step, so the core always steps from its own values). Returns the
        core's Out. (One method, not three: each costs heap.)"""
        if not self.off:
            try:
                self._after(now & 0x3FFFFFFF)
            except Exception as e:  # noqa: BLE001
                self._error(e)
        pod = self.app.pod
        if not self.off:  # (an error in _after may have stopped it)
            try:
                if self.ann and pod.state <= _QUIET and pod.snooze_end < 0:
                    # the pod's own state has nothing to answer: a press or the serial ack is
                    # the parent acknowledging the announcement (it silences only that)
                    if inp.press:
                        inp.press = 0
                        self.ack(now, "button")
                    elif inp.cmd == CMD_ACK:
                        inp.cmd = 0  # the link still answers it: ok, with the pod's state
                        self.ack(now, "serial")
                if self.want and not inp.cmd:  # a wake or wind-down the household adds
                    inp.cmd = self.want
                    self.want = 0
            except Exception as e:  # noqa: BLE001
                self._error(e)
        out = pod.out
        if self.over:
            b = self.saved
            out.r, out.g, out.b, out.r2, out.g2, out.b2 = b[0], b[1], b[2], b[3], b[4], b[5]
            self.over = False
        out = pod.step(now, inp)
        if (inp.press and pod.quick == 3 and self.role == _ROLE_PARENT and pod.silenced
                and not (pod.night or pod.reason or self.off)):
            # four quick taps from off on a parent's pod: wake everyone (only on a lamp lit by
            # the first tap, reason none: never a wake answered, an alarm, a night)
            try:
                self.wake_everyone(now)
            except Exception as e:  # noqa: BLE001
                self._error(e)
        if not self.off and (self.ann or self.silent):
            self.show(now, out)
        return out

    def wake_everyone(self, now):
        """A parent asks on this pod (its four taps, or pod.link.household's wake_all): a wake
        on every pod of the household, this one too. Resident, so that a tap never needs the
        heap to load a module (nothing allocated but the event's text, which may fail alone)."""
        self.node.wake_everyone(now & 0x3FFFFFFF)
        self.want = CMD_WAKE
        try:
            self.event({"wake_everyone": True})
        except MemoryError:  # (its dict, made before event's own guard: the line is lost only)
            pass

    def show(self, now, out):
        """Draw the announcement (or the quiet pixel) over out, unless the pod's own state has
        something to show: a wake, a call or an alarm is never changed by the household."""
        pod = self.app.pod
        if pod.state > _QUIET or pod.snooze_end >= 0:  # (a snoozed wake: its own glow)
            return
        b = self.saved
        b[0], b[1], b[2], b[3], b[4], b[5] = out.r, out.g, out.b, out.r2, out.g2, out.b2
        self.over = True
        if self.ann:
            ph = (now // _PHASE_MS) & 1
            out.r = 255 if ph else 0
            out.g = 0
            out.b = 160 if ph else 255
            out.r2 = 0 if ph else 255
            out.g2 = 0
            out.b2 = 255 if ph else 160
            out.white = 0
            if ph:
                out.tone = _ANN_HZ
                out.vol = _ANN_VOL
            else:
                out.tone = out.vol = 0
        else:  # a child's pod fell silent in the night: one dim amber glow, no sound
            out.r2 = 40
            out.g2 = 12
            out.b2 = 0

    def _after(self, now):
        pod = self.app.pod
        n = self.node
        n.waking = pod.state > _QUIET or pod.unanswered()
        if pod.state == ALARM:
            if not self.relayed:
                self.relayed = True
                n.raise_alarm(pod.reason, now)
                self.event({"relay": "alarm", "why": REASON_NAMES[pod.reason]})
        else:
            self.relayed = False
        n.tick(now)
        rad = n.radio
        if rad.faults != self.faults:
            self.faults = rad.faults
            self._fault("household: radio error (%s), restarted within %d s" % (
                rad.last_error or "?", _RETRY_S))
        a = n.next_action()
        while a:
            if a == _A_WAKE:
                self.want = CMD_WAKE
                self.event({"added": "wake", "from": self._name(n.about)})
            elif a == _A_WIND_DOWN:
                if not self.want:
                    self.want = CMD_START
                self.event({"added": "wind_down", "from": self._name(n.about)})
            elif a == _A_ANNOUNCE:
                bit = 1 << n.about
                self.ann_reason[n.about] = n.reason
                if not self.ann & bit:
                    self.ann |= bit
                    self.event({"announce": self._name(n.about), "why": REASON_NAMES[n.reason]})
            a = n.next_action()
        if time.ticks_diff(now, self.t_sup) >= 1000:
            self.t_sup = now
            m = 0
            if pod.night and self.role == _ROLE_PARENT:
                rx = n.rx
                for i in range(rx.n):
                    if rx.roles[i] == _ROLE_CHILD and n.silent(i, now):
                        m |= 1 << i
            if m != self.silent:
                self.silent = m
                self.event({"silent": self._names_of(m)})

    # -- asked on this pod (its button, its serial link) ----------------------------------------
    def ack(self, now, how):
        names = self._names_of(self.ann)
        self.ann = 0
        self.event({"acked": names, "how": how})


def main(loaded=None):
    """main.py's call on a household's pod, instead of pod.app.main: the App as there, this
    boot's Hook made once, then the App's loop with the Hook in it (pod.app.household)."""
    import gc

    import micropython

    from pod import app
    micropython.kbd_intr(-1)
    gc.collect()
    a = app.App(loaded)
    loaded = None
    start(a)
    a.run()


def start(a):
    """Make the Hook for App a (pod.household.setup, loaded for it only) and put it in a's
    loop (also for tests that build the App). Never raises."""
    global live, why
    import sys

    from pod import app, lazy
    live = a.pod
    try:
        h = lazy("pod.household.setup", "boot", a, time.ticks_ms(), Hook)
    except Exception:  # noqa: BLE001 - no heap even to load the setup: the pod runs alone
        h = "household: no heap to start, the pod runs alone"
        try:
            a.journal.fault(0, h)  # (setup logs its own faults)
        except Exception:  # noqa: BLE001
            pass
    if isinstance(h, str):
        why = h
    else:
        live = h
    app.household = sys.modules[__name__]
