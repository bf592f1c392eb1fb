"""bedtime-pod simulator: runs the unmodified firmware on fake ESP32 hardware in virtual time."""
from pathlib import Path

FIRMWARE_DIR = Path(__file__).resolve().parent.parent / "firmware"
