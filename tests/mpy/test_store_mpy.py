# pod.flash_store, pod.journal and the file side of pod.link on MicroPython (64 KB heap): sealed
# files written, read back and checked; the boot recovery of an interrupted replace; settings
# validated; journal records framed with their CRC32 and read back by a small decoder here (the
# same format host_tools/journal.py reads). Files go to a scratch folder in the current
# directory (tests/test_micropython.py runs the VM in a temporary one), removed afterwards.
import binascii
import gc
import json
import os
import struct

import simstate  # the fake board's clock, for the journal's time stamps

DIR = "store-mpy.tmp"
NOV_23_2026 = 9823


def _clean():
    try:
        for name in os.listdir(DIR):
            os.remove(DIR + "/" + name)
        os.rmdir(DIR)
    except OSError:
        pass


def _enter():
    _clean()
    os.mkdir(DIR)
    os.chdir(DIR)
    b = simstate.Board()
    simstate.current = b
    b.rtc_set(NOV_23_2026 * 86400 + 22 * 3600 + 30 * 60)
    return b


def _leave():
    os.chdir("..")
    _clean()
    import sys

    import pod
    for name in list(sys.modules):  # each test imports the firmware afresh, as the pod boots it
        if name.startswith("pod."):  # (the journal's test would leave pod.core in these 64 KB)
            pod.forget(name)
    gc.collect()


def _write(name, data):
    with open(name, "wb") as f:
        f.write(data)


def _read(name):
    with open(name, "rb") as f:
        return f.read()


def _exists(name):
    try:
        os.stat(name)
        return True
    except OSError:
        return False


def _records(data):
    """(type, t, payload) of every record with a good CRC, skipping damage byte by byte."""
    out = []
    i = 0
    while i + 11 <= len(data):
        n = data[i + 1]
        end = i + 7 + n
        if data[i] == 0xA5 and n >= 4 and end <= len(data) and \
                binascii.crc32(data[i + 1:i + 3 + n]) == struct.unpack_from("<I", data, i + 3 + n)[0]:
            out.append((data[i + 2], struct.unpack_from("<I", data, i + 3)[0], data[i + 7:i + 3 + n]))
            i = end
        else:
            i += 1
    return out


def test_sealed_file_round_trip_and_damage_detected():
    _enter()
    try:
        from pod import flash_store as store
        payload = json.dumps({"version": 1, "name": "Mpy", "wake": {"after_min": 60}}).encode()
        store.seal_replace(store.TEMP, store.PROGRAM, payload, store.PREVIOUS)
        data, n, crc = store.read_checked(store.PROGRAM)
        assert store.payload((data, n, crc)) == payload and crc == binascii.crc32(payload)
        assert not _exists(store.TEMP) and not _exists(store.PREVIOUS)
        second = payload.replace(b"Mpy", b"Two")
        store.seal_replace(store.TEMP, store.PROGRAM, second, store.PREVIOUS)
        assert store.payload(store.read_checked(store.PREVIOUS)) == payload
        assert store.payload(store.read_checked(store.PROGRAM)) == second
        probs = []
        prog, size, crc = store.read_program(store.PROGRAM, probs)
        assert prog["name"] == "Two" and size == len(second) and probs == []
        # one flipped bit, a truncation, an empty file: each named, none loaded
        raw = _read(store.PROGRAM)
        for bad, why in ((raw[:5] + bytes([raw[5] ^ 1]) + raw[6:], "CRC mismatch"),
                         (raw[:20], "not valid JSON"), (b"", "empty file")):
            _write(store.PROGRAM, bad)
            probs = []
            assert store.read_program(store.PROGRAM, probs) == (None, 0, 0)
            assert probs == ["program.json: " + why], probs
    finally:
        _leave()


def test_boot_recovery_finishes_or_undoes_a_replace():
    _enter()
    try:
        from pod import flash_store as store
        new = b'{"version": 1, "wake": {"after_min": 90}}'
        sealed = new + b"\n#pod1 %d %08x\n" % (len(new), binascii.crc32(new))
        # cut between the renames: no current, a sealed temporary -> it becomes current
        _write(store.TEMP, sealed)
        store.recover()
        assert _read(store.PROGRAM) == sealed and not _exists(store.TEMP)
        # an upload that was never sealed, beside a current program -> dropped
        _write(store.TEMP, new[:10])
        store.recover()
        assert _read(store.PROGRAM) == sealed and not _exists(store.TEMP)
        # a sealed temporary beside a current program (cut before the renames) -> dropped
        _write(store.TEMP, sealed.replace(b"90", b"95"))
        store.recover()
        assert _read(store.PROGRAM) == sealed and not _exists(store.TEMP)
    finally:
        _leave()


