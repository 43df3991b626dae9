"""Trusted launcher run as the first program inside the grader's sandbox (harness/sandbox/sandbox.ts).

It enters the workspace, starts the kit's relays, then execs the student's command, so the student's
program is the sandbox's main process (its exit is the sandbox's exit) and the relays die with the
sandbox's PID namespace.

With an isolated network namespace nothing on the host can reach a port inside, and nothing inside can
reach the host; the relays are the only ways through, each on a Unix socket in a folder the grader
binds in:

  --expose SOCKET=PORT   the grader connects to SOCKET; each connection is forwarded to 127.0.0.1:PORT
                         inside. The first byte sent back is 1 once the server accepted the forwarded
                         connection, 0 when it refused: a readiness probe that goes through the relay.
                         After a 1 come two bytes (big-endian): the port the forwarded connection comes
                         from inside, the client port the server sees and prints, so the grader can
                         tell which of the server's lines belong to which of its connections.
  --connect PORT=SOCKET  code inside dials 127.0.0.1:PORT; each connection is forwarded to SOCKET, where
                         the grader listens and forwards on (e.g. to the reference server).

One single-threaded process serves every relay: threads would count against the student's process
limit (RLIMIT_NPROC is per user), and a student who exhausts it must not also break the relay mid-case.
Half-closes are forwarded as half-closes and resets as resets, because the conformance cases check both.

  --started-fd FD        right before the student's command is exec'd, one byte is written to FD and FD
                         is closed (in the relay too), so no student code ever holds it. The kit reads it:
                         a sandbox that ended without that byte never ran student code (bwrap itself, or
                         this launcher, failed), which is the kit's failure, never the student's crash.
                         Student code cannot take the byte back, so it cannot pass its own crash off as
                         the kit's.
"""

import errno
import os
import selectors
import socket
import struct
import sys

CHUNK = 65536
HIGH_WATER = 256 * 1024
READY, REFUSED = b"\x01", b"\x00"


class Pair:
    """Two sockets glued together; `status` is sent ahead of any data (expose relays only)."""

    def __init__(self, relay, near, far, status):
        self.relay = relay
        self.near = near  # the accepted side
        self.far = far  # the side we dial (non-blocking connect in progress)
        self.status = status
        self.connected = False
        # buffers: bytes waiting to be written to that socket
        self.out = {near: bytearray(), far: bytearray()}
        self.eof_from = set()  # sockets that sent EOF
        self.shut = set()  # sockets we shut for writing
        self.closed = False

    def other(self, sock):
        return self.far if sock is self.near else self.near

    def interest(self, sock):
        ev = 0
        if not self.connected:
            return selectors.EVENT_WRITE if sock is self.far else 0
        if sock not in self.eof_from and len(self.out[self.other(sock)]) < HIGH_WATER:
            ev |= selectors.EVENT_READ
        if self.out[sock]:
            ev |= selectors.EVENT_WRITE
        return ev

    def update(self):
        if self.closed:
            return
        for sock in (self.near, self.far):
            self.relay.watch(sock, self.interest(sock), self)

    def on_event(self, sock, mask):
        if self.closed:
            return
        if not self.connected:
            err = self.far.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                if self.status:
                    try:
                        self.near.send(REFUSED)
                    except OSError:
                        pass
                return self.close()
            self.connected = True
            if self.status:
                try:
                    seen_as = self.far.getsockname()[1]
                except OSError:
                    seen_as = 0  # 0: not known; the grader then cannot attribute the server's lines
                self.out[self.near] += READY + struct.pack("!H", seen_as)
            return self.update()
        try:
            if mask & selectors.EVENT_READ:
                data = sock.recv(CHUNK)
                if data:
                    self.out[self.other(sock)] += data
                else:
                    self.eof_from.add(sock)
            if mask & selectors.EVENT_WRITE and self.out[sock]:
                sent = sock.send(self.out[sock])
                del self.out[sock][:sent]
        except (ConnectionResetError, BrokenPipeError):
            return self.close(reset=True)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EINTR):
                return self.update()
            return self.close(reset=True)
        for src in list(self.eof_from):
            dst = self.other(src)
            if dst not in self.shut and not self.out[dst]:
                self.shut.add(dst)
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        if len(self.shut) == 2:
            return self.close()
        self.update()

    def close(self, reset=False):
        if self.closed:
            return
        self.closed = True
        for sock in (self.near, self.far):
            self.relay.forget(sock)
            if reset and sock.family == socket.AF_INET:
                # SO_LINGER 0: the TCP peer sees a reset, as it would without the relay in between.
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            sock.close()


