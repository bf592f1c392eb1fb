"""host_tools/journal.py decoding what the firmware's own journal (pod.journal, run in the
simulator's sandbox on a simulated flash) writes: records, damage, rotation, CSV/JSON lines
and the night summary."""
import csv
import io
import json
from typing import Any

import pytest

from host_tools import journal as hj
from simulator import FIRMWARE_DIR
from simulator.hw import simstate
from simulator.hw.flash import FlashFS
from simulator.sandbox import Sandbox

NOV_23_2026 = 9823
IDLE, WIND_DOWN, SLEEP, WAKE_RAMP, AWAKE, ALARM = range(6)
R_SCHEDULED, R_HR_LOW, R_POWER_CUT = 1, 5, 10


class Night:
    """The firmware's Journal on a simulated board, its clock at 2026-11-23 22:30."""

    def __init__(self, root):
        self.board = simstate.Board()
        simstate.current = self.board
        self.board.rtc_set(NOV_23_2026 * 86400 + 22 * 3600 + 30 * 60)
        self.fs = FlashFS(root)
        mod = Sandbox(FIRMWARE_DIR, self.board, self.fs)._load("pod.journal")
        assert mod is not None
        self.mod: Any = mod
        self.j = self.mod.Journal()

    def wait_s(self, s):
        self.board.advance_us(s * 1000000)

    def minutes(self, n, bpm10=600, spread=20, contact=True, session=True):
        for _ in range(n):
            for s in range(60):
                self.j.second(bpm10 + (s % 3 - 1) * spread if bpm10 > 0 else -1, contact, session)
                self.wait_s(1)

    def files(self):
        return [(p.name, p.read_bytes()) for p in sorted(self.fs.root.glob("jr*.bin"))]

    def data(self):
        return b"".join(d for _, d in self.files())


def a_night(tmp_path):
    n = Night(tmp_path)
    j = n.j
    j.boot(1, 0, 0, 0)
    n.wait_s(60)
    j.session("Weeknight")
    j.phase(WIND_DOWN, 0)
    n.minutes(30)
    j.phase(SLEEP, 0)
    n.minutes(90, bpm10=550)
    j.second(550, False, True)  # contact lost...
    n.wait_s(1)
    n.minutes(2, bpm10=-1, contact=False)
    n.minutes(60, bpm10=520)
    j.wake(R_SCHEDULED, 120)
    j.phase(WAKE_RAMP, R_SCHEDULED)
    n.wait_s(1800)
    j.phase(AWAKE, R_SCHEDULED)
    j.fault(0, "program.json: CRC mismatch")
    return n


def test_every_record_reads_back_with_its_fields(tmp_path):
    n = a_night(tmp_path)
    recs, probs = hj.decode(n.data())
    assert probs == []
    kinds = [r["type"] for r in recs]
    assert kinds[:3] == ["boot", "session", "phase"]
    assert kinds.count("hr") == 30 + 90 + 2 + 60  # one per minute, once in a session
    assert kinds.count("contact") == 1
    boot = recs[0]
    assert boot["time"] == "2026-11-23T22:30:00" and boot["cause"] == "power_on"
    assert boot["source"] == "file" and boot["reason"] == "none"
    assert recs[1]["program"] == "Weeknight" and recs[1]["time"] == "2026-11-23T22:31:00"
    hr = [r for r in recs if r["type"] == "hr"]
    assert (hr[0]["min"], hr[0]["mean"], hr[0]["max"], hr[0]["seconds"]) == (58.0, 60.0, 62.0, 60)
    lost = [r for r in hr if r["losses"]]
    assert len(lost) == 1 and lost[0]["losses"] == 1
    assert min(r["seconds"] for r in hr) == 0  # a whole minute without a rate
    wake = [r for r in recs if r["type"] == "wake"]
    assert wake[0]["reason"] == "scheduled" and wake[0]["latency_ms"] == 120
    assert recs[-1] == {**recs[-1], "type": "fault", "text": "program.json: CRC mismatch"}


def test_a_torn_last_record_is_reported_and_everything_before_it_reads(tmp_path):
    n = a_night(tmp_path)
    data = n.data()
    whole, _ = hj.decode(data)
    for cut in (1, 3, 7, 12):
        recs, probs = hj.decode(data[:-cut])
        assert recs == whole[:-1]
        assert len(probs) == 1 and "torn or corrupt at the end" in probs[0]


def test_a_corrupt_record_is_skipped_and_the_reader_resyncs(tmp_path):
    n = a_night(tmp_path)
    data = bytearray(n.data())
    whole, _ = hj.decode(bytes(data))
    victim = whole[40]
    data[victim["offset"] + 9] ^= 0x01  # inside its payload: its CRC no longer holds
    recs, probs = hj.decode(bytes(data))
    assert recs == whole[:40] + whole[41:]
    assert len(probs) == 1 and probs[0].startswith("bytes %d.." % victim["offset"])
    # garbage spliced between two records: both neighbours survive
    spliced = bytes(data[:victim["offset"]]) + b"\xa5\x10\x01junk\xa5" + bytes(
        data[victim["offset"]:])
    recs2, probs2 = hj.decode(spliced)
    assert [r["t"] for r in recs2] == [r["t"] for r in recs]
    assert len(probs2) == 1


