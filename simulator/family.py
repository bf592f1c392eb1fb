"""A household night: several simulated pods, each the unmodified firmware on its own fake board
(its own flash, RTC memory, watchdog and clock), sharing one simulated air (simulator/hw/air.py)
that can delay and lose frames, partition the pods, power a pod off, and let a hostile sender
replay captured frames, forge new ones and flood.

The pods run in lockstep slices of virtual time (STEP_MS): each pod runs up to the slice's end in
turn. A frame sent in a slice reaches a pod that has not yet run that slice at its arrival time,
else at the start of its next slice; so the relay figures measured here include up to one slice
of simulation delay on top of the firmware's own.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from host_tools import fwtables
from simulator.hw import air as airmod
from simulator.hw import simstate
from simulator.hw.sleeper import Sleeper
from simulator.night import (
    GET_UP_AFTER_MS,
    HOLD_MS,
    START_PRESS_MS,
    TAIL_MS,
    FaultSpec,
    parse_when,
    wake_offset_ms,
)
from simulator.sim import NightResult, SimPod, firmware_module

STEP_MS = 100
RELAY_BOUND_MS = 2000     # stated: a child's alarm shown on every parent's pod, healthy link
DEFAULT_PODS = "parent:parent,kid1:child,kid2:child"
KEY_HEX = "5eed" * 16     # the simulated household's key (never printed)
ROLES = ("parent", "child")
RADIO_KINDS = ("loss", "down", "hostile")
# What a host can ask on a pod's serial link (--ask): the household's two parent operations
# (pod.link.household) and the core's ack; and a person's quick taps on its button (--press).
ASKS = ("wake_all", "bedtime", "ack")
BEDTIME_MAX_MIN = 240     # pod.link.household._BEDTIME_MAX (tests/test_family_asks.py checks)
TAP_HOLD_MS = 120         # a quick tap holds the button this long
TAP_GAP_MS = 500          # from one tap to the next: inside the core's 1.5 s press count
TAPS_MAX = 10


class CountingAir(airmod.Air):
    """The air, also counting what really reached each station from a household pod since that
    pod's last boot, and keeping frames that did reach a running pod (a hostile sender replays
    them to the pod that already had them, in that boot or a later one: true replays)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.real: dict[bytes, int] = {}
        self.boots: dict[bytes, int] = {}     # the pod's boot count, kept up by Family
        self.heard: list[tuple[bytes, bytes, bytes]] = []

    def transmit(self, src, dst_mac, data, t_us):
        n = self.delivered
        ok = super().transmit(src, dst_mac, data, t_us)
        dst = bytes(dst_mac)
        if self.delivered > n:
            st = self.find(dst)
            if st is not None and st.espnow_active and not st.deaf:
                self.real[dst] = self.real.get(dst, 0) + 1
                if len(self.heard) < 400:
                    self.heard.append((bytes(src.mac), dst, bytes(data)))
        return ok


def frame_len() -> int:
    """The length of a household frame (pod/household/frame.py)."""
    return fwtables.consts("household.frame", "FRAME_LEN")["FRAME_LEN"]


def mac(i: int) -> bytes:
    return bytes((0x24, 0x0A, 0xC4, 0x5E, 0xB1, i))


@dataclass
class AskSpec:
    what: str                 # one of ASKS
    at_ms: int
    minutes: int | None = None  # bedtime's minutes (None: not given, the pod takes 0)

    def label(self) -> str:
        return self.what if self.minutes is None else "%s:%d" % (self.what, self.minutes)

    def request(self, rid: str) -> dict:
        """The JSON line a host (podctl) writes to the pod's serial port for it."""
        if self.what == "ack":
            return {"id": rid, "cmd": "ack"}
        req: dict = {"id": rid, "cmd": "household", "op": self.what}
        if self.minutes is not None:
            req["minutes"] = self.minutes
        return req


@dataclass
class PressSpec:
    taps: int                 # quick taps, TAP_GAP_MS apart, each held TAP_HOLD_MS
    at_ms: int

    def end_ms(self) -> int:
        return self.at_ms + (self.taps - 1) * TAP_GAP_MS + TAP_HOLD_MS


