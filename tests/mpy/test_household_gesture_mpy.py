# The parent's four-tap gesture for "wake everyone" on MicroPython (its tap with the heap
# locked): the household hook over the real core, with a stand-in parent's Node (no radio).
import gc

from pod.household import policy


def test_four_taps_on_a_parents_pod_need_no_heap_and_load_nothing():
    """The parent's gesture for wake everyone (four quick taps from off, pod.household.hook)
    asks the Node with the heap locked on the fourth tap: nothing to load, so no MemoryError
    and no household error (three of those switch the household off for the boot: the
    children's alarms no longer announced there), and no module is left loaded after it."""
    import sys

    import micropython

    from pod import core, program
    from pod.household import hook

    class Radio:
        faults = 0
        stopped = 0

        def stop(self):
            self.stopped += 1

    class Rx:
        n = 0
        ids = bytearray(6)
        roles = bytearray(6)

    class Node:  # a parent's, with no peers: only what the Hook's step reads
        role = policy.ROLE_PARENT
        rx = Rx()
        radio = Radio()
        waking = False
        asked = 0

        def tick(self, now):
            pass

        def next_action(self):
            return policy.A_NONE

        def wake_everyone(self, now):
            self.asked += 1

    class App:
        t_boot = 0
        journal = None

    app = App()
    prog = program.load({"version": 1, "wake": {"after_min": 480}})
    app.pod = core.Pod(prog, core.Settings(), 0)
    h = hook.Hook(app, Node(), 0)
    inp = core.In()
    gc.collect()
    before = set(sys.modules)
    t = 1000
    for k in range(4):  # four quick taps from off, 500 ms apart
        inp.press = True
        if k < 3:
            h.step(t, inp)
        else:  # the fourth: wake everyone, with no heap at all
            micropython.heap_lock()
            try:
                h.step(t, inp)
            finally:
                micropython.heap_unlock()
        inp.press = False
        h.step(t + 100, inp)
        t += 500
    h.step(t, inp)  # the wake the household added: this pod calls too
    assert h.node.asked == 1 and not h.off and h.errors == 0 and h.node.radio.stopped == 0, (
        h.node.asked, h.off, h.errors)
    assert app.pod.state == core.AWAKE and not app.pod.silenced
    assert sorted(set(sys.modules) - before) == []