def test_rotation_keeps_the_journal_bounded(tmp_path):
    n = Night(tmp_path)
    mod = n.mod
    for i in range(6000):
        n.j.phase(SLEEP if i % 2 else WIND_DOWN, 0)
        n.wait_s(1)
    files = n.files()
    assert len(files) == mod.MAX_FILES
    assert all(len(d) <= mod.FILE_BYTES for _, d in files)
    seqs = [int(name[2:7]) for name, _ in files]
    assert seqs == list(range(seqs[0], seqs[0] + mod.MAX_FILES)) and seqs[0] > 1
    recs, probs = hj.decode_files(files)
    assert probs == []
    ts = [r["t"] for r in recs]
    assert ts == sorted(ts) and ts[-1] - ts[0] == len(recs) - 1  # the newest, none missing
    # a new boot carries on in the newest file
    j2 = mod.Journal()
    assert j2.seq == seqs[-1] and j2.first == seqs[0]


def test_jsonl_and_csv(tmp_path):
    recs, _ = hj.decode(a_night(tmp_path).data(), "jr00001.bin")
    lines = hj.to_jsonl(recs).splitlines()
    assert len(lines) == len(recs) and json.loads(lines[1])["program"] == "Weeknight"
    rows = list(csv.DictReader(io.StringIO(hj.to_csv(recs))))
    assert len(rows) == len(recs)
    assert rows[0]["file"] == "jr00001.bin" and rows[0]["type"] == "boot"
    assert rows[3]["type"] == "hr" and float(rows[3]["mean"]) == 60.0
    assert rows[-1]["text"] == "program.json: CRC mismatch"


def test_night_summary(tmp_path):
    recs, _ = hj.decode(a_night(tmp_path).data())
    s = hj.summary(recs)
    assert s["program"] == "Weeknight" and s["start"] == "2026-11-23T22:31:00"
    assert s["asleep_s"] == (90 + 2 + 60) * 60 + 1
    assert (s["wake_reason"], s["wake_latency_ms"]) == ("scheduled", 120)
    assert (s["hr_min"], s["hr_max"]) == (50.0, 62.0)
    assert 52 < s["hr_mean"] < 60
    assert s["contact_losses"] == 1
    assert s["faults"][0]["text"] == "program.json: CRC mismatch"
    text = hj.format_summary(s)
    assert "Time asleep: 2h32" in text and "Woke: scheduled, lights after 120 ms" in text
    assert "Heart rate: 50-62 bpm" in text and "CRC mismatch" in text


def test_summary_of_an_interrupted_night(tmp_path):
    n = Night(tmp_path)
    n.j.boot(1, 0, 0, 0)
    n.j.session("Short")
    n.j.phase(SLEEP, 0)
    n.minutes(10)
    n.j.boot(1, R_POWER_CUT, 0, 0)  # power came back: the boot verdict
    n.j.phase(ALARM, R_POWER_CUT)
    n.j.fault(R_POWER_CUT, "alarm")
    n.j.wake(R_POWER_CUT, 0)
    s = hj.summary(hj.decode(n.data())[0])
    # asleep until the last record before the power went (the tenth minute's heart rate)
    assert s["wake_reason"] == "power_cut" and s["asleep_s"] == 599
    assert s["resets"] == [{"time": s["resets"][0]["time"], "cause": "power_on",
                            "verdict": "power_cut"}]
    assert "Resets: power_on (power_cut)" in hj.format_summary(s)


@pytest.mark.parametrize("data", [b"", b"\xa5", b"\xa5\x04", bytes(300), b"\xa5" * 50])
def test_nothing_decodes_from_nothing(data):
    recs, probs = hj.decode(data)
    assert recs == []
    assert len(probs) == (0 if data == b"" else 1)


def test_answers_are_recorded_and_summarised(tmp_path):
    """#11: how a person answered each wake (a tap, a hold, ack) is a record, and the night's
    summary lists them; a wake with none says so."""
    n = Night(tmp_path)
    j = n.j
    j.session("Weeknight")
    j.phase(AWAKE, R_SCHEDULED)
    j.wake(R_SCHEDULED, 12)
    n.wait_s(90)
    j.answer(1)
    n.wait_s(600)
    j.answer(3)
    recs, probs = hj.decode(n.data())
    assert probs == []
    assert [r["how"] for r in recs if r["type"] == "answer"] == ["tap", "ack"]
    s = hj.summary(recs)
    assert [a["how"] for a in s["answers"]] == ["tap", "ack"]
    assert "Answered: tap at " in hj.format_summary(s)
    m = Night(tmp_path / "b")
    m.j.session("Weeknight")
    m.j.wake(R_SCHEDULED, 12)
    s = hj.summary(hj.decode(m.data())[0])
    assert s["answers"] == [] and "Answered: no answer recorded" in hj.format_summary(s)
