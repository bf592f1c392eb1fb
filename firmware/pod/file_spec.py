# The pod's stored files: their names, size limits, the upload chunk and the seal format.
# A tiny module on purpose: the link's handlers load it for a request, where the store itself
# (pod.flash_store) would be too big to load beside a night.
from micropython import const

PROGRAM = "program.json"       # the program the next night runs
PREVIOUS = "program.bak"       # the one before it, if the current one fails its check
TEMP = "program.tmp"           # an upload in progress (deleted at boot unless sealed)
SETTINGS = "settings.json"
SETTINGS_TMP = "settings.tmp"
HOUSEHOLD = "household.json"  # the pod's household, if paired (main.py checks for it by name)
HOUSEHOLD_TMP = "household.tmp"  # a pairing in progress (it holds the key)
MAX_PROGRAM = const(4096)      # payload bytes of a program upload
MAX_FILE = const(4160)         # payload plus seal; anything longer is not read at all
CHUNK = const(138)             # upload bytes per chunk: 184 base64 characters, the request fits 256 bytes
# A sealed file ends in b"\n#pod1 <payload size> <payload CRC32, 8 hex digits>\n"
# (written by pod.flash_store.write_seal only):
SEAL = b"\n#pod1 "
# Where the running program came from (pod.stored_load's source number indexes this).
SOURCES = ("file", "previous", "default")