@dataclass
class PodSpec:
    name: str
    role: str
    program: dict | None = None
    faults: list[FaultSpec] = field(default_factory=list)
    asks: list[AskSpec] = field(default_factory=list)
    presses: list[PressSpec] = field(default_factory=list)


@dataclass
class RadioSpec:
    kind: str       # loss, down, hostile
    from_ms: int
    to_ms: int
    pct: int = 0


def parse_pods(text: str) -> list[PodSpec]:
    out: list[PodSpec] = []
    for item in text.split(","):
        name, _, role = item.partition(":")
        if not name or role not in ROLES:
            raise ValueError("--pods %r: each pod is NAME:ROLE, ROLE parent or child" % item)
        if not 0 < len(name.encode()) <= 12 or not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError("--pods %r: a name is 1..12 letters, digits, - or _" % name)
        if any(p.name == name for p in out):
            raise ValueError("--pods: %r named twice" % name)
        out.append(PodSpec(name, role))
    if not 2 <= len(out) <= 7:
        raise ValueError("--pods: a household has 2 to 7 pods")
    if not any(p.role == "parent" for p in out):
        raise ValueError("--pods: a household needs a parent")
    return out


def parse_radio(text: str, start_clock: str = "22:30") -> RadioSpec:
    """loss:PCT@FROM-TO, down@FROM-TO, hostile@FROM-TO (times as --fault's)."""
    if "@" not in text:
        raise ValueError("--radio %r: expected loss:PCT@FROM-TO, down@FROM-TO or hostile@FROM-TO"
                         % text)
    head, span = text.split("@", 1)
    kind, _, arg = head.partition(":")
    if kind not in RADIO_KINDS:
        raise ValueError("--radio %r: unknown kind %r (known: %s)" % (text, kind,
                                                                     ", ".join(RADIO_KINDS)))
    pct = 0
    if kind == "loss":
        if not arg.isdigit() or not 0 <= int(arg) <= 100:
            raise ValueError("--radio %r: loss takes a percentage 0..100 (loss:30@...)" % text)
        pct = int(arg)
    elif arg:
        raise ValueError("--radio %r: %s takes no argument" % (text, kind))
    a, sep, b = span.partition("-")
    if not sep or not a:
        raise ValueError("--radio %r: expected FROM-TO, each a clock time HH:MM or a time since "
                         "the start +HH:MM, e.g. +01:00-+09:00" % text)
    try:
        t0, t1 = parse_when(a, start_clock), parse_when(b, start_clock)
    except ValueError as e:
        raise ValueError("--radio %r: %s" % (text, e)) from None
    if t1 <= t0:
        raise ValueError("--radio %r: TO must come after FROM" % text)
    return RadioSpec(kind, t0, t1, pct)


def parse_ask(text: str, start_clock: str = "22:30") -> AskSpec:
    """wake_all@WHEN, bedtime[:MIN]@WHEN, ack@WHEN (WHEN as --fault's, see TIME_RULE)."""
    if "@" not in text:
        raise ValueError("ask %r: expected wake_all@TIME, bedtime[:MIN]@TIME or ack@TIME" % text)
    head, when = text.rsplit("@", 1)
    what, sep, arg = head.partition(":")
    if what not in ASKS:
        raise ValueError("ask %r: unknown %r (known: %s)" % (text, what, ", ".join(ASKS)))
    minutes = None
    if sep:
        if what != "bedtime":
            raise ValueError("ask %r: %s takes no argument" % (text, what))
        if not arg.isdigit() or not 0 <= int(arg) <= BEDTIME_MAX_MIN:
            raise ValueError("ask %r: bedtime's minutes are 0..%d (bedtime:30@...)"
                             % (text, BEDTIME_MAX_MIN))
        minutes = int(arg)
    try:
        at = parse_when(when, start_clock)
    except ValueError as e:
        raise ValueError("ask %r: %s" % (text, e)) from None
    return AskSpec(what, at, minutes)


