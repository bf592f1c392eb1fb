import pytest

from simulator.sandbox import firmware_module


@pytest.fixture(scope="session")
def fw():
    """The firmware's pure modules, loaded the way the simulator loads them."""
    class FW:
        core = firmware_module("pod.core")
        program = firmware_module("pod.program")
        light = firmware_module("pod.light")
        sound = firmware_module("pod.sound")
        hr = firmware_module("pod.hr")
    return FW
