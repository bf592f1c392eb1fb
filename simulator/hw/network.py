# Fake `network` for the simulated ESP32: the WLAN station interface ESP-NOW needs (active,
# channel, power saving), over air.py. It never connects to an access point.
try:
    from simulator.hw import air
except ImportError:
    import air

STA_IF = 0
AP_IF = 1


class WLAN:
    IF_STA = 0
    IF_AP = 1
    PM_NONE = 0
    PM_PERFORMANCE = 1
    PM_POWERSAVE = 2

    def __init__(self, interface_id=0):
        self._st = air.current_station()

    def active(self, flag=None):
        st = self._st
        if flag is None:
            return st.wlan_active
        if flag and not st.powered:
            raise OSError(-1, "WiFi not powered")
        if flag and st.fail_start:
            raise OSError(-1, "ESP_ERR_WIFI_INIT")
        st.wlan_active = bool(flag)
        if not flag:
            st.espnow_active = False
            st.peers = []
            st.n = 0
        return None

    def disconnect(self):
        return None

    def isconnected(self):
        return False

    def config(self, *args, **kw):
        st = self._st
        if args:
            if args[0] == "mac":
                return st.mac
            if args[0] == "channel":
                return st.channel
            if args[0] == "pm":
                return st.pm
            raise ValueError("unknown config param")
        if "channel" in kw:
            ch = kw["channel"]
            if not 1 <= ch <= 14:
                raise ValueError("invalid channel")
            st.channel = ch
        if "pm" in kw:
            st.pm = kw["pm"]
        return None