def parse_press(text: str, start_clock: str = "22:30") -> PressSpec:
    """N@WHEN: N quick taps on the pod's button from WHEN (as --fault's), each TAP_GAP_MS after
    the one before (four on a parent's pod from off: wake everyone)."""
    head, sep, when = text.rpartition("@")
    if not sep or not head.isdigit() or not 1 <= int(head) <= TAPS_MAX:
        raise ValueError("press %r: expected N@TIME, N quick taps (1..%d), e.g. 4@02:00"
                         % (text, TAPS_MAX))
    try:
        at = parse_when(when, start_clock)
    except ValueError as e:
        raise ValueError("press %r: %s" % (text, e)) from None
    return PressSpec(int(head), at)


def reply_text(reply: dict | None, cmd: str) -> str | None:
    """A pod's reply to an ask, as a person reads it: "ok", "refused: <why>" (the host's words
    for the refusal's number, as podctl says them), or None when the pod never answered."""
    if reply is None:
        return None
    if reply.get("ok"):
        return "ok"
    e = reply.get("error") or {}
    if e.get("code") == "refused" and "reason" in e:
        from host_tools.refusals import words
        return "refused: " + words(e["reason"], cmd)
    return "%s: %s" % (e.get("code"), e.get("message"))


def household_settings(pods: list[PodSpec], key_hex: str = KEY_HEX) -> list[dict]:
    out = []
    for i, p in enumerate(pods):
        out.append({"role": p.role, "id": i, "name": p.name, "channel": 6, "key": key_hex,
                    "peers": [{"id": j, "name": q.name, "role": q.role, "mac": mac(j).hex(":")}
                              for j, q in enumerate(pods) if j != i]})
    return out


@dataclass
class FamilyResult:
    pods: dict[str, NightResult]
    roles: dict[str, str]
    relays: list[dict]
    radio: dict
    status: dict[str, dict]
    hostile_sent: int
    acted: dict[str, list[dict]]   # household events that changed what a pod does
    real: dict[str, int] = field(default_factory=dict)  # frames from pods since its last boot
    asks: list[dict] = field(default_factory=list)     # {pod, what, at_ms, reply}
    presses: list[dict] = field(default_factory=list)  # {pod, taps, at_ms, household}


