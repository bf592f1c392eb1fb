# A pod's place in its household: heartbeats, the checked receiver, the policy, and the
# messages that must arrive (an alarm, "wake everyone", a bedtime), resent to each peer until
# that peer's application acknowledges them. The app calls tick(now_ms) once per loop and takes
# the actions with next_action(); nothing here touches the pod's own state (see policy.py).
#
# Bounds (with the defaults below): a frame is resent first after _RESEND_MIN_MS, the gap doubles
# up to _RESEND_MAX_MS, and it is resent until acknowledged (a relayed alarm never falls into a
# black hole); a frame is acted on only once it names the receiver's current boot (receiver.py),
# so after either pod restarts the link needs one round trip (a hello and its answer) before a
# message is acted on, and a message waiting for that goes again as soon as the peer's new
# boot is heard; one tick reads at most RX_PER_TICK frames and checks at most TAGS_PER_TICK tags
# (a flood cannot starve the loop or churn the heap: the rest wait in, or overflow, ESP-NOW's
# own receive buffer).
from micropython import const

from pod.household import frame, hmac256, policy, radio, receiver

HEARTBEAT_MS = const(2000)
_SILENT_MS = const(7000)      # over three heartbeats missed: the peer is shown as silent
_RESEND_MIN_MS = const(250)
_RESEND_MAX_MS = const(2000)
RX_PER_TICK = const(8)       # frames read per tick
TAGS_PER_TICK = const(2)     # of which at most this many reach the (costly) tag check
_ACTIONS = const(8)           # actions waiting for the app; more are counted as lost

# the messages resent until acknowledged, each with its own slot per peer
_RELIABLE = (frame.T_ALARM, frame.T_WAKE_ALL, frame.T_BEDTIME)
_NR = const(3)


def _diff(a, b):
    d = (a - b) & 0x3FFFFFFF  # (not a - b + 2**29: past 2**30, a long int on the ESP32)
    if d >= 0x20000000:
        d -= 0x20000000
        d -= 0x20000000
    return d


def _add(a, d):  # (0 <= d < 2**29; no sum past 2**30, a long int on the ESP32)
    return a - (0x3FFFFFFF - d) - 1 if a > 0x3FFFFFFF - d else a + d


def _kind(ftype):
    for k in range(_NR):
        if _RELIABLE[k] == ftype:
            return k
    return -1


