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

LONG_PRESS_MS = const(2000)  # holding the button this long: start, switch off, acknowledge
LOOP_MS = const(100)       # super-loop period

# The fail-safe's policy numbers. Each has one home: the watchdog timeout here (boot.py cannot
# import before it arms the watchdog: it writes it out, and a test pins it here); the others
# where they are used, the only place each is used (a public name in this resident module
# costs heap: three more resized its table, 350 bytes on the unix port):
#   boot-loop limit      pod/boot_verdict.py BOOT_LOOP_LIMIT
#   stable time          pod/app.py _STABLE_MS
#   maintenance timeout  main.py MAINTENANCE_MS
#   wake-up check look   pod/wakecheck.py LOOK_MS (how long it looks for a sleeper)
WDT_TIMEOUT_MS = const(5000)    # the hardware watchdog: a loop that stops feeding it resets

# Optional I2S speaker for real music-quality sound (an I2S amplifier such as a MAX98357A).
# Off by default: the PWM buzzer plays everything. When on, the speaker plays the night's
# sounds and the buzzer still sounds the fail-safe alarm (and always does in boot/crash paths).
I2S_ENABLED = const(0)
I2S_ID = const(0)
I2S_SCK = const(14)        # BCLK
I2S_WS = const(15)         # LRC
I2S_SD = const(32)         # DIN of the amplifier