class Family:
    def __init__(self, pods: list[PodSpec], radio: list[RadioSpec] | None = None,
                 start_clock: str = "22:30", seed: int = 1, step_ms: int = STEP_MS,
                 household: bool = True, delay_ms: int = 5, drift_s: int = 3,
                 workdir: Path | None = None, get_up: bool = True, fw_dir: Path | None = None,
                 start: bool = True):
        self.specs = pods
        self.radio = radio or []
        self.step_ms = step_ms
        self.start_clock = start_clock
        self.air = CountingAir(delay_ms=delay_ms, seed=seed)
        self.hostile = airmod.Hostile(self.air)
        self.air.capturing = False
        self.rng = random.Random(seed)
        self.pods: list[SimPod] = []
        prog_mod = firmware_module("pod.program")
        hh = household_settings(pods)
        self.end_ms = 0
        for i, spec in enumerate(pods):
            wd = None if workdir is None else Path(workdir) / spec.name
            if wd is not None:
                wd.mkdir(parents=True, exist_ok=True)
            kw = {} if fw_dir is None else {"fw_dir": fw_dir}
            pod = SimPod(workdir=wd, seed=seed + i, start_clock=start_clock,
                         sleeper=Sleeper(seed + i), **kw)
            # its own clock: set by hand, a few seconds off the others'
            b = pod.board
            b.rtc_set(b.rtc_seconds() + (i * drift_s if i % 2 else -i * drift_s))
            self.air.station(mac(i), b)
            if household:
                pod.fs.path("household.json").write_text(json.dumps(hh[i]))
            if spec.program is not None:
                pod.fs.path("program.json").write_text(json.dumps(spec.program))
            program = spec.program or prog_mod.DEFAULT
            wake = wake_offset_ms(program, start_clock)
            if start:  # the sleeper starts its night (held press), as in pod-sim night
                pod.press(START_PRESS_MS, HOLD_MS)
            if get_up:
                pod.press(wake + GET_UP_AFTER_MS, HOLD_MS)
            for f in spec.faults:
                pod.inject(f.kind, f.at_ms, f.arg)
            for k, a in enumerate(spec.asks):  # a host's line on this pod's serial port
                pod.send(a.request("ask-%d" % k), at_ms=a.at_ms)
            for pr in spec.presses:            # a person's taps on this pod's button
                for k in range(pr.taps):
                    pod.press(pr.at_ms + k * TAP_GAP_MS, TAP_HOLD_MS)
            self.end_ms = max(self.end_ms, wake + GET_UP_AFTER_MS + TAIL_MS)
            self.pods.append(pod)

    # -- the air over the night ------------------------------------------------------------------
    def _air_at(self, t: int) -> None:
        air = self.air
        air.down = any(r.kind == "down" and r.from_ms <= t < r.to_ms for r in self.radio)
        air.loss_pct = max([r.pct for r in self.radio
                            if r.kind == "loss" and r.from_ms <= t < r.to_ms] or [0])
        for pod in self.pods:  # a pod without power has no radio (its WiFi comes up at boot)
            st: airmod.Station = pod.board.radio  # type: ignore[assignment]
            k = len(pod.res.resets)
            if air.boots.get(st.mac, 0) != k:
                # a reset turns an ESP32's WiFi off: what it had received is gone, and the new
                # boot starts its radio (and its receiver's memory) afresh
                air.boots[st.mac] = k
                air.real[st.mac] = 0
                st.wlan_active = st.espnow_active = False
                st.peers = []
                st.n = 0
            off = pod.fs.dead  # a power cut: the flash (and everything) without power
            if off and st.powered:
                st.power(False)
            elif not off and not st.powered:
                st.powered = True

    def _hostile(self, t: int) -> None:
        if not any(r.kind == "hostile" and r.from_ms <= t < r.to_ms for r in self.radio):
            return
        h = self.hostile
        air = self.air
        cap = air.heard
        n = len(self.pods)
        if t % 1000 < self.step_ms and cap:  # once a second: replay two frames a pod had
            for _ in range(2):
                src, dst, data = cap[self.rng.randrange(len(cap))]
                h.sent += 1
                air.inject(src, dst, data)
        size = frame_len()
        if t % 2000 < self.step_ms:  # a forged frame: real layout, a peer's MAC, a wrong tag
            i, j = self.rng.sample(range(n), 2)
            data = bytearray(self.rng.randbytes(size))
            if cap:
                body = size - 16  # (the tag is the last 16 bytes)
                data[:body] = cap[-1][2][:body]
                data[2], data[3] = i, j
                data[8:12] = (0x3FFFFF00 + self.rng.randrange(200)).to_bytes(4, "big")
            h.forge(mac(i), mac(j), bytes(data))
        if t % 60000 < self.step_ms:  # a flood of junk from a stranger, once a minute
            h.flood(bytes((2, 0, 0, 0, 0, 0x99)), mac(self.rng.randrange(n)),
                    self.rng.randbytes(size), 20)
        if len(cap) >= 400:
            del cap[:200]

    # -- running ---------------------------------------------------------------------------------
    def run(self, end_ms: int | None = None) -> FamilyResult:
        end = self.end_ms if end_ms is None else end_ms
        t = 0
        while t < end:
            t = min(t + self.step_ms, end)
            self._air_at(t)
            self._hostile(t)
            for pod in self.pods:
                simstate.current = pod.board
                pod.advance_to(t)
        for i, pod in enumerate(self.pods):  # what each pod counted (its own status reply)
            simstate.current = pod.board
            pod.send({"id": "hh-status", "cmd": "household", "op": "status"})
            pod.advance_to(end + 300 + i)
        res = {}
        status = {}
        for spec, pod in zip(self.specs, self.pods):
            simstate.current = pod.board
            r = [m for m in pod.replies if m.get("id") == "hh-status"]
            status[spec.name] = (r[-1].get("household") or {}) if r else {}
            res[spec.name] = pod.stop()
        return self._result(res, status)

    def _result(self, res: dict[str, NightResult], status: dict[str, dict]) -> FamilyResult:
        roles = {s.name: s.role for s in self.specs}
        relays = []
        for name, r in res.items():
            for e in r.events:
                m = e.get("msg")
                if e.get("ev") != "household" or not isinstance(m, dict) or "relay" not in m:
                    continue
                for other, ro in res.items():
                    if other == name or roles[other] != "parent":
                        continue
                    shown = next((x["sim_ms"] for x in ro.events
                                  if x.get("ev") == "household" and isinstance(x.get("msg"), dict)
                                  and x["msg"].get("announce") == name
                                  and x["sim_ms"] >= e["sim_ms"]), None)
                    relays.append({"from": name, "to": other, "reason": m.get("why"),
                                   "sent_ms": e["sim_ms"], "shown_ms": shown})
        rejected = sum(sum(s.get(k, 0) for k in ("malformed", "unknown", "stale", "replayed",
                                                 "forged")) for s in status.values())
        acted = {name: [dict(x["msg"], t_ms=x["sim_ms"]) for x in r.events
                        if x.get("ev") == "household" and isinstance(x.get("msg"), dict)
                        and ({"announce", "added"} & set(x["msg"]))]
                 for name, r in res.items()}
        air = self.air
        fr = FamilyResult(res, roles, relays,
                          {"sent": air.sent, "delivered": air.delivered, "lost": air.lost,
                           "rejected": rejected}, status, self.hostile.sent, acted)
        fr.real = {s.name: air.real.get(mac(i), 0) for i, s in enumerate(self.specs)}
        for spec, pod in zip(self.specs, self.pods):
            for k, a in enumerate(spec.asks):
                rid = "ask-%d" % k
                r = next((m for m in pod.replies if m.get("id") == rid), None)
                fr.asks.append({"pod": spec.name, "what": a.label(), "at_ms": a.at_ms,
                                "reply": reply_text(r, a.what)})
            for pr in spec.presses:  # what the household made of the taps (if anything)
                hh = [e["msg"] for e in res[spec.name].events
                      if e.get("ev") == "household" and isinstance(e.get("msg"), dict)
                      and pr.at_ms <= e["sim_ms"] <= pr.end_ms() + 2 * STEP_MS]
                fr.presses.append({"pod": spec.name, "taps": pr.taps, "at_ms": pr.at_ms,
                                   "household": hh})
        fr.asks.sort(key=lambda x: x["at_ms"])
        fr.presses.sort(key=lambda x: x["at_ms"])
        return fr


