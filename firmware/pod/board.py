# The one place that knows how the pod is wired (ESP32 DevKitC V4). See README "Wiring".
from micropython import const

STRIP_PIN = const(13)      # WS2812B data in, through a 330 ohm resistor
STRIP_COUNT = const(16)
WHITE_PIN = const(25)      # gate of the logic-level MOSFET driving the white LED
BUZZER_PIN = const(26)     # piezo or small speaker through a transistor
BUTTON_PIN = const(27)     # momentary switch to GND, internal pull-up
I2C_ID = const(0)
I2C_SCL = const(22)        # MAX30102 SCL
I2C_SDA = const(21)        # MAX30102 SDA
I2C_FREQ = const(400000)
HR_ADDR = const(0x57)      # MAX30102 I2C address

WDT_TIMEOUT_MS = const(5000)
LONG_PRESS_MS = const(2000)  # holding the button this long: start, switch off, acknowledge
LOOP_MS = const(100)       # super-loop period

# Optional I2S speaker for real music-quality sound (an I2S amplifier such as a MAX98357A).
# Off by default: the PWM buzzer plays everything. When on, the speaker plays the night's
# sounds and the buzzer still sounds the fail-safe alarm (and always does in boot/crash paths).
I2S_ENABLED = const(0)
I2S_ID = const(0)
I2S_SCK = const(14)        # BCLK
I2S_WS = const(15)         # LRC
I2S_SD = const(32)         # DIN of the amplifier
