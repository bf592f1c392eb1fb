"""Helpers for the household tests: the firmware's household modules loaded once, the way the
simulator loads firmware (one Sandbox, so the modules share their classes), and a few pods on a
simulated Air, each with its own fake board."""

from __future__ import annotations

import itertools
import tempfile
import types
from pathlib import Path
from typing import Any

from simulator import FIRMWARE_DIR
from simulator.family import CountingAir
from simulator.hw import simstate
from simulator.hw.flash import FlashFS
from simulator.sandbox import Sandbox

KEY_HEX = "00112233445566778899aabbccddeeff" * 2
KEY = bytes.fromhex(KEY_HEX)
BOOT_IDS = itertools.count(7001)  # each node made gets its own boot id (firmware: random)
MODULES = ("hmac256", "frame", "receiver", "policy", "settings", "radio", "node")


def load(fw_dir: Path = FIRMWARE_DIR) -> types.SimpleNamespace:
    board = simstate.current or simstate.Board()
    simstate.current = board
    sb = Sandbox(fw_dir, board, FlashFS(Path(tempfile.gettempdir()) / "pod-sim-scratch"))
    saved = board.us
    ns = types.SimpleNamespace()
    for m in MODULES:
        setattr(ns, m, sb._load("pod.household." + m))
    ns.link = sb._load("pod.link.household")  # the status a pod shows (node_status)
    ns.hook = sb._load("pod.household.hook")   # the household in the pod's loop
    board.us = saved
    return ns


def mac(i: int) -> bytes:
    return bytes((0x24, 0x6F, 0x28, 0, 0, i))


def household(pods: list[tuple[str, str]], key_hex: str = KEY_HEX) -> list[dict[str, Any]]:
    """Household settings for each of pods [(name, role)], ids 0.., MACs mac(id)."""
    out = []
    for i, (name, role) in enumerate(pods):
        peers = [{"id": j, "name": n, "role": r, "mac": mac(j).hex(":")}
                 for j, (n, r) in enumerate(pods) if j != i]
        out.append({"role": role, "id": i, "name": name, "channel": 6, "key": key_hex,
                    "peers": peers})
    return out


class Family:
    """Nodes for pods [(name, role)] on one Air; each pod has its own board (clock)."""

    def __init__(self, hh, pods, delay_ms=5, loss_pct=0, epochs=None, t0_ms=1000):
        self.hh = hh
        self.pods = pods
        self.epochs = list(epochs) if epochs else [1] * len(pods)
        # (air.real: the frames household pods really delivered to each pod since its boot)
        self.air = CountingAir(delay_ms=delay_ms, loss_pct=loss_pct)
        self.boards = []
        self.nodes = []
        self.t_ms = t0_ms
        for i, s in enumerate(household(pods)):
            b = simstate.Board()
            b.us = t0_ms * 1000
            self.air.station(mac(i), b)
            simstate.current = b
            h = hh.settings.Household(s)
            rad = hh.radio.Radio(h.channel, [p.mac for p in h.peers])
            ep = self.epochs[i]
            self.boards.append(b)
            self.nodes.append(hh.node.Node(h, ep, next(BOOT_IDS), rad, t0_ms))

    def power_off(self, i):
        self.boards[i].radio.power(False)

    def power_on(self, i):
        """The pod boots again: a new node, the next boot epoch (as from flash)."""
        b = self.boards[i]
        b.radio.power(True)
        self.air.real[mac(i)] = 0
        simstate.current = b
        h = self.hh.settings.Household(household(self.pods)[i])
        self.epochs[i] += 1
        rad = self.hh.radio.Radio(h.channel, [p.mac for p in h.peers])
        self.nodes[i] = self.hh.node.Node(h, self.epochs[i], next(BOOT_IDS), rad,
                                          self.t_ms & 0x3FFFFFFF)

    def step(self, ms=10):
        self.t_ms += ms
        for b, n in zip(self.boards, self.nodes, strict=True):
            b.us = self.t_ms * 1000
            simstate.current = b
            if b.radio.powered:
                n.tick(self.t_ms & 0x3FFFFFFF)

    def run(self, ms, step=10):
        for _ in range(ms // step):
            self.step(step)

    def actions(self, i):
        n = self.nodes[i]
        out = []
        while True:
            a = n.next_action()
            if a == 0:
                return out
            out.append((a, n.reason, n.about))