def result_json(fr: FamilyResult) -> dict:
    """The stable contract of `pod-sim family --json`."""
    from simulator.night import result_json as night_json
    pods = {}
    for name, r in fr.pods.items():
        n = night_json(r)
        pods[name] = {"role": fr.roles[name], "wakes": n["wakes"], "resets": n["resets"],
                      "states": n["states"], "final_state": n["final_state"]}
    return {"pods": pods, "relays": fr.relays, "radio": fr.radio, "asks": fr.asks,
            "presses": fr.presses, "hostile": hostile_report(fr)}


def hostile_report(fr: FamilyResult) -> dict:
    """What the hostile sender sent, and how many frames the pods accepted beyond those household
    pods really delivered to them since their last boot (0: no hostile frame was taken for a
    household one, so none was acted on)."""
    extra = sum(max(0, fr.status.get(n, {}).get("accepted", 0) - fr.real.get(n, 0))
                for n in fr.pods)
    return {"sent": fr.hostile_sent, "accepted": extra}


def format_family(fr: FamilyResult) -> str:
    """A timeline per pod, then the relays and the radio."""
    from simulator.timeline import format_timeline
    out = []
    for name, r in fr.pods.items():
        out.append("== %s (%s) ==" % (name, fr.roles[name]))
        out.append(format_timeline(r))
        lines = []  # (ms, order, text): what was asked or tapped here, then what it did
        for x in fr.asks:
            if x["pod"] == name:
                lines.append((x["at_ms"], 0, "  asked @%s: %s -> %s" % (
                    _hms(r, x["at_ms"]), x["what"],
                    x["reply"] if x["reply"] is not None else "no reply")))
        for x in fr.presses:
            if x["pod"] == name:
                lines.append((x["at_ms"], 0, "  pressed @%s: %d quick tap%s" % (
                    _hms(r, x["at_ms"]), x["taps"], "" if x["taps"] == 1 else "s")))
        for e in r.events:
            if e.get("ev") == "household":
                lines.append((e["sim_ms"], 1, "  household @%s: %s" % (
                    _hms(r, e["sim_ms"]), json.dumps(e.get("msg")))))
        out.extend(text for _, _, text in sorted(lines, key=lambda x: x[:2]))
        out.append("")
    out.append("Relays (a child's alarm shown on a parent's pod; bound %.1f s):"
               % (RELAY_BOUND_MS / 1000))
    if not fr.relays:
        out.append("  none")
    for x in fr.relays:
        shown = ("shown after %.2f s" % ((x["shown_ms"] - x["sent_ms"]) / 1000)
                 if x["shown_ms"] is not None else "never shown")
        out.append("  %s -> %s (%s): %s" % (x["from"], x["to"], x["reason"], shown))
    rd = fr.radio
    out.append("Radio: %d frames sent, %d delivered, %d lost; %d rejected by the pods"
               % (rd["sent"], rd["delivered"], rd["lost"], rd["rejected"]))
    if fr.hostile_sent:
        h = hostile_report(fr)
        out.append("Hostile sender: %d frames sent (replays, forgeries, floods); taken for a "
                   "household frame by a pod: %d" % (h["sent"], h["accepted"]))
    return "\n".join(out)


