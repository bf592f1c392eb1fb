"""Property tests of the wake fail-safe: hypothesis drives a whole simulated pod (the real
firmware on the fake board) through random programs and random interleavings of time, button
presses, serial commands, heart-rate changes and every fault kind, and checks the safety invariants after every
step. `make soak` runs the same machine with the deep profile (HYPOTHESIS_PROFILE=deep)."""
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from simulator.failsafe import Monitor
from simulator.sim import SimPod

settings.register_profile(
    "quick", max_examples=int(os.environ.get("POD_PROPERTY_EXAMPLES", "8")),
    stateful_step_count=12, deadline=None, derandomize=True,  # the same examples every CI run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "deep", max_examples=int(os.environ.get("POD_PROPERTY_EXAMPLES", "300")),
    stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

M = 60 * 1000

# With POD_SOAK_STATS=FILE, each example appends its simulated length (ms) to FILE, so
# `make soak` can report how many nights and simulated hours it checked.
_STATS = os.environ.get("POD_SOAK_STATS")


@st.composite
def programs(draw):
    """Valid sleep programs, short enough that a few steps cover a whole night."""
    wake = {"sunrise_min": draw(st.integers(15, 30)), "sound_lead_min": draw(st.integers(0, 15))}
    if draw(st.booleans()):
        wake["after_min"] = draw(st.integers(20, 180))
    else:
        wake["at"] = "%02d:%02d" % (draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
    wake["window_min"] = draw(st.sampled_from([0, 15]))  # smart wake may bring the wake forward
    # answers (#11): a short or the default answer window, with or without snoozes
    wake["answer_min"] = draw(st.sampled_from([5, 20]))
    if draw(st.booleans()):
        wake["snooze_min"] = draw(st.sampled_from([1, 3, 9]))
        wake["max_snoozes"] = draw(st.integers(1, 5))
    return {
        "version": 1,
        "wind_down": {"minutes": draw(st.integers(0, 30)),
                      "breaths_per_min": draw(st.sampled_from([0, 6]))},
        "sleep": {"hr_hold_s": draw(st.sampled_from([10, 30, 60])),
                  "no_signal_min": draw(st.integers(1, 10)),
                  "night_light": draw(st.sampled_from([0, 5]))},
        "wake": wake,
    }


class PodUnderFaults(RuleBasedStateMachine):
    @initialize(program=programs(), clock=st.sampled_from(["22:30", "05:50", "13:10"]),
                seed=st.integers(1, 1000))
    def start_night(self, program, clock, seed):
        self.pod = SimPod(start_clock=clock, seed=seed)
        import json
        self.pod.fs.path("program.json").write_text(json.dumps(program))
        self.mon = Monitor(self.pod, hold_ms=program["sleep"]["hr_hold_s"] * 1000,
                           grace_ms=program["sleep"]["no_signal_min"] * M,
                           answer_ms=program["wake"]["answer_min"] * M, program=program)
        self.mon.advance(3000)
        self.mon.long_press()  # get into bed: hold the button to start the night
        self.mon.advance(5000)

    def teardown(self):
        if hasattr(self, "pod"):
            self.pod.close()
            if _STATS:
                with open(_STATS, "a") as f:
                    f.write("%d\n" % self.pod.now_ms)

    # Every rule acts, then lets some time pass, so that a handful of steps covers a night.
    LATER = st.sampled_from([300, 3000, 20000, 90000, 10 * M, 45 * M])

    @rule(ms=st.sampled_from([10 * M, 45 * M, 90 * M]))
    def time_passes(self, ms):
        self.mon.advance(ms)

    @rule(then=LATER)
    def tap(self, then):
        self.mon.tap()
        self.mon.advance(then)

    @rule(then=LATER)
    def hold_button(self, then):
        self.mon.long_press()
        self.mon.advance(max(then, 3000))

    @rule(cmd=st.sampled_from(["wake", "ack", "start", "stop"]), then=LATER)
    def serial_command(self, cmd, then):
        self.mon.serial(cmd)
        self.mon.advance(then)

    @rule(clock=st.sampled_from([0, 2 * 3600 + 30 * 60, 6 * 3600 + 59 * 60, 23 * 3600]),
          then=LATER)
    def host_sets_the_clock(self, clock, then):
        self.mon.set_clock(clock)
        self.mon.advance(then)

    @rule(kind=st.sampled_from(["hang", "crash", "corrupt-program", "serial-garbage"]),
          then=LATER)
    def software_fault(self, kind, then):
        self.mon.fault(kind)
        self.mon.advance(then)

    @rule(seconds=st.sampled_from([1, 5, 60]), then=LATER)
    def power_cut(self, seconds, then):
        self.mon.fault("power-cut", seconds)
        self.mon.advance(then)

    @rule(k=st.sampled_from([1, 3]), then=LATER)
    def boot_crashes(self, k, then):
        self.mon.fault("boot-crash", k)
        self.mon.advance(then)

    @rule(kind=st.sampled_from(["hr-low", "hr-high", "sensor-off", "i2c-dead", "i2c-stuck",
                                "sensor-removed"]), then=LATER)
    def sensor_fault(self, kind, then):
        self.mon.fault(kind)
        self.mon.advance(then)

    @precondition(lambda self: self.pod.sleeper.override or not self.pod.sleeper.contact
                  or self.pod.board.i2c_fault or self.pod.pins.HR_ADDR not in self.pod.board.i2c)
    @rule(then=LATER)
    def sensor_recovers(self, then):
        self.mon.heal_sensor()
        self.mon.advance(then)

    @invariant()
    def every_wake_deadline_holds(self):
        """Every trigger is followed by light (and sound, for the fail-safe ones) by its
        deadline: a press or a serial wake within 250 ms, a crash within 1 s, a hang within the watchdog time
        plus 1 s, a power cut within 1 s of power returning, a heart rate out of band within
        the hold time plus 1 s, no signal while asleep within the grace time plus 1 s."""
        assert not [v for v in self.mon.violations if "not lit" in v or "not sounding" in v], \
            self.mon.violations

    @invariant()
    def alarm_is_sticky_until_acknowledged(self):
        """A fail-safe alarm ends only when a person acknowledges it (a long press or `ack`)."""
        assert not [v for v in self.mon.violations if "acknowledgement" in v], self.mon.violations

    @invariant()
    def watchdog_is_fed_only_by_a_healthy_loop(self):
        """A healthy loop keeps feeding the watchdog, and only a stuck loop is ever reset."""
        assert not [v for v in self.mon.violations if "watchdog" in v or "fed" in v], \
            self.mon.violations

    @invariant()
    def no_session_outlives_the_cap(self):
        """No session, whatever its program, runs past the 12-hour cap."""
        assert not [v for v in self.mon.violations if "cap" in v], self.mon.violations

    @invariant()
    def every_wake_is_answered(self):
        """From every wake that calls (scheduled, smart, a host's wake) until a person answers
        it (a press, a hold or `ack`), the pod keeps calling: it never goes idle, and by the
        end of the program's answer window it is in the fail-safe ALARM. Snoozes count towards
        that window. Every night started is woken by its morning wake on time, unless a
        fail-safe alarm or a host `stop` came first; an answer always has a person behind it."""
        assert not [v for v in self.mon.violations
                    if "unanswered" in v or "escalated" in v or "morning" in v
                    or "answered" in v], self.mon.violations

    @invariant()
    def nothing_else_went_wrong(self):
        """Every check of the monitor holds (the four above cover its kinds)."""
        assert not self.mon.violations, self.mon.violations


TestPodUnderFaults = PodUnderFaults.TestCase