class Node:
    def __init__(self, hh, epoch, boot, rad, now_ms):
        # (the settings object is not kept: only what the ticks need, so pod.household.settings
        # can be forgotten after boot)
        mac = hmac256.Hmac(hh.take_key())
        self.role = hh.role
        self.name = hh.name
        self.names = [p.name for p in hh.peers]  # per slot (the peers' order)
        self.epoch = epoch
        self.seq = 0
        self.radio = rad
        self.enc = frame.Encoder(mac, hh.id, boot)
        self.rx = receiver.Receiver(mac, hh.id, boot)
        for p in hh.peers:
            self.rx.add_peer(p.id, p.mac, p.role)
        n = receiver.MAX_PEERS * _NR
        self.pending = bytearray(n)      # [kind * MAX_PEERS + slot]: 1 while unacknowledged
        self.p_next = [0] * n
        self.p_gap = [0] * n
        # the message of each kind, the same for every peer it goes to (a kind always goes to
        # the same peers: an alarm to the parents, the others to all); its subject and name
        # are this pod's own
        self.p_ref = [0] * _NR
        self.p_reason = bytearray(_NR)
        self.p_arg = [0] * _NR
        self.ref = 0                      # numbers this pod's reliable messages
        self.seen_ref = [-1] * n          # the last ref acted on, per sender and kind
        self.seen_epoch = [-1] * receiver.MAX_PEERS
        self.act = bytearray(_ACTIONS)     # a ring of (action, reason, subject slot)
        self.act_reason = bytearray(_ACTIONS)
        self.act_from = bytearray(_ACTIONS)
        self.act_arg = [0] * _ACTIONS
        self.act_head = 0
        self.act_n = 0
        self.act_lost = 0
        self.waking = False               # set by the app: the pod is in a wake or alarm
        self.reason = 0                   # of the action next_action() returned last
        self.about = 0
        self.arg = 0
        for i in range(self.rx.n):        # supervision counts silence from the start
            self.rx.heard_ms[i] = now_ms
        self._hb_at = now_ms
        rad.start(now_ms)

    # -- sending ----------------------------------------------------------------------------
    def _send(self, slot, ftype, reason, subject, arg, ref, name, now_ms):
        if self.seq >= frame.LIMIT:
            return False  # 2**30 frames in one boot (decades of heartbeats): silent, not a crash
        self.seq += 1
        rx = self.rx
        buf = self.enc.encode(ftype, rx.ids[slot], self.epoch, self.seq, reason, subject, arg,
                              ref, name, rx.peer_boot(slot))
        return self.radio.send(rx.macs[slot], buf, now_ms)

    def _queue(self, ftype, reason, arg, to_parents, now_ms):
        # numbers the receivers accept (a frame out of range would be dropped as malformed)
        self.ref = self.ref + 1 if self.ref < frame.LIMIT else 1
        if reason < 0 or reason > frame.MAX_REASON:
            reason = 0
        k = _kind(ftype)
        self.p_ref[k] = self.ref
        self.p_reason[k] = reason
        self.p_arg[k] = arg & 0xFFFF
        rx = self.rx
        for i in range(rx.n):
            if to_parents and rx.roles[i] != policy.ROLE_PARENT:
                continue
            j = k * receiver.MAX_PEERS + i
            self.pending[j] = 1
            self.p_next[j] = now_ms
            self.p_gap[j] = _RESEND_MIN_MS

    def raise_alarm(self, reason, now_ms):
        """This pod cannot wake its sleeper (an ALARM, or an unanswered wake): tell every
        parent's pod, until each acknowledges."""
        self._queue(frame.T_ALARM, reason, 0, True, now_ms)

    def wake_everyone(self, now_ms):
        """A parent asked on this pod: add a wake on every pod of the household."""
        self._queue(frame.T_WAKE_ALL, 0, 0, False, now_ms)

    def bedtime(self, wind_down_min, now_ms):
        """Start the children's wind-downs together."""
        self._queue(frame.T_BEDTIME, 0, wind_down_min, False, now_ms)

    def _again(self, slot, now_ms):
        for k in range(_NR):
            j = k * receiver.MAX_PEERS + slot
            if self.pending[j]:
                self.p_next[j] = now_ms
                self.p_gap[j] = _RESEND_MIN_MS

    def _resend(self, now_ms):
        rx = self.rx
        for j in range(receiver.MAX_PEERS * _NR):
            if not self.pending[j] or _diff(now_ms, self.p_next[j]) < 0:
                continue
            k = j // receiver.MAX_PEERS
            self._send(j % receiver.MAX_PEERS, _RELIABLE[k], self.p_reason[k], rx.my_id,
                       self.p_arg[k], self.p_ref[k], self.name, now_ms)
            g = self.p_gap[j]
            self.p_next[j] = _add(now_ms, g)
            self.p_gap[j] = g * 2 if g * 2 < _RESEND_MAX_MS else _RESEND_MAX_MS
        if rx.n and _diff(now_ms, self._hb_at) >= 0:
            self._hb_at = _add(now_ms, HEARTBEAT_MS)
            for i in range(rx.n):
                self._send(i, frame.T_HEARTBEAT, 0, rx.my_id, 0, 0, b"", now_ms)

    # -- receiving --------------------------------------------------------------------------
    def _push(self, action, reason, slot, arg):
        if self.act_n >= _ACTIONS:
            self.act_lost += 1
            return
        i = (self.act_head + self.act_n) % _ACTIONS
        self.act[i] = action
        self.act_reason[i] = reason
        self.act_from[i] = slot
        self.act_arg[i] = arg
        self.act_n += 1

    def next_action(self):
        """The oldest action the household asks of this pod (policy.A_*), or A_NONE. Its reason
        is in self.reason, the slot of the pod it is about in self.about, arg in self.arg."""
        if not self.act_n:
            return policy.A_NONE
        i = self.act_head
        self.act_head = (i + 1) % _ACTIONS
        self.act_n -= 1
        self.reason = self.act_reason[i]
        self.about = self.act_from[i]
        self.arg = self.act_arg[i]
        return self.act[i]

    def _on_frame(self, now_ms):
        rx = self.rx
        f = rx.frame
        i = rx.slot
        if self.seen_epoch[i] != f.epoch:  # the sender restarted: its refs start again
            self.seen_epoch[i] = f.epoch
            for k in range(_NR):
                self.seen_ref[k * receiver.MAX_PEERS + i] = -1
        t = f.ftype
        if t == frame.T_ACK:
            k = _kind(f.arg)
            if k >= 0:
                j = k * receiver.MAX_PEERS + i
                if self.pending[j] and self.p_ref[k] == f.ref:
                    self.pending[j] = 0
            return
        k = _kind(t)
        if k < 0:
            return  # a heartbeat: the receiver noted the time
        # acknowledge every copy (an ack can be lost too), act on the first
        self._send(i, frame.T_ACK, 0, f.subject, t, f.ref, b"", now_ms)
        j = k * receiver.MAX_PEERS + i
        if self.seen_ref[j] == f.ref:
            return
        self.seen_ref[j] = f.ref
        a = policy.decide(self.role, rx.roles[i], t, self.waking)
        if a != policy.A_NONE:
            self._push(a, f.reason, i, f.arg)

    def tick(self, now_ms):
        rad = self.radio
        rad.tick(now_ms)
        if rad.state != radio.S_UP:
            return
        rx = self.rx
        tags = rx.tag_checks + TAGS_PER_TICK
        for _ in range(RX_PER_TICK):
            if rx.tag_checks >= tags:
                break
            r = rad.poll(now_ms)
            if r is None:
                break
            ok = rx.accept(r[0], r[1], now_ms)
            if rx.news >= 0:  # a peer's new boot: what it has not acknowledged goes again now,
                self._again(rx.news, now_ms)  # naming that boot (earlier copies named none)
                rx.news = -1
            if ok:
                self._on_frame(now_ms)
            elif rx.ask >= 0:  # authentic, but it does not know this boot yet: tell it
                self._send(rx.ask, frame.T_HEARTBEAT, 0, rx.my_id, 0, 0, b"", now_ms)
                rx.ask = -1
        self._resend(now_ms)

    # -- supervision ------------------------------------------------------------------------
    def silent(self, slot, now_ms):
        """True if nothing was heard from the peer in slot for over _SILENT_MS (since its last
        frame, or since this node started): a quiet indication on a parent's pod, which never
        wakes anyone."""
        return _diff(now_ms, self.rx.heard_ms[slot]) > _SILENT_MS

    def unacked(self):
        n = 0
        for j in range(receiver.MAX_PEERS * _NR):
            n += self.pending[j]
        return n