def _hms(r: NightResult, t_ms: int) -> str:
    c = (r.start_clock_s + t_ms // 1000) % 86400
    return "%02d:%02d:%02d" % (c // 3600, c // 60 % 60, c % 60)


def plot_family(fr: FamilyResult, path: str, title: str = "bedtime-pod: a family night") -> None:
    """One picture: a lane per pod (its state over the night), relays marked as arrows."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    colours = {"IDLE": "#dddddd", "WIND_DOWN": "#f4a259", "SLEEP": "#2b2d42",
               "WAKE_RAMP": "#ffd166", "AWAKE": "#fff3b0", "ALARM": "#e63946",
               "BOOT": "#8d99ae", "OFF": "#000000"}
    names = list(fr.pods)
    fig, ax = plt.subplots(figsize=(11, 1.1 + 0.8 * len(names)))
    lane = {n: len(names) - 1 - i for i, n in enumerate(names)}
    for n, r in fr.pods.items():
        runs: list[list] = []  # [state, from ms, to ms]: one bar per run of one state
        for smp in r.samples:
            if runs and runs[-1][0] == smp.state:
                runs[-1][2] = smp.t_ms
            else:
                if runs:
                    runs[-1][2] = smp.t_ms
                runs.append([smp.state, smp.t_ms, smp.t_ms])
        if runs:
            runs[-1][2] = r.duration_ms
        for state, t0, t1 in runs:
            ax.broken_barh([(t0 / 3.6e6, (t1 - t0) / 3.6e6)], (lane[n] - 0.35, 0.7),
                           color=colours.get(state, "#999999"), linewidth=0)
        for e in r.events:
            m = e.get("msg")
            if e.get("ev") == "household" and isinstance(m, dict) and "silent" in m and m["silent"]:
                ax.plot(e["sim_ms"] / 3.6e6, lane[n] + 0.42, "v", color="#8d6e63", ms=5)
    for x in fr.relays:
        if x["shown_ms"] is None:
            ax.plot(x["sent_ms"] / 3.6e6, lane[x["from"]], "x", color="red", ms=9)
            continue
        ax.annotate("", xy=(x["shown_ms"] / 3.6e6, lane[x["to"]]),
                    xytext=(x["sent_ms"] / 3.6e6, lane[x["from"]]),
                    arrowprops={"arrowstyle": "->", "color": "#d00000", "lw": 1.5})
        ax.text(x["shown_ms"] / 3.6e6, lane[x["to"]] + 0.4, "%s: %s" % (x["from"], x["reason"]),
                fontsize=7, color="#d00000")
    ax.set_yticks([lane[n] for n in names])
    ax.set_yticklabels(["%s (%s)" % (n, fr.roles[n]) for n in names])
    ax.set_xlabel("hours since the start")
    ax.set_title(title)
    from matplotlib.patches import Rectangle
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    ax.legend(handles, list(colours), ncol=8, fontsize=7, loc="upper center",
              bbox_to_anchor=(0.5, -0.25), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
