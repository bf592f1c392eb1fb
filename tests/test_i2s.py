"""The optional I2S speaker: its driver on the fake board (which records what would play), and a
whole simulated nap with board.I2S_ENABLED switched on."""
import json
import shutil
from pathlib import Path

import pytest

from simulator import FIRMWARE_DIR
from simulator.hw import simstate
from simulator.hw.flash import FlashFS
from simulator.sandbox import Sandbox
from simulator.sim import SimPod

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"


@pytest.fixture
def sandbox(tmp_path):
    b = simstate.Board()
    simstate.current = b
    return b, Sandbox(FIRMWARE_DIR, b, FlashFS(tmp_path))


def test_speaker_plays_the_tone_at_the_volume(sandbox):
    board, sb = sandbox
    out = sb._load("pod.i2s_out").I2SOut()
    assert board.i2s_cfg["rate"] == 16000 and board.i2s_cfg["bits"] == 16
    for tone in (174, 523, 784, 1047):
        out.play(tone, 500)
        t, freq, amp = board.i2s_log[-1]
        assert abs(freq - tone) <= tone * 5 // 100, (tone, freq)
        assert amp == 6000
    out.play(523, 1000)
    assert board.i2s_log[-1][2] == 12000  # louder: a bigger swing, same pitch
    out.play(523, 0)
    assert board.i2s_log[-1][1:] == (0, 0)
    n = len(board.i2s_log)
    out.play(523, 0)
    out.play(0, 300)
    assert len(board.i2s_log) == n  # still silence: nothing new played


def test_a_tick_writes_a_tick_of_sound(sandbox):
    board, sb = sandbox
    mod = sb._load("pod.i2s_out")
    out = mod.I2SOut()
    for tone in (140, 392, 1047, 2400):
        out.play(tone, 400)
        samples = out.reps * len(out.view) // 2
        assert 1600 <= samples < 1600 + 512, (tone, samples)


def _i2s_firmware(tmp_path: Path) -> Path:
    fw = tmp_path / "fw"
    shutil.copytree(FIRMWARE_DIR, fw)
    board = fw / "pod" / "board.py"
    text = board.read_text()
    assert "I2S_ENABLED = const(0)" in text
    board.write_text(text.replace("I2S_ENABLED = const(0)", "I2S_ENABLED = const(1)"))
    return fw


def _nap_pod(tmp_path, name):
    pod = SimPod(fw_dir=_i2s_firmware(tmp_path / name), workdir=tmp_path / name / "flash",
                 start_clock="14:00")
    pod.fs.path("program.json").write_text((PROGRAMS / "nap.json").read_text())
    pod.press(5000, 2600)
    return pod


def test_nap_with_the_speaker_on(tmp_path):
    nap = json.loads((PROGRAMS / "nap.json").read_text())
    assert nap["wind_down"]["sound"] == "noise"
    pod = _nap_pod(tmp_path, "a")
    try:
        pod.advance_to(32 * 60000)
        log = pod.board.i2s_log
        wind_down = [f for t, f, a in log if t < 5 * 60000 + 7000 and f]
        assert len(set(wind_down)) > 10 and max(wind_down) < 420  # the low noise walk
        wake = {f for t, f, a in log if t > 25 * 60000 and f}
        for note in (523, 659, 784, 1047):  # the wake melody, within the rate's resolution
            assert any(abs(f - note) <= note * 5 // 100 for f in wake), (note, wake)
        wake_amp = [a for t, f, a in log if t > 25 * 60000 and f]
        assert wake_amp[0] < wake_amp[-1]  # rising
        assert pod.board.pwm.get(pod.pins.BUZZER_PIN, [0, 0])[1] == 0  # the buzzer kept quiet
    finally:
        pod.close()


def test_fail_safe_alarm_still_sounds_on_the_buzzer_with_the_speaker_on(tmp_path):
    pod = _nap_pod(tmp_path, "b")
    try:
        pod.inject("hr-high", 8 * 60000)
        pod.advance_to(11 * 60000)
        assert pod.state == "ALARM"
        assert pod.sounding()  # the PWM buzzer
        assert pod.board.pwm[pod.pins.BUZZER_PIN][0] in (1800, 2400)
    finally:
        pod.close()