def test_settings_validated_field_by_field():
    _enter()
    try:
        from pod import flash_store as store
        _write(store.SETTINGS, b'{"wake_level": 5000, "cap_min": 300, "pod_name": "Mpy"}')
        probs = []
        s = store.load_settings(probs)
        assert s["wake_level"] == 800 and s["cap_min"] == 300 and s["pod_name"] == "Mpy"
        assert probs == ["settings.json: wake_level: 5000 is outside 300..1000, default used"]
        assert store.check_settings({"hr_high": 200, "x": 1}) == [
            "x: unknown key", "hr_high: 200 is outside 90..180"]
        store.seal_replace(store.SETTINGS_TMP, store.SETTINGS,
                               json.dumps({"hr_low": 50}).encode())
        probs = []
        assert store.load_settings(probs)["hr_low"] == 50 and probs == []
    finally:
        _leave()


def test_journal_records_read_back_and_rotate():
    b = _enter()
    try:
        from pod import journal
        j = journal.Journal()
        j.boot(1, 0, 2, 0)
        j.session("Night on mpy")
        j.phase(2, 0)
        for s in range(120):
            j.second(600 + s % 5, True, True)
            b.advance_us(1000000)
        j.wake(1, 180)
        j.fault(10, "x" * 300)  # a long text is cut to fit a record
        recs = _records(_read(journal.file_name(1)))
        assert [r[0] for r in recs] == [1, 2, 3, 4, 4, 7, 6]
        assert recs[0][1] == NOV_23_2026 * 86400 + 22 * 3600 + 30 * 60
        assert recs[1][2] == b"Night on mpy"
        lo, mean, hi = struct.unpack_from("<HHH", recs[3][2])
        assert (lo, mean, hi, recs[3][2][6]) == (600, 602, 604, 60)
        assert struct.unpack_from("<H", recs[5][2], 1)[0] == 180
        assert len(recs[6][2]) == 100 - 4  # the reason and 95 bytes of text
        # a torn last record: everything before it still reads
        data = _read(journal.file_name(1))
        assert _records(data[:-3]) == recs[:-1]
        # rotation: never more than MAX_FILES files of at most FILE_BYTES
        for _ in range(journal.MAX_FILES * journal.FILE_BYTES // 13 + 50):
            j.phase(2, 0)
        seqs = journal.files()
        assert len(seqs) == journal.MAX_FILES and seqs[0] > 1
        for s in seqs:
            assert os.stat(journal.file_name(s))[6] <= journal.FILE_BYTES
    finally:
        _leave()


class _Link:
    """What pod.link needs of pod.serial_link.Link when no App runs: the upload's state."""

    up = None
    app = None


def test_a_link_upload_and_commit():  # first, in a fresh heap: it loads the most code
    import builtins
    _enter()
    out = []
    real = builtins.print
    try:
        link = _Link()

        def stored():
            # imported afresh: a request unloads pod.flash_store and empties the old module
            from pod import flash_store as store
            return store.payload(store.read_checked(store.PROGRAM))

        def ask(req):
            import pod
            builtins.print = out.append
            try:  # as the dispatcher (pod.serial_link) does: loaded for the request, dropped after
                pod.lazy("pod.link", "handle", link, "1", req)
            finally:
                builtins.print = real
            return json.loads(out.pop())

        data = json.dumps({"version": 1, "name": "Linked", "wake": {"at": "06:30"},
                           "sleep": {"night_light": 2}}).encode()
        r = ask({"cmd": "program", "op": "begin", "size": len(data),
                            "crc": binascii.crc32(data)})
        assert r["ok"], r
        for off in range(0, len(data), 96):
            r = ask({"cmd": "program", "op": "chunk", "off": off,
                                "data": binascii.b2a_base64(data[off:off + 96]).decode()})
            assert r["ok"] and r["next"] == min(off + 96, len(data)), r
        r = ask({"cmd": "program", "op": "commit"})
        assert r == {"id": 1, "ok": True, "name": "Linked"}, r
        assert stored() == data
        # an invalid one: the validator's messages, nothing changed
        bad = b'{"version": 1, "wake": {"after_min": 2}}'
        ask({"cmd": "program", "op": "begin", "size": len(bad), "crc": binascii.crc32(bad)})
        ask({"cmd": "program", "op": "chunk", "off": 0, "data": binascii.b2a_base64(bad).decode()})
        r = ask({"cmd": "program", "op": "commit"})
        assert r["error"]["code"] == "invalid", r
        assert r["errors"] == ["wake.after_min: 2 is below the minimum 10"], r
        assert stored() == data
        assert not _exists("program.tmp") and not _exists("program.bak")
        r = ask({"cmd": "config", "op": "set", "config": {"cap_min": 480}})
        assert r["ok"] and r["config"]["cap_min"] == 480, r
        r = ask({"cmd": "config", "op": "get"})
        assert r["config"]["cap_min"] == 480
    finally:
        builtins.print = real
        _leave()