class Relay:
    def __init__(self):
        self.sel = selectors.DefaultSelector()

    def watch(self, sock, events, owner):
        key = self.sel.get_map().get(sock)
        if events == 0:
            if key:
                self.sel.unregister(sock)
        elif key:
            self.sel.modify(sock, events, owner)
        else:
            self.sel.register(sock, events, owner)

    def forget(self, sock):
        if self.sel.get_map().get(sock):
            self.sel.unregister(sock)

    def listen(self, listener, dial, status):
        listener.setblocking(False)
        self.sel.register(listener, selectors.EVENT_READ, ("listener", dial, status))

    def accept(self, listener, dial, status):
        try:
            near, _ = listener.accept()
        except OSError:
            return
        near.setblocking(False)
        family, address = dial
        far = socket.socket(family, socket.SOCK_STREAM)
        far.setblocking(False)
        err = far.connect_ex(address)
        pair = Pair(self, near, far, status)
        if err not in (0, errno.EINPROGRESS, errno.EAGAIN):
            if status:
                try:
                    near.send(REFUSED)
                except OSError:
                    pass
            return pair.close()
        pair.update()

    def run(self):
        while True:
            for key, mask in self.sel.select():
                if isinstance(key.data, tuple) and key.data[0] == "listener":
                    self.accept(key.fileobj, key.data[1], key.data[2])
                else:
                    key.data.on_event(key.fileobj, mask)


def main(argv):
    sep = argv.index("--")
    opts, command = argv[:sep], argv[sep + 1 :]
    workdir, relays = None, []
    # Before any socket is made: one made while the fd is not open would take its number.
    started_fd = inherited_fd(opts)
    i = 0
    while i < len(opts):
        flag, value = opts[i], opts[i + 1]
        i += 2
        if flag == "--chdir":
            workdir = value
        elif flag == "--started-fd":
            pass  # read above
        elif flag == "--expose":
            path, port = value.rsplit("=", 1)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
            listener.listen(128)
            relays.append((listener, (socket.AF_INET, ("127.0.0.1", int(port))), True))
        elif flag == "--connect":
            port, path = value.split("=", 1)
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", int(port)))
            listener.listen(128)
            relays.append((listener, (socket.AF_UNIX, path), False))
        else:
            sys.exit("sandbox_launcher: unknown option " + flag)
    if workdir:
        os.chdir(workdir)
    if relays and os.fork() == 0:
        try:
            close_quietly(started_fd)
            os.setsid()  # a signal the student sends to its own process group spares the relay
            relay = Relay()
            for listener, dial, status in relays:
                relay.listen(listener, dial, status)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):  # the student's last stderr line is its crash reason: keep the relay out of it
                os.dup2(devnull, fd)
            relay.run()
        finally:
            os._exit(0)
    for listener, _, _ in relays:
        listener.close()
    if started_fd is not None:
        try:
            os.write(started_fd, b"\x01")
        except OSError:
            pass  # the kit stopped listening: it no longer asks
        close_quietly(started_fd)
    os.execv(command[0], command)


def inherited_fd(opts):
    """The --started-fd number when that fd is open (the kit gave it), else None: a caller that did not
    ask for the signal leaves it closed, and nothing may then be written to whatever takes its number."""
    for flag, value in zip(opts[::2], opts[1::2]):
        if flag == "--started-fd":
            try:
                os.fstat(int(value))
                return int(value)
            except OSError:
                return None
    return None


def close_quietly(fd):
    if fd is None:
        return
    try:
        os.close(fd)
    except OSError:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
