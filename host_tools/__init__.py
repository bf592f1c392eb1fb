"""bedtime-pod host tools: podctl and the serial link to a pod.

Nothing here imports the simulator at module level (tests/test_host_imports.py): host code reads
the firmware from its source (FIRMWARE_DIR). The firmware's own rules that podctl runs before
talking to a pod (program and settings checks) load the pure firmware module in the simulator's
sandbox, imported inside the function that needs it.
"""
from pathlib import Path

FIRMWARE_DIR = Path(__file__).resolve().parent.parent / "firmware"
