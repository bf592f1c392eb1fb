"""Helpers for the storage tests: the host end of a simulated pod's serial link, uploads, the
journal read back over the link, and sealed files as the firmware writes them."""
from __future__ import annotations

import base64
import binascii
import json

from host_tools import journal as hj
from simulator.sim import SimPod

CHUNK = 96


class Host:
    """Sends one request at a time and runs the pod until its reply arrives."""

    def __init__(self, pod: SimPod):
        self.pod = pod
        self.n = 1000

    def call(self, timeout_ms: int = 5000, **req) -> dict:
        self.n += 1
        rid = self.n
        self.pod.send({"id": rid, **req})
        for _ in range(timeout_ms // 100):
            self.pod.advance(100)
            for r in self.pod.replies:
                if r["id"] == rid:
                    return r
        raise AssertionError("no reply to %r" % req)

    def info(self) -> dict:
        r = self.call(cmd="program", op="info")
        assert r["ok"], r
        return r

    def read_program(self) -> bytes:
        size = self.info()["size"]
        out = b""
        while len(out) < size:
            r = self.call(cmd="program", op="read", off=len(out), n=CHUNK)
            assert r["ok"] and r["off"] == len(out), r
            data = base64.b64decode(r["data"])
            assert data, r
            out += data
        return out

    def upload(self, data: bytes, crc: int | None = None) -> dict:
        """begin, every chunk, commit: the commit's reply (or the first failing reply)."""
        r = self.call(cmd="program", op="begin", size=len(data),
                      crc=binascii.crc32(data) if crc is None else crc)
        if not r["ok"]:
            return r
        for off in range(0, len(data), CHUNK):
            r = self.call(cmd="program", op="chunk", off=off,
                          data=base64.b64encode(data[off:off + CHUNK]).decode())
            if not r["ok"]:
                return r
            assert r["next"] == min(off + CHUNK, len(data)), r
        return self.call(cmd="program", op="commit")

    def journal_files(self) -> list[tuple[str, bytes]]:
        r = self.call(cmd="logs", op="list")
        assert r["ok"], r
        out = []
        for f in r["files"]:
            data = b""
            while len(data) < f["size"]:
                rr = self.call(cmd="logs", op="read", name=f["name"], off=len(data), n=CHUNK)
                assert rr["ok"], rr
                data += base64.b64decode(rr["data"])
            out.append((f["name"], data))
        return out


def program_bytes(name: str, after_min: int = 480, **extra) -> bytes:
    prog = {"version": 1, "name": name, "wake": {"after_min": after_min}}
    prog.update(extra)
    return json.dumps(prog).encode()


def sealed(payload: bytes) -> bytes:
    """A file as pod.flash_store writes it: the payload, then its size and CRC32."""
    return payload + b"\n#pod1 %d %08x\n" % (len(payload), binascii.crc32(payload))


def flash_journal(pod: SimPod) -> list[tuple[str, bytes]]:
    """The journal files straight off the simulated flash, oldest first."""
    return [(p.name, p.read_bytes()) for p in sorted(pod.fs.root.glob("jr*.bin"))]


def flash_records(pod: SimPod) -> tuple[list[dict], list[str]]:
    return hj.decode_files(flash_journal(pod))


def storage_events(pod: SimPod) -> list[str]:
    return [e["msg"] for e in pod.res.events if e.get("ev") == "storage"]
