# The boot-time loader of the stored program and settings: main.py calls load() before the
# rest of the firmware is imported, so the store and the validator have the heap to themselves,
# and pod.link.commit calls it again after a program upload. Dropped from the heap after each use.
import binascii
import gc
import json

from pod import forget, lazy
from pod.file_spec import PREVIOUS, PROGRAM


def load():
    """See _load(); pod.file_spec is dropped again afterwards (its names are copied here)."""
    try:
        return _load()
    finally:
        forget("pod.file_spec")


def _load():
    """(settings dict, plan, program info, problems): the stored program if it passes its
    checks, else the previous one, else the built-in default; settings validated, defaults for
    anything wrong (pod.flash_store). Never raises (but MemoryError). info = (file name or "",
    source 0 file / 1 previous / 2 default (pod.file_spec.SOURCES), payload size, payload
    CRC32, program name).

    The store and the validator are needed only here, each in turn, and their modules are
    dropped again: on a small heap their bytecode is worth more as free memory for the night.
    The plan is a pod.plan.Plan, a class with no code, so it keeps nothing of the validator."""
    probs = []
    s = {}
    plan = None
    src = -1
    size = crc = 0
    fname = ""
    sleep = None
    while plan is None:
        src += 1
        prog = None
        if src < 2:
            got, src, prog, size, crc = lazy("pod.flash_store", "boot_read", src, probs)
            if got is not None:
                s = got
            fname = PROGRAM if src == 0 else PREVIOUS
            if prog is None:
                continue
        else:
            fname = ""
        gc.collect()
        # (several uses of the validator, with a collection between them: imported by hand)
        from pod import program
        try:
            if prog is None:
                prog = program.DEFAULT
                d = json.dumps(prog).encode()  # what program info/read give for it
                size = len(d)
                crc = binascii.crc32(d)
                d = None
            errs = program.validate(prog)
            if errs:
                probs.append("%s: %s" % (fname, "; ".join(errs)))
            else:
                gc.collect()
                plan = program.compile_plan(prog)
                sleep = prog.get("sleep")
        finally:
            prog = None
            forget("pod.program")
    gc.collect()
    info = (fname, src, size, crc, plan.name)
    if not isinstance(sleep, dict) or "hr_low" not in sleep:
        plan.hr_low = s["hr_low"]  # the settings' band, unless the program has one
    if not isinstance(sleep, dict) or "hr_high" not in sleep:
        plan.hr_high = s["hr_high"]
    return s, plan, info, probs
