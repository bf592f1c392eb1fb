# bedtime-pod firmware package. Copied to the board as-is (or compiled with mpy-cross).
import sys

VERSION = "0.1.0"


def forget(name):
    """Unload a firmware module ("pod.store") so the garbage collector can take its code back.
    Its globals are emptied too: an object still holding one of its functions keeps that
    function, but not every other one of the module through their shared globals."""
    mod = sys.modules.pop(name, None)
    if mod is not None:
        mod.__dict__.clear()
    pkg, _, leaf = name.rpartition(".")
    parent = sys.modules.get(pkg)
    if parent is not None and leaf in parent.__dict__:
        delattr(parent, leaf)
