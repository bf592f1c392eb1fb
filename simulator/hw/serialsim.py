# The simulated board's USB serial input (host -> pod): a stdin-like stream over a board's rx
# bytes and a select-like poller. MicroPython subset: tests/mpy uses these too, where the real
# `sys` and `select` are built in and the fakes are handed to the firmware directly.
try:
    from simulator.hw import simstate
except ImportError:
    import simstate

POLLIN = 1
POLLOUT = 4
POLLERR = 8
POLLHUP = 16


class Stream:
    """The board's stdin: reads take bytes from board.rx (the current board when None).

    A read never waits here: it returns what there is, up to what was asked. (On the board a
    read waits until it has all it asked for, which is why the firmware polls first.)"""

    def __init__(self, board=None):
        self.board = board
        self.buffer = self  # sys.stdin.buffer: the same bytes, unbuffered

    def _rx(self):
        b = self.board
        return (b if b is not None else simstate.current).rx

    def any(self):
        b = self.board
        return len((b if b is not None else simstate.current).rx)

    def readinto(self, buf, nbytes=-1):
        rx = self._rx()
        n = len(buf) if nbytes < 0 else min(nbytes, len(buf))
        if n > len(rx):
            n = len(rx)
        i = 0
        while i < n:
            buf[i] = rx[i]
            i += 1
        if n:
            rx[0:n] = b""
        return n

    def read(self, n=-1):
        rx = self._rx()
        if n < 0 or n > len(rx):
            n = len(rx)
        out = bytes(rx[0:n])
        rx[0:n] = b""
        return out

    def write(self, data):
        return len(data)


class Poll:
    """select.poll() for Streams. ipoll() with one registered stream allocates nothing.

    A timeout other than 0 waits in virtual time (1 ms steps) until a stream has data."""

    def __init__(self):
        self.objs = []
        self.masks = []
        self._hit = ()   # ((obj, POLLIN),): what ipoll returns when the one stream has data

    def register(self, obj, eventmask=POLLIN | POLLOUT):
        for i in range(len(self.objs)):
            if self.objs[i] is obj:
                self.masks[i] = eventmask
                return
        self.objs.append(obj)
        self.masks.append(eventmask)
        self._hit = ((obj, POLLIN),)

    def modify(self, obj, eventmask):
        for i in range(len(self.objs)):
            if self.objs[i] is obj:
                self.masks[i] = eventmask
                return
        raise OSError(2)

    def unregister(self, obj):
        for i in range(len(self.objs)):
            if self.objs[i] is obj:
                self.objs.pop(i)
                self.masks.pop(i)
                break
        self._hit = ((self.objs[0], POLLIN),) if self.objs else ()

    def _events(self):
        out = []
        for i in range(len(self.objs)):
            ev = self.masks[i] & (POLLIN | POLLOUT)
            if not self.objs[i].any():
                ev &= ~POLLIN
            if ev:
                out.append((self.objs[i], ev))
        return out

    def _wait(self, timeout):
        waited = 0
        while not self._any_in() and (timeout < 0 or waited < timeout):
            simstate.current.advance_us(1000)
            waited += 1

    def _any_in(self):
        for i in range(len(self.objs)):
            if self.masks[i] & POLLIN and self.objs[i].any():
                return True
        return False

    def poll(self, timeout=-1):
        if timeout:
            self._wait(timeout)
        return self._events()

    def ipoll(self, timeout=-1, flags=0):
        if timeout:
            self._wait(timeout)
        if len(self.objs) == 1:
            if self.masks[0] & POLLIN and self.objs[0].any():
                return self._hit
            return ()
        return self._events()
