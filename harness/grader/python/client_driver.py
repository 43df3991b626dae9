#!/usr/bin/env python3
"""InstaNet client driver: grades the CLIENT half of a student's socket_utils.py, as client.py uses it.

The students' socket_utils.py is also their client's socket layer. This driver is the judge: it plays
the course client's flows, calling the student's functions in exactly the order and with exactly the
arguments the course's client.py does (../shared/protocol-notes.md, "The socket_utils.py contract"),
and it judges only what the contract promises and what the course client would suffer:
- the login is client.py's own raw send and single recv(4096), on the student's socket;
- an image post or image DM is send_json_message_with_image(sock, request, image), whose result is
  ignored (the contract declares None), then receive_json_message(sock) for the final reply;
- receive_json_message may report a closed connection by returning None or raising RuntimeError.

The student's code never runs in this process. student_runner.py imports it (inside the grader's
sandbox) and performs each call on request over a pipe; the student's client talks to the server
through a recording proxy that lives here, so every verdict rests on the bytes that crossed the wire
(CLNT-1 ready before image, CLNT-2 the image bytes) and on replies this process saw, never on
anything the student's process says about itself. The image framing is the student's own (in the
course app only their receive_image reads what their send_image writes), so the proxy hands the
image bytes to the student's own receive_image (in the runner) and passes the image it returns on
to the reference server in the reference's framing; a sender and receiver that disagree fail.

Usage: python3 client_driver.py --submission DIR --host H --port P [--timeout S] [--deadline S]
                                [--image FILE] [--runner-argv JSON] [--proxy-ports P1,P2,...]
Prints exactly one JSON document on stdout: {"checks": [...], "import_error": null | "..."}.
Each failed check names the student function at fault ("blame"). The exit status is 0 whenever that
document was written (failing checks included); 2 only for bad arguments.

Python 3.9+ standard library only; never hangs: the flows run side by side (each its own thread,
connection and users), each with its own deadline, and the whole run has a hard one.

Every deadline is in the hand-in's own time, not the wall clock's: the grader watches the student's
processes and this one (harness/process/own-time.ts, the kit's one rule for it) and writes
`own OWN AT` lines on stdin (harness/process/run-bounded.ts ownTimeLine): at monotonic second AT the
own time stood at OWN, on the monotonic clock's scale (the time the machine, not the hand-in, spent
is left out: runnable but not scheduled, or waiting on the kit). own_now() runs on from OWN, counted
from AT, never from when the line arrived; without a grader feeding it (run by hand) it is the
monotonic clock.
"""
import argparse
import base64
import datetime
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time

HOLD_READY_SECONDS = 0.15  # own time the proxy holds "ready" back to see whether the client waits for it
# The final reply is held back while send_json_message_with_image has not returned, so the
# acknowledgement arrives alone, as on a warmed-up course server; a function that waits for the
# final reply itself gets it after this much own time (and client.py's own read then finds nothing).
FINAL_HOLD_SECONDS = 1.0
RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'student_runner.py')
# How long the runner's socket calls may block by the wall clock: only a net under the judge's own
# deadlines (which interrupt a stalled call in own time), so far beyond them that load never reaches it.
RUNNER_SOCKET_SAFETY_FACTOR = 20
# Interrupting a stalled call at this share of its own-time budget leaves time for the student's
# traceback (where it stalled) to come back before the budget is spent.
INTERRUPT_AT = 0.9

# The ten functions of the starter's socket_utils.py; blame always names one of them.
CONTRACT = ('find_available_port', 'is_port_available', 'create_server_socket', 'create_client_socket',
            'send_json_message', 'receive_json_message', 'send_image', 'receive_image',
            'send_json_message_with_image', 'receive_json_message_with_image')

WAIT_FOR_READY = ('In send_json_message_with_image, call receive_json_message and check for '
                  '{"status": "ready"} before send_image.')
SWALLOWED = ('the final reply was already consumed inside send_json_message_with_image; client.py reads it '
             'itself with receive_json_message right after the call')
SWALLOWED_HINT = ('send_json_message_with_image must stop after the {"status": "success"} acknowledgement and '
                  'return None: the course client calls receive_json_message itself for the final reply.')

# (id, task, title, requirements, the function a failure is charged to by default, hint)
CHECKS = [
    ('client.0.1', 0, 'is_port_available tells a free port from a bound one', ['CONN-1'], 'is_port_available',
     'is_port_available(port, host) must try to bind (host, port): True (and close the socket) on success, '
     'False on OSError.'),
    ('client.0.2', 0, 'find_available_port returns the first free port of the range', ['CONN-1'], 'find_available_port',
     'find_available_port(host, start_port, max_port) must return the first port in the range for which '
     'is_port_available is True, and raise RuntimeError when there is none.'),
    ('client.0.3', 0, 'create_server_socket returns a listening socket and its port', ['CONN-1'], 'create_server_socket',
     'create_server_socket(host, port) must bind with SO_REUSEADDR, listen, and return (socket, port): '
     'server.py unpacks both.'),
    ('client.2.1', 2, 'create_client_socket connects to the server', ['CLNT-3'], 'create_client_socket',
     'create_client_socket(host, port) must create a TCP socket, connect it to (host, port) and return it.'),
    ('client.2.2', 2, 'log in as client.py does, then a request through send_json_message / receive_json_message',
     ['AUTH-1', 'FRAME-7', 'CLNT-3'], 'send_json_message',
     'send_json_message must send json.dumps(message) (sendall); receive_json_message must return the parsed reply.'),
    ('client.4.1', 4, 'a get_messages reply longer than 4096 bytes is received whole', ['CLNT-3', 'FRAME-4'],
     'receive_json_message',
     'receive_json_message must keep calling recv and appending bytes until the whole buffer decodes and parses; '
     'one recv(4096) is not enough for long replies.'),
    ('client.4.2', 4, 'Arabic and emoji text DM round trip', ['DM-3', 'FRAME-8', 'CLNT-3'], 'receive_json_message',
     'Decode the whole buffer as UTF-8 only once it is complete; never decode chunk by chunk or with errors="ignore".'),
    ('client.5.1', 5, 'upload_post with a small image, as client.py does it', ['CLNT-1', 'CLNT-2', 'IMG-1', 'IMG-4', 'POST-1'],
     'send_json_message_with_image',
     'send_json_message_with_image must send the request, wait for {"status": "ready"}, send the image with '
     'send_image (in a framing your receive_image reads back) and read the {"status": "success"} '
     'acknowledgement; client.py then reads the final reply itself.'),
    ('client.5.2', 5, 'upload_post with a 2 MiB photo, as client.py does it', ['CLNT-1', 'CLNT-2', 'IMG-3', 'POST-1'],
     'send_image', 'Send the whole image with sendall (send may write only part of it).'),
    ('client.6.1', 6, 'image DM with a small image, as client.py does it', ['CLNT-1', 'CLNT-2', 'DM-5'],
     'send_json_message_with_image',
     'For an image DM client.py sends {"action": "send_message", ..., "is_image": true} through '
     'send_json_message_with_image, then reads the final reply with receive_json_message.'),
    ('client.6.2', 6, 'image DM with a 2 MiB photo, as client.py does it', ['CLNT-1', 'CLNT-2', 'IMG-3', 'DM-5'],
     'send_image', 'Send the whole image with sendall (send may write only part of it).'),
    ('client.7.1', 7, 'the acknowledgement and the final reply arriving in one read are both handled',
     ['CLNT-4'], 'receive_json_message',
     'Parse one JSON value at a time (json.JSONDecoder().raw_decode) and keep the bytes after it for the next '
     'call, so two replies in one read are both seen.'),
]
CHECK_IDS = [c[0] for c in CHECKS]
# Server cases that already charge the same defect of the same function (the server half runs the
# same socket_utils.py): when one of them failed, the grader does not charge the client check again.
ASSUMES = {'client.4.1': ['4.3.1']}


# The last word from the grader: (own time then, monotonic time it was measured); None when not fed.
_own = [None]
# Between two words from the grader, own time runs on with the monotonic clock, but never further
# than this: a grader too starved to speak (the kit's reference server and relays live in it) stops
# the judge's clock rather than letting the machine's time count against the hand-in.
OWN_TIME_RUNS_AHEAD = 0.3
# How the feed went, for the run's stderr: lines read, and the longest a line took to arrive.
_feed = {'lines': 0, 'latest_ms': 0.0}


def own_now():
    """The hand-in's own time (see the module's doc); the monotonic clock when no grader feeds it."""
    now = time.monotonic()
    last = _own[0]
    if last is None:
        return now - _machine_after_close[0]
    own_then, measured = last
    return own_then + min(max(0.0, now - measured), OWN_TIME_RUNS_AHEAD)


def follow_own_time(stream):
    """Reads `own OWN AT` lines from the grader; once it closes the pipe, the monotonic clock less
    the last machine's share runs on (the grader's own wall-clock cap still bounds the run)."""
    _own[0] = (time.monotonic(), time.monotonic())

    def read():
        machine = 0.0
        for line in stream:
            parts = line.split()
            if len(parts) != 3 or parts[0] != b'own':
                continue
            try:
                own, measured = float(parts[1]), float(parts[2])
            except ValueError:
                continue
            # Measured at AT, read now: the time the line sat in the pipe is not the hand-in's.
            _own[0] = (own, measured)
            machine = max(machine, measured - own)
            _feed['lines'] += 1
            _feed['latest_ms'] = max(_feed['latest_ms'], (time.monotonic() - measured) * 1000)
        _own[0] = None
        _machine_after_close[0] = machine
    threading.Thread(target=read, daemon=True).start()


_machine_after_close = [0.0]


def own_confirmed():
    """The hand-in's own time as far as the grader has confirmed it (no running ahead)."""
    last = _own[0]
    return own_now() if last is None else last[0]


def hold_own(seconds, until=None):
    """Holds for `seconds` of the hand-in's own time, confirmed by the grader, or until the event
    `until` is set (returns whether it was). The judge's holds are verdicts: how long a client is given
    to misbehave (send before ready) or to return (before the final reply): a starved client must get
    its time, so the wall clock, and the run-ahead own_now allows, never end one."""
    target = own_now() + seconds
    while own_confirmed() < target:
        if until is None:
            time.sleep(0.02)
        elif until.wait(0.02):
            return True
    return until is not None and until.is_set()


def wait_own(wait, own_deadline, step=0.1):
    """Calls wait(seconds) in short steps until it returns True or own_deadline (own time) passes;
    own_deadline may be a function, for a deadline that moves on (a flow's, by its held-back time)."""
    while True:
        remaining = (own_deadline() if callable(own_deadline) else own_deadline) - own_now()
        if remaining <= 0:
            return False
        if wait(min(remaining, step)):
            return True


class CheckFailed(Exception):
    def __init__(self, detail, hint=None, blame=None, timed_out=False, kit_error=False):
        super().__init__(detail)
        self.detail = detail
        self.hint = hint
        self.blame = blame
        # Ran out of time rather than got a wrong answer: a loaded machine can do that to honest code,
        # so the grader judges such a check again before it costs a point.
        self.timed_out = timed_out
        # The judge's own side failed (its set-up against the kit's server): never the student's points.
        self.kit_error = kit_error


class StudentError(Exception):
    """A student function raised (or timed out inside the runner): the runner's description."""

    def __init__(self, function, error):
        super().__init__(error.get('message', ''))
        self.function = function
        self.error = error

    def blame(self):
        inner = [f for f in self.error.get('frames', []) if f in CONTRACT]
        return inner[-1] if inner else self.function

    def timed_out(self):
        return bool(self.error.get('timeout'))

    def describe(self):
        where = f' ({self.error["where"]})' if self.error.get('where') else ''
        if self.error.get('timeout'):
            return f'{self.function} timed out waiting for the server{where}'
        return f'{self.function} raised {self.error.get("type")}: {self.error.get("message")}{where}'


class Hung(Exception):
    """The runner gave no answer in time: the student's function is still running."""


def short(value, limit=300):
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[:limit] + f'... ({len(text)} characters)'


def preview(data, limit=80):
    shown = data[:limit]
    try:
        text = repr(shown.decode('utf-8'))
    except UnicodeDecodeError:
        text = shown.hex(' ')
    return text + (f'... ({len(data)} bytes)' if len(data) > limit else '')


def jpeg_like(size, seed):
    """Deterministic JPEG-framed bytes (SOI, JFIF, pseudo-random body, EOI) of exactly `size` bytes."""
    head = b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00'
    body = random.Random(seed).randbytes(size - len(head) - 2)
    return head + body + b'\xff\xd9'


# ---------------------------------------------------------------------------------------------
# The student's process: student_runner.py, spoken to over its stdin / stdout.

class StudentProcess:
    def __init__(self, argv):
        # The grader's sandbox launcher writes one byte on --started-fd right before it runs the runner
        # (harness/sandbox/python/sandbox_launcher.py): a pipe of ours goes there, so a runner that
        # ended without that byte never ran (the sandbox failed: the kit's failure, not the student's).
        argv, self.started, passed = list(argv), None, ()
        if '--started-fd' in argv:
            at = argv.index('--started-fd') + 1
            self.started, write_end = os.pipe()
            argv[at], passed = str(write_end), (write_end,)
        # In the driver's own process group, so the grader's kill of that group ends both.
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr,
                                     pass_fds=passed)
        for fd in passed:
            os.close(fd)
        self.lock = threading.Lock()
        self.next_id = 1
        self.waiting = {}
        self.answers = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                answer = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # whatever else reaches this pipe is not an answer
            with self.lock:
                pending = self.waiting.get(answer.get('id')) if isinstance(answer, dict) else None
                if pending is not None and answer.get('nonce') == pending[1] and answer['id'] not in self.answers:
                    self.answers[answer['id']] = answer
                    pending[0].set()

    def request(self, op, wait, interrupt=None, extended=None, **fields):
        """Sends a request and waits `wait` seconds of own time for its answer. With `interrupt` (the
        socket handles the call uses), a call still running near the end is interrupted in the runner,
        so its traceback says where it stalled. `extended()`: seconds added to the wait since it began
        (the kit's own holds past their length, Flow.held_back)."""
        extended = extended or (lambda: 0.0)
        with self.lock:
            request_id = self.next_id
            self.next_id += 1
            event = threading.Event()
            # Anything in the student's process can write into the answer pipe; only the runner was
            # given this request's nonce, so a forged answer never matches.
            nonce = base64.b64encode(os.urandom(18)).decode('ascii')
            self.waiting[request_id] = (event, nonce)
        try:
            line = json.dumps({'id': request_id, 'nonce': nonce, 'op': op, **fields})
            self.proc.stdin.write((line + '\n').encode('utf-8'))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise Hung(f'the student process has exited ({self.proc.poll()})')
        asked = own_now()
        if interrupt is not None and not wait_own(event.wait, lambda: asked + wait * INTERRUPT_AT + extended()):
            self._send({'id': 0, 'op': 'interrupt', 'call': request_id, 'sockets': interrupt})
        if not wait_own(event.wait, lambda: asked + wait + extended()):
            raise Hung(f'no answer within {wait:.1f} s')
        with self.lock:
            return self.answers.pop(request_id)

    def _send(self, message):
        try:
            self.proc.stdin.write((json.dumps(message) + '\n').encode('utf-8'))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def never_ran(self, wait=2.0):
        """True when the runner has exited and its sandbox never started it (no byte on --started-fd).
        Asked once the runner is gone, when every holder of the pipe is too; bounded all the same."""
        if self.started is None:
            return False
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            return False
        ready, _, _ = select.select([self.started], [], [], wait)
        return bool(ready) and os.read(self.started, 1) == b''

    def stop(self):
        try:
            self.proc.stdin.write(b'{"op": "exit"}\n')
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            pass
        try:
            self.proc.kill()
        except OSError:
            pass


def encode_arg(value):
    if isinstance(value, StudentSocket):
        return {'$socket': value.handle}
    if isinstance(value, (bytes, bytearray)):
        return {'$b64': base64.b64encode(bytes(value)).decode('ascii')}
    return value


class StudentSocket:
    def __init__(self, handle):
        self.handle = handle


# ---------------------------------------------------------------------------------------------
# Recording proxy between the student's client and the server.

class Exchange:
    """How the proxy delivers one image exchange's replies: `ready` held briefly (does the client
    wait?), then the acknowledgement alone and the final reply once the function has returned
    ('apart'), or the acknowledgement and the final reply in one write ('together')."""

    def __init__(self, mode, image, c2s_start, s2c_start, framing=None):
        self.mode = mode
        self.image = image  # what the client was given to send: the wire is compared with it
        # The student's own framing (Framing below): how many bytes their send_image writes for this
        # image, and their receive_image to read them back; the proxy keeps the image bytes from the
        # server until then, and sends the server the image in the reference framing.
        self.framing = framing
        self.wire = bytearray()  # the client's bytes after ready, held back
        self.read_back = None  # what the student's receive_image returned for them
        self.problem = None  # a CheckFailed when their receive_image could not read them back
        self.c2s_start = c2s_start
        self.s2c_start = s2c_start
        self.c2s_at_ready = None  # client bytes seen when "ready" was forwarded
        self.returned = threading.Event()  # the student's function has returned (or raised)
        self.final_sent_before_return = False
        self.held = b''  # 'together': the acknowledgement, kept until the final reply arrives
        self.buffer = b''
        self.replies = 0

    def framing_done(self):
        return self.read_back is not None or self.problem is not None


class Connection:
    def __init__(self):
        self.lock = threading.Lock()  # c2s and the exchange's ready mark move together
        self.c2s = bytearray()
        self.s2c = bytearray()
        self.exchange = None


def proxy_listener(port=0):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(('127.0.0.1', port))
        listener.listen(8)
    except OSError:
        listener.close()
        raise
    listener.settimeout(None)
    return listener


class PortTaken(Exception):
    """A port the grader chose for a relayed proxy was taken before the judge could bind it: the
    kit's fault, never the student's, so the grader runs the client half again on other ports."""


def bind_proxy_listeners(ports):
    # Bound up front, before any student code runs, so no other process can take a relayed port
    # between the grader choosing it and a flow needing it, and a clash costs no check.
    listeners = []
    for port in ports:
        try:
            listeners.append(proxy_listener(port))
        except OSError as error:
            for listener in listeners:
                listener.close()
            raise PortTaken(f'port {port}: {error.strerror or error}') from error
    return listeners


class RecordingProxy:
    def __init__(self, target_host, target_port, listener=None):
        self.target = (target_host, target_port)
        self.connections = []
        self.sockets = []
        self.lock = threading.Lock()
        self.listener = listener if listener is not None else proxy_listener()
        self.port = self.listener.getsockname()[1]
        self.closed = False
        # Own time this proxy's holds took past their length: the grader's word on own time comes in
        # steps (a second or more apart on a busy machine, for a big process tree), so a 0.15 s hold
        # can last a whole step. That time the kit held a reply back; the flow gets it back.
        self.held_back = 0.0
        threading.Thread(target=self._accept, daemon=True).start()

    def last(self):
        with self.lock:
            return self.connections[-1] if self.connections else None

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            record = Connection()
            with self.lock:
                self.connections.append(record)
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump_up, args=(client, upstream, record), daemon=True).start()
            threading.Thread(target=self._pump_down, args=(upstream, client, record), daemon=True).start()

    def _pump_up(self, source, sink, record):
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                with record.lock:
                    start = len(record.c2s)
                    record.c2s += chunk
                    exchange = record.exchange
                    held = (exchange is not None and exchange.framing is not None
                            and exchange.c2s_at_ready is not None and not exchange.framing_done())
                    cut = max(0, exchange.c2s_at_ready - start) if held else len(chunk)
                if cut:
                    sink.sendall(chunk[:cut])
                if cut < len(chunk):
                    self._image_bytes(exchange, chunk[cut:], source, sink)
        except OSError:
            pass
        shut(sink)

    def _image_bytes(self, exchange, data, source, sink):
        """The client's bytes after ready: held until their send_image's length, then read back with
        their own receive_image, as server.py reads them; the server gets the image it returned."""
        if exchange.framing_done():
            sink.sendall(data)
            return
        exchange.wire += data
        need = exchange.framing.length
        if len(exchange.wire) < need:
            return
        frame, rest = bytes(exchange.wire[:need]), bytes(exchange.wire[need:])
        exchange.read_back, exchange.problem = exchange.framing.read_back(frame, exchange.image)
        if exchange.problem is not None:
            # What server.py would suffer; the client's function then fails at once, not by a timeout.
            try:
                source.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        sink.sendall(struct.pack('!Q', len(exchange.read_back)) + exchange.read_back + rest)

    def _pump_down(self, source, sink, record):
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                record.s2c += chunk
                exchange = record.exchange
                if exchange is None:
                    sink.sendall(chunk)
                else:
                    self._deliver(exchange, chunk, sink, record)
        except OSError:
            pass
        shut(sink)

    def _deliver(self, exchange, chunk, sink, record):
        """Forwards the replies of an image exchange one JSON object at a time, as its mode says."""
        exchange.buffer += chunk
        while exchange.replies < 3:
            size = first_json_length(exchange.buffer)
            if size is None:
                return
            reply, exchange.buffer = exchange.buffer[:size], exchange.buffer[size:]
            exchange.replies += 1
            if exchange.replies == 1:
                self._hold(HOLD_READY_SECONDS)
                with record.lock:
                    exchange.c2s_at_ready = len(record.c2s)
                sink.sendall(reply)
                if b'ready' not in reply:
                    break  # an error instead of ready: nothing more to stage
            elif exchange.replies == 2:
                if exchange.mode == 'together':
                    exchange.held = reply
                else:
                    sink.sendall(reply)
            else:
                if exchange.mode == 'together':
                    sink.sendall(exchange.held + reply)
                else:
                    exchange.final_sent_before_return = not self._hold(FINAL_HOLD_SECONDS, until=exchange.returned)
                    sink.sendall(reply)
        record.exchange = None
        rest, exchange.buffer = exchange.buffer, b''
        if rest:
            sink.sendall(rest)

    def _hold(self, seconds, until=None):
        """hold_own, and what it took past `seconds` recorded as held back (see held_back)."""
        started = own_now()
        ended_by_until = hold_own(seconds, until)
        with self.lock:
            self.held_back += max(0.0, own_now() - started - seconds)
        return ended_by_until

    def close(self):
        self.closed = True
        with self.lock:
            sockets = list(self.sockets)
        for s in [self.listener] + sockets:
            try:
                s.close()
            except OSError:
                pass


def shut(sock):
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def first_json_length(data):
    """Byte length of the first JSON value in `data` plus the whitespace after it, or None."""
    try:
        text = data.decode('utf-8', errors='surrogateescape')
    except Exception:
        return None
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    try:
        _, end = json.JSONDecoder().raw_decode(stripped)
    except json.JSONDecodeError:
        return None
    consumed = text[:lead + end]
    rest = text[lead + end:]
    trailing = len(rest) - len(rest.lstrip(' \t\r\n'))
    return len((consumed + rest[:trailing]).encode('utf-8', errors='surrogateescape'))


def check_image_bytes(c2s, c2s_at_ready, image, exchange=None):
    """Checks what the client sent after its image request (CLNT-1, CLNT-2); raises CheckFailed.
    The image bytes are judged by the student's own pair: all the bytes their send_image writes must
    come after ready, and their receive_image must read the image back from them exactly."""
    json_len = first_json_length(c2s)
    if json_len is None:
        raise CheckFailed(f'the client did not send a complete JSON request before its image '
                          f'(it sent {len(c2s)} bytes: {preview(c2s)})', blame='send_json_message')
    if c2s_at_ready is None:
        if len(c2s) > json_len:
            raise CheckFailed(f'the client sent {len(c2s) - json_len} bytes after the request although the server '
                              f'had not said {{"status": "ready"}} (CLNT-1): the image must wait for ready',
                              WAIT_FOR_READY, 'send_json_message_with_image')
        # No ready yet may only mean a loaded machine: judged again before it costs a point.
        raise CheckFailed('the server never answered the image request (no {"status": "ready"})',
                          blame='send_json_message', timed_out=True)
    early = c2s_at_ready - json_len
    if early > 0:
        raise CheckFailed(f'the client sent {early} bytes after the request before the server said '
                          f'{{"status": "ready"}} (CLNT-1): the image must wait for ready',
                          WAIT_FOR_READY, 'send_json_message_with_image')
    if exchange is None or exchange.framing is None:
        return
    if exchange.problem is not None:
        raise exchange.problem
    body = c2s[json_len:]
    framing = exchange.framing
    if len(body) < framing.length:
        raise CheckFailed(f'after ready the client sent only {len(body)} of the {framing.length} bytes '
                          f'{framing.writer} for this {len(image)}-byte image (CLNT-2)',
                          'Send the whole image with sendall (send may write only part of it).', 'send_image')
    if not exchange.framing_done():
        raise CheckFailed(f'your receive_image had not yet read back the image from the {framing.length} bytes '
                          f'{framing.writer} (CLNT-2)', blame='send_image', timed_out=True)
    if exchange.read_back != image:
        raise CheckFailed(f'the image read back from the {framing.length} bytes sent after ready differs from '
                          f'the image given (CLNT-2)', blame='send_image')


class Framing:
    """The student's own image framing, for one image: what their send_image writes for it (asked of
    the runner over a socket pair, never assumed), and their receive_image to read bytes back."""

    # How long the student's receive_image may wait in one recv once every byte was handed to it: it
    # then waits for bytes its own send_image never writes (a pair that disagrees), not for the machine.
    # Shorter than a check's own timeout, so a disagreeing pair is named as such, not as a timeout;
    # a receive_image that has bytes waiting never waits a whole gap, however slowly it reads.
    GAP_SECONDS = 1.5

    def __init__(self, student, length, writer):
        self.student = student
        self.length = length
        self.writer = writer

    def read_back(self, frame, image):
        """(image, None) when their receive_image returns bytes for `frame`, else (None, CheckFailed)."""
        try:
            answer = self.student.request('decode_image', self.GAP_SECONDS * 4, gap=self.GAP_SECONDS,
                                          wire=base64.b64encode(frame).decode('ascii'))
        except Hung as hung:
            return None, CheckFailed(f'receive_image did not read back the {len(frame)} bytes {self.writer} '
                                     f'for a {len(image)}-byte image ({hung}) (CLNT-2)',
                                     DISAGREE_HINT, 'send_image')
        if not answer.get('ok'):
            error = answer.get('error') or {}
            return None, CheckFailed(f'your receive_image, given the {len(frame)} bytes {self.writer} for a '
                                     f'{len(image)}-byte image, raised {error.get("type")}: '
                                     f'{short(error.get("message"), 160)}: the course\'s server.py reads '
                                     f'the image with it, so the image is lost (CLNT-2)', DISAGREE_HINT, 'send_image')
        value = answer.get('value')
        data = base64.b64decode(value['$b64']) if isinstance(value, dict) and '$b64' in value else None
        if data != image:
            got = f'{len(data)} bytes that differ from it' if data is not None else short(value)
            return None, CheckFailed(f'your receive_image read back {got} from the {len(frame)} bytes '
                                     f'{self.writer} for a {len(image)}-byte image (CLNT-2)', DISAGREE_HINT, 'send_image')
        return data, None


DISAGREE_HINT = ('send_image and receive_image must agree on the framing (any byte order or encoding works when '
                 'both sides use the same one): the course\'s server.py reads with your receive_image what your '
                 'client sends with your send_image.')


# ---------------------------------------------------------------------------------------------
# The driver's own framing, for set-up and verification (never to grade the student).

def raw_send(sock, message):
    sock.sendall(json.dumps(message).encode('utf-8'))


def raw_receive(sock, deadline):
    buffer = b''
    decoder = json.JSONDecoder()
    while True:
        if buffer.rstrip().endswith(b'}'):
            try:
                value, _ = decoder.raw_decode(buffer.decode('utf-8').lstrip())
                return value
            except (UnicodeDecodeError, json.JSONDecodeError):
                pass
        remaining = deadline - own_now()
        if remaining <= 0:
            raise CheckFailed('the kit\'s server did not reply in time (driver set-up)', timed_out=True, kit_error=True)
        sock.settimeout(min(remaining, 0.2))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            raise CheckFailed('the kit\'s server closed the connection during the driver\'s set-up', kit_error=True)
        buffer += chunk


def raw_request(host, port, deadline, login, *requests):
    """Opens a connection, logs in as `login` (strict servers require it) and returns the replies."""
    # The kit's own reference server on loopback: a connect that waits is the machine's, so it is
    # given the wall clock's safety net, not the flow's own-time budget.
    sock = socket.create_connection((host, port), timeout=max(5.0, deadline - own_now()))
    try:
        raw_send(sock, {'action': 'login', 'username': login, 'password': '123'})
        reply = raw_receive(sock, deadline)
        if reply.get('message') != 'Login successful':
            raise CheckFailed(f'the driver could not log in as {login}: {short(reply)}', kit_error=True)
        replies = []
        for request in requests:
            raw_send(sock, request)
            replies.append(raw_receive(sock, deadline))
        return replies
    finally:
        sock.close()


class Flow:
    """One check's flow: its own proxy, sockets and deadline; the student's calls go to the runner."""

    def __init__(self, driver, check_id, timeout):
        self.d = driver
        self.id = check_id
        self.ends = own_now() + timeout
        self.proxy = None
        self.sockets = []
        self.exchange = None
        self.notes = []

    def held_back(self):
        """Own time the kit held replies of this flow back past its holds' length (RecordingProxy)."""
        return self.proxy.held_back if self.proxy is not None else 0.0

    def extended_since_now(self):
        """For a wait starting now: how much the flow's deadline has moved on since (held_back)."""
        base = self.held_back()
        return lambda: self.held_back() - base

    def remaining(self):
        return max(0.0, self.ends + self.held_back() - own_now())

    def call(self, name, *args):
        """Calls the student's function `name` in the runner; returns its (encoded) result."""
        handles = sorted({s.handle for s in self.sockets} | {a.handle for a in args if isinstance(a, StudentSocket)})
        answer = self.d.student.request('call', self.remaining(), interrupt=handles, extended=self.extended_since_now(), fn=name,
                                        args=[encode_arg(a) for a in args])
        if not answer.get('ok'):
            raise StudentError(name, answer.get('error') or {})
        return answer.get('value')

    def checked(self, name, *args):
        try:
            return self.call(name, *args)
        except StudentError as error:
            raise CheckFailed(error.describe(), blame=error.blame(), timed_out=error.timed_out())

    def start_proxy(self):
        self.proxy = RecordingProxy(self.d.host, self.d.port, self.d.next_proxy_listener())
        return self.proxy

    def client_socket(self):
        """The student's create_client_socket through the proxy, as client.py connects; a socket the
        runner opens itself when it fails, so the other functions are still graded on their own."""
        proxy = self.proxy or self.start_proxy()
        try:
            value = self.call('create_client_socket', '127.0.0.1', proxy.port)
            if isinstance(value, dict) and '$socket' in value and value.get('connected'):
                sock = StudentSocket(value['$socket'])
                self.sockets.append(sock)
                return sock
        except StudentError:
            pass
        self.notes.append('connected by the driver because create_client_socket failed')
        answer = self.d.student.request('connect', self.remaining(), host='127.0.0.1', port=proxy.port)
        if not answer.get('ok'):
            raise CheckFailed(f'the driver could not connect: {answer.get("error")}')
        sock = StudentSocket(answer['socket'])
        self.sockets.append(sock)
        return sock

    def course_login(self, sock, user):
        """client.py's login: a raw send and one recv(4096) on the student's socket (no socket_utils)."""
        answer = self.d.student.request('course_login', self.remaining(), interrupt=[sock.handle], extended=self.extended_since_now(),
                                        socket=sock.handle, username=user,
                                        password='123')
        if not answer.get('ok'):
            error = answer.get('error') or {}
            raise CheckFailed(f'client.py\'s own login on the socket from create_client_socket failed: '
                              f'{error.get("type")}: {error.get("message")}', blame='create_client_socket')
        reply = answer.get('value')
        if not isinstance(reply, dict) or reply.get('message') != 'Login successful':
            raise CheckFailed(f'login as {user} got {short(reply)}, expected Login successful',
                              blame='create_client_socket')

    def receive(self, sock, what):
        """receive_json_message, judged by the contract: the reply as a dict."""
        before = len(self.proxy.last().c2s) if self.proxy and self.proxy.last() else 0
        reply = self.checked('receive_json_message', sock)
        if reply is None:
            if before == 0:
                raise CheckFailed(f'receive_json_message returned None while waiting for {what}; the server '
                                  f'had received 0 bytes, so send_json_message sent nothing', blame='send_json_message')
            raise CheckFailed(f'receive_json_message returned None while waiting for {what} '
                              f'(the server had not closed the connection)', blame='receive_json_message')
        if not isinstance(reply, dict) or any(k.startswith('$') for k in reply):
            raise CheckFailed(f'receive_json_message returned {short(reply)}, expected the reply as a dict',
                              blame='receive_json_message')
        return reply

    def request(self, sock, message, what):
        self.checked('send_json_message', sock, message)
        return self.receive(sock, what)

    def close(self):
        for sock in self.sockets:
            try:
                self.d.student.request('close', 2.0, socket=sock.handle)
            except Hung:
                pass
        if self.proxy is not None:
            self.proxy.close()

    # -- why a flow stalled, from the wire ---------------------------------------------------
    def exchange_bytes(self):
        record = self.proxy.last() if self.proxy else None
        if record is None or self.exchange is None:
            return None
        ex = self.exchange
        at_ready = None if ex.c2s_at_ready is None else ex.c2s_at_ready - ex.c2s_start
        return bytes(record.c2s[ex.c2s_start:]), at_ready, bytes(record.s2c[ex.s2c_start:])

    def explain_stall(self):
        """A CheckFailed that says why an image flow stalled, when the bytes on the wire tell."""
        seen = self.exchange_bytes()
        if seen is None:
            return None
        c2s, at_ready, s2c = seen
        try:
            check_image_bytes(c2s, at_ready, self.exchange.image, self.exchange)
        except CheckFailed as problem:
            return problem
        if self.exchange.final_sent_before_return:
            return CheckFailed(SWALLOWED, SWALLOWED_HINT, 'send_json_message_with_image')
        return None


class Driver:
    def __init__(self, args, student):
        self.host = args.host
        self.port = args.port
        self.student = student
        self.small = args.image_bytes
        self.large = jpeg_like(2 * 1024 * 1024, 356)
        self.nonce = f'{os.getpid()}-{int(time.time() * 1000) % 100000000}'
        self.base_time = datetime.datetime.now().replace(microsecond=0)
        # Listeners on the ports the grader relays into an isolated sandbox: each proxy takes the next.
        self.proxy_listeners = list(args.proxy_listeners)
        self.ports_lock = threading.Lock()
        self.framings = {}
        self.framings_lock = threading.Lock()

    def next_proxy_listener(self):
        with self.ports_lock:
            return self.proxy_listeners.pop(0) if self.proxy_listeners else None

    def occupy(self, flow):
        """A port bound and listening in the student's own network namespace."""
        answer = self.student.request('occupy', flow.remaining())
        if not answer.get('ok'):
            raise CheckFailed(f'the driver could not bind a port: {answer.get("error")}')
        flow.sockets.append(StudentSocket(answer['socket']))
        return answer['port']

    def free_port(self, flow):
        answer = self.student.request('free_port', flow.remaining())
        if not answer.get('ok'):
            raise CheckFailed(f'the driver could not find a free port: {answer.get("error")}')
        return answer['port']

    def stamp(self, offset):
        return self.base_time + datetime.timedelta(seconds=offset)

    # -- server start-up helpers (ungraded: the course starts server.py with --port) -----------
    def check_is_port_available(self, flow):
        taken = self.occupy(flow)
        free = self.free_port(flow)
        answers = (flow.checked('is_port_available', free, '127.0.0.1'),
                   flow.checked('is_port_available', taken, '127.0.0.1'))
        if answers != (True, False):
            raise CheckFailed(f'is_port_available gave {answers[0]!r} for a free port and {answers[1]!r} for a '
                              f'bound one; expected True and False')
        return 'True for a free port, False for a bound one'

    def check_find_available_port(self, flow):
        taken = self.occupy(flow)
        last = min(taken + 40, 65535)
        found = flow.checked('find_available_port', '127.0.0.1', taken, last)
        if not isinstance(found, int) or isinstance(found, bool) or not taken < found <= last:
            raise CheckFailed(f'find_available_port(host, {taken}, {last}) returned {short(found)} while port '
                              f'{taken} was bound; expected a later port of the range')
        return f'skipped the bound port {taken} and returned {found}'

    def check_create_server_socket(self, flow):
        port = self.free_port(flow)
        value = flow.checked('create_server_socket', '127.0.0.1', port)
        items = value.get('$tuple') if isinstance(value, dict) else None
        if not items or len(items) != 2:
            raise CheckFailed(f'create_server_socket returned {short(value)}; server.py unpacks '
                              f'"self.server_socket, self.port = create_server_socket(host, port)", so it must '
                              f'return (socket, port)')
        sock, returned_port = items
        if not isinstance(sock, dict) or '$socket' not in sock or returned_port != port:
            raise CheckFailed(f'create_server_socket returned ({short(sock)}, {short(returned_port)}); expected '
                              f'(a socket, {port})')
        flow.sockets.append(StudentSocket(sock['$socket']))
        answer = flow.d.student.request('connect', flow.remaining(), host='127.0.0.1', port=port)
        if not answer.get('ok'):
            raise CheckFailed(f'nothing listens on port {port} after create_server_socket: '
                              f'{(answer.get("error") or {}).get("message")}')
        flow.sockets.append(StudentSocket(answer['socket']))
        return f'returned (socket, {port}) and the socket accepts connections'

    # -- the course client's flows --------------------------------------------------------------
    def check_connect(self, flow):
        proxy = flow.start_proxy()
        value = flow.checked('create_client_socket', '127.0.0.1', proxy.port)
        if value is None:
            raise CheckFailed('create_client_socket returned None (is its body still `pass`?)')
        if not isinstance(value, dict) or '$socket' not in value:
            raise CheckFailed(f'create_client_socket returned {short(value)}, expected a socket')
        flow.sockets.append(StudentSocket(value['$socket']))
        if not value.get('connected'):
            raise CheckFailed('create_client_socket returned a socket that is not connected')
        return 'connected'

    def check_login(self, flow):
        sock = flow.client_socket()
        flow.course_login(sock, 'user1')
        # client.py polls get_user_data for friend requests through socket_utils once logged in.
        reply = flow.request(sock, {'action': 'get_user_data', 'username': 'user1'}, 'the get_user_data reply')
        if reply.get('status') != 'success' or not isinstance(reply.get('user_data'), dict):
            raise CheckFailed(f'get_user_data got {short(reply)}, expected the user\'s data',
                              blame='receive_json_message')
        return 'Login successful; get_user_data answered'

    def check_long_reply(self, flow):
        sender, receiver = 'user3', 'user4'
        # Two DMs of about 4.5 KB each as the server escapes them: the reply passes 4096 bytes while
        # staying small, since the conversation grows with every run against the same server.
        texts = [f'long reply {self.nonce} #{i}: ' + ('سلام عليكم 😀 ' * 60) for i in range(2)]
        raw_request(self.host, self.port, own_now() + flow.remaining(), sender, *[
            {'action': 'send_message', 'sender': sender, 'receiver': receiver, 'message': text,
             'timestamp': self.stamp(i).isoformat(), 'is_image': False} for i, text in enumerate(texts)])
        sock = flow.client_socket()
        flow.course_login(sock, sender)
        reply = flow.request(sock, {'action': 'get_messages', 'user1': sender, 'user2': receiver},
                             'the get_messages reply')
        size = len(flow.proxy.last().s2c) if flow.proxy.last() else 0
        got = [m.get('message') for m in reply.get('messages', []) if isinstance(m, dict)]
        mine = [t for t in got if isinstance(t, str) and self.nonce in t]
        if mine != texts:
            raise CheckFailed(f'the get_messages reply ({size} bytes on the wire) did not hold the 2 long '
                              f'messages exactly: {len(mine)} found' +
                              ('' if not mine else f'; first differs: {short(mine[0], 120)}'),
                              blame='receive_json_message')
        return f'a {size}-byte reply was received whole'

    def check_unicode_dm(self, flow):
        sender, receiver = 'user6', 'user1'
        text = f'مرحبا بالعالم 👋🏽 InstaNet ✓ {self.nonce} ' + 'شكرا 🙏 ' * 40
        sock = flow.client_socket()
        flow.course_login(sock, sender)
        timestamp = self.stamp(20).isoformat()
        reply = flow.request(sock, {'action': 'send_message', 'sender': sender, 'receiver': receiver,
                                    'message': text, 'timestamp': timestamp, 'is_image': False},
                             'the send_message reply')
        if reply.get('status') != 'success':
            raise CheckFailed(f'send_message got {short(reply)}, expected Message sent', blame='send_json_message')
        reply = flow.request(sock, {'action': 'get_messages', 'user1': sender, 'user2': receiver},
                             'the get_messages reply')
        # Told apart by this run's nonce: the conversation may hold other runs' messages.
        got = [m.get('message') for m in reply.get('messages', []) if isinstance(m, dict)
               and m.get('timestamp') == timestamp and self.nonce in str(m.get('message'))]
        if got != [text]:
            raise CheckFailed(f'the text read back differs from the text sent: sent {short(text, 80)}, '
                              f'read {short(got[0] if got else None, 80)}', blame='send_json_message'
                              if not got else 'receive_json_message')
        return f'{len(text)} characters ({len(text.encode("utf-8"))} UTF-8 bytes) round-tripped exactly'

    def image_flow(self, flow, image, request, user, expected_message, mode='apart'):
        """client.py's image flow: send_json_message_with_image, then receive_json_message itself."""
        sock = flow.client_socket()
        flow.course_login(sock, user)
        framing = self.framing_of(flow, image)
        record = flow.proxy.last()
        flow.exchange = Exchange(mode, image, len(record.c2s), len(record.s2c), framing)
        record.exchange = flow.exchange
        try:
            # client.py ignores the result: the contract declares None.
            flow.call('send_json_message_with_image', sock, request, image)
        except StudentError as error:
            flow.exchange.returned.set()
            problem = flow.explain_stall()
            if problem is not None:
                raise CheckFailed(f'{problem.detail}; then {error.describe()}', problem.hint, problem.blame,
                                  timed_out=error.timed_out())
            raise CheckFailed(error.describe(), blame=error.blame(), timed_out=error.timed_out())
        flow.exchange.returned.set()
        c2s, at_ready, _ = flow.exchange_bytes()
        check_image_bytes(c2s, at_ready, image, flow.exchange)
        try:
            final = flow.receive(sock, 'the final reply (client.py reads it right after send_json_message_with_image)')
        except CheckFailed as failure:
            if flow.exchange.final_sent_before_return:
                raise CheckFailed(f'{SWALLOWED} ({failure.detail})', SWALLOWED_HINT, 'send_json_message_with_image')
            raise
        if final == {'status': 'success'}:
            raise CheckFailed('receive_json_message after send_json_message_with_image returned the image '
                              'acknowledgement {"status": "success"}: send_json_message_with_image must read it',
                              'After send_image, read the {"status": "success"} acknowledgement inside '
                              'send_json_message_with_image; client.py then reads the final reply.',
                              'send_json_message_with_image')
        if final.get('status') != 'success' or final.get('message') != expected_message:
            raise CheckFailed(f'the final reply was {short(final)}, expected {expected_message}',
                              blame='send_json_message_with_image')
        return final

    def framing_of(self, flow, image):
        """How many bytes the student's own send_image writes for `image` (asked once per image). A
        send_image that fails here fails in the flow too, and is judged there; meanwhile the bytes
        expected are the reference's (8 + the image)."""
        key = id(image)
        with self.framings_lock:
            if key in self.framings:
                return self.framings[key]
        try:
            answer = self.student.request('encode_image', max(1.0, flow.remaining()), gap=Framing.GAP_SECONDS,
                                          image=base64.b64encode(image).decode('ascii'))
        except Hung:
            answer = {}
        value = answer.get('value') if answer.get('ok') else None
        if isinstance(value, dict) and '$b64' in value:
            framing = Framing(self.student, len(base64.b64decode(value['$b64'])), 'your send_image writes')
        else:
            framing = Framing(self.student, 8 + len(image), 'an 8-byte length and the image make (your send_image '
                                                            'could not be asked on its own)')
        with self.framings_lock:
            self.framings[key] = framing
        return framing

    def check_post(self, flow, label, image, offset, mode='apart'):
        caption = f'driver {label} post {self.nonce}'
        timestamp = self.stamp(offset).strftime('%Y-%m-%d %H:%M:%S')
        request = {'action': 'upload_post', 'username': 'user1', 'caption': caption, 'timestamp': timestamp}
        self.image_flow(flow, image, request, 'user1', 'Post uploaded successfully', mode)
        return f'{len(image)} bytes sent after ready and read back exactly by receive_image; Post uploaded successfully'

    def check_image_dm(self, flow, image, offset, sender, receiver):
        timestamp = self.stamp(offset).isoformat()
        request = {'action': 'send_message', 'sender': sender, 'receiver': receiver, 'message': 'Image',
                   'timestamp': timestamp, 'is_image': True}
        self.image_flow(flow, image, request, sender, 'Message sent')
        messages = raw_request(self.host, self.port, own_now() + max(1.0, flow.remaining()), sender,
                               {'action': 'get_messages', 'user1': sender, 'user2': receiver})[0]
        stored = [m for m in messages.get('messages', []) if isinstance(m, dict)
                  and m.get('timestamp') == timestamp and m.get('is_image') is True]
        if not stored:
            raise CheckFailed('the server answered Message sent, but get_messages has no image message '
                              f'with timestamp {timestamp}', blame='send_json_message_with_image')
        return f'{len(image)} bytes sent after ready and read back exactly by receive_image; stored as an image DM'

    def flows(self):
        # Flows run side by side, each with its own users or conversation on the server; user1's posts
        # are told apart by caption and timestamp and never read back.
        return {
            'client.0.1': self.check_is_port_available,
            'client.0.2': self.check_find_available_port,
            'client.0.3': self.check_create_server_socket,
            'client.2.1': self.check_connect,
            'client.2.2': self.check_login,
            'client.4.1': self.check_long_reply,
            'client.4.2': self.check_unicode_dm,
            'client.5.1': lambda f: self.check_post(f, 'small', self.small, 0),
            'client.5.2': lambda f: self.check_post(f, '2 MiB', self.large, 1),
            'client.6.1': lambda f: self.check_image_dm(f, self.small, 10, 'user2', 'user5'),
            'client.6.2': lambda f: self.check_image_dm(f, self.large, 11, 'user5', 'user3'),
            'client.7.1': lambda f: self.check_post(f, 'one-read', self.small, 2, mode='together'),
        }


def run_checks(args, student, import_error, deadline, results, lock):
    driver = Driver(args, student) if student is not None else None
    # A course (starter) server rewrites posts.json without a lock, so two uploads at once can leave
    # it half-written for the other: a server defect, not the client's. The post flows take turns,
    # each flow's clock starting when its turn comes.
    posts_file = threading.Lock()
    runs = []
    # One at a time (the grader's second look at checks that timed out): once two in a row time out
    # again and none has passed, the client is slow or stuck, not the machine, and the rest keep
    # their first verdict.
    confirmed, passed_again = 0, False
    for check in selected_checks(args):
        check_id, task, title, requirements, blame, hint = check
        entry = {'id': check_id, 'title': title, 'requirements': requirements, 'task': task,
                 'passed': False, 'detail': '', 'hint': hint, 'blame': blame, 'assumes': ASSUMES.get(check_id, [])}
        if student is None:
            entry['detail'] = f'socket_utils could not be imported: {import_error}'
            entry['hint'] = 'Make sure socket_utils.py imports without errors: python3 -c "import socket_utils".'
            runs.append((entry, None))
            continue
        if args.one_at_a_time and not passed_again and confirmed >= CONFIRMED_TO_STOP:
            entry.update(detail='not judged again: the checks judged again before it timed out again',
                         not_rerun=True)
            runs.append((entry, None))
            continue
        flow_timeout = min(args.timeout, deadline - own_now())
        if flow_timeout < 0.5:
            entry.update(detail='not run: the driver\'s overall deadline passed', timed_out=True)
            runs.append((entry, None))
            continue
        state = start_flow(driver, check_id, flow_timeout, posts_file)
        if not args.one_at_a_time:
            runs.append((entry, state))
            continue
        finish_flow(entry, state, deadline)
        passed_again = passed_again or entry['passed']
        confirmed = confirmed + 1 if entry.get('timed_out') else 0
        runs.append((entry, None))

    for entry, state in runs:
        if state is not None:
            finish_flow(entry, state, deadline)
        with lock:
            results.append(entry)


CONFIRMED_TO_STOP = 2
POST_FLOWS = {'client.5.1', 'client.5.2', 'client.7.1'}


def selected_checks(args):
    return [c for c in CHECKS if not args.checks or c[0] in args.checks]


def start_flow(driver, check_id, flow_timeout, posts_file):
    state = {'outcome': {}, 'timeout': flow_timeout, 'started': threading.Event(),
             'ends': own_now() + flow_timeout + 2.0}

    def work():
        turn = posts_file if check_id in POST_FLOWS else None
        if turn is not None:
            turn.acquire()
        state['ends'] = own_now() + state['timeout'] + 2.0
        flow = Flow(driver, check_id, state['timeout'])
        state['flow'] = flow
        state['started'].set()
        try:
            state['outcome'] = {'passed': True, 'detail': driver.flows()[check_id](flow)}
        except CheckFailed as failure:
            state['outcome'] = {'detail': failure.detail, 'hint': failure.hint, 'blame': failure.blame,
                                'timed_out': failure.timed_out, 'kit_error': failure.kit_error}
        except Hung as hung:
            state['outcome'] = stalled(flow, f'timed out after {state["timeout"]:.1f} s ({hung})')
        except BaseException as error:  # the driver's own failure
            state['outcome'] = {'detail': f'driver error in {check_id}: {type(error).__name__}: {error}',
                                'kit_error': True}
        finally:
            if turn is not None:
                turn.release()

    state['worker'] = threading.Thread(target=work, daemon=True)
    state['worker'].start()
    return state


def stalled(flow, why):
    """A flow that ran out of time: the wire usually says which function is at fault."""
    problem = flow.explain_stall()
    if problem is not None:
        return {'detail': f'{problem.detail} [{why}]', 'hint': problem.hint,
                'blame': problem.blame, 'timed_out': True}
    return {'detail': f'{why} (the client or the server stopped answering)', 'timed_out': True}


def finish_flow(entry, state, deadline):
    # A flow waiting for its turn has not started its clock yet; the run's deadline bounds the wait.
    wait_own(state['started'].wait, deadline)

    def joined(seconds):
        state['worker'].join(seconds)
        return not state['worker'].is_alive()
    def ends():
        flow = state.get('flow')
        return min(state['ends'] + (flow.held_back() if flow is not None else 0.0), deadline)
    wait_own(joined, ends)
    flow = state.get('flow')
    if state['worker'].is_alive():
        outcome = stalled(flow, f'timed out after {state["timeout"]:.1f} s') if flow else \
            {'detail': 'timed out before the flow started', 'timed_out': True}
    else:
        outcome = state['outcome']
    if flow is not None:
        # Closing the flow's sockets unblocks a call stuck in recv.
        flow.close()
    entry['passed'] = bool(outcome.get('passed'))
    entry['timed_out'] = not entry['passed'] and bool(outcome.get('timed_out'))
    entry['kit_error'] = not entry['passed'] and bool(outcome.get('kit_error'))
    notes = flow.notes if flow is not None else []
    entry['detail'] = (outcome.get('detail') or '') + (f' ({"; ".join(notes)})' if notes else '')
    if outcome.get('hint'):
        entry['hint'] = outcome['hint']
    if entry['passed']:
        entry.pop('blame', None)
    elif outcome.get('blame'):
        entry['blame'] = outcome['blame']


def main():
    parser = argparse.ArgumentParser(description='Grade the client half of an InstaNet socket_utils.py.')
    parser.add_argument('--submission', required=True, help='folder holding socket_utils.py (searched when nested)')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--timeout', type=float, default=15.0, help='seconds per flow (default 15)')
    parser.add_argument('--deadline', type=float, default=None,
                        help='hard limit for the whole run in seconds (default: 3 x timeout + 15)')
    parser.add_argument('--image', default=None, help='small image to send (default: fixtures/images/small.jpg)')
    parser.add_argument('--runner-argv', default=None,
                        help='JSON argv that starts student_runner.py (the grader wraps it in its sandbox)')
    parser.add_argument('--checks', default='', type=lambda text: {c for c in text.split(',') if c},
                        help='comma-separated check ids to run (default: all)')
    parser.add_argument('--one-at-a-time', action='store_true',
                        help='run the checks one after another, each alone (the grader\'s second look)')
    parser.add_argument('--own-time', action='store_true',
                        help='keep deadlines in the hand-in\'s own time, fed as "own OWN AT" lines on stdin')
    parser.add_argument('--proxy-ports', default='',
                        type=lambda text: [int(p) for p in text.split(',') if p],
                        help='comma-separated ports for the recording proxies (relayed into an isolated sandbox)')
    args = parser.parse_args()

    if args.own_time:
        follow_own_time(sys.stdin.buffer)
    started = own_now()
    hard_deadline = started + (args.deadline if args.deadline is not None else 3 * args.timeout + 15)
    results = []
    lock = threading.Lock()
    written = threading.Event()
    out = sys.stdout

    def emit(import_error, timed_out=False, sandbox_failed=None):
        with lock:
            if written.is_set():
                return
            written.set()
            done = {r['id'] for r in results}
            checks = list(results)
        for check_id, task, title, requirements, blame, hint in selected_checks(args):
            if check_id not in done:
                checks.append({'id': check_id, 'title': title, 'requirements': requirements, 'task': task,
                               'passed': False, 'hint': hint,
                               'detail': 'not run: the driver\'s overall deadline passed' if timed_out
                               else 'not run'})
        checks.sort(key=lambda c: CHECK_IDS.index(c['id']))
        extra = {'sandbox_failed': sandbox_failed} if sandbox_failed else {}
        if args.own_time:
            # How late the grader's word on own time came: the evidence when a check ran out of it.
            extra['own_time_feed'] = {'lines': _feed['lines'], 'latest_ms': round(_feed['latest_ms'])}
        out.write(json.dumps({'checks': checks, 'import_error': import_error, **extra}, ensure_ascii=False) + '\n')
        out.flush()

    state = {'import_error': None, 'student': None}

    def give_up():
        emit(state['import_error'], True)
        if state['student'] is not None:
            state['student'].stop()
        os._exit(0)

    def watch():
        wait_own(lambda seconds: time.sleep(seconds) and False, hard_deadline, step=0.2)
        give_up()
    threading.Thread(target=watch, daemon=True).start()

    if args.image:
        try:
            with open(args.image, 'rb') as f:
                args.image_bytes = f.read(16 * 1024 * 1024)
        except OSError as error:
            parser.error(f'--image: {error}')
    else:
        default = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'fixtures', 'images',
                               'small.jpg')
        args.image_bytes = open(default, 'rb').read() if os.path.isfile(default) else jpeg_like(400, 1)

    try:
        args.proxy_listeners = bind_proxy_listeners(args.proxy_ports)
    except PortTaken as error:
        written.set()
        out.write(json.dumps({'checks': [], 'import_error': None, 'port_taken': str(error)}) + '\n')
        out.flush()
        os._exit(0)

    runner_argv = json.loads(args.runner_argv) if args.runner_argv else [sys.executable, RUNNER]
    # Stalled calls are interrupted in own time (StudentProcess.request); the runner's socket timeout
    # is only a wall-clock net far beyond that.
    runner_argv = runner_argv + [str(args.timeout * RUNNER_SOCKET_SAFETY_FACTOR)]
    student = StudentProcess(runner_argv)
    state['student'] = student
    try:
        answer = student.request('import', min(args.timeout, max(0.0, hard_deadline - own_now())),
                                 dir=args.submission)
        if not answer.get('ok'):
            error = answer.get('error') or {}
            state['import_error'] = f'{error.get("type")}: {error.get("message")}'
        else:
            missing = [name for name in ('create_client_socket', 'send_json_message', 'receive_json_message',
                                         'send_json_message_with_image') if name not in answer.get('functions', [])]
            if missing:
                print(f'socket_utils lacks: {", ".join(missing)}', file=sys.stderr)
    except Hung:
        state['import_error'] = f'importing socket_utils did not finish within {args.timeout:.0f} s'
    if state['import_error'] and student.never_ran():
        # Not the student's import: their code never ran. No check is run; the grader says kit-error.
        emit(None, sandbox_failed='the sandbox could not start the student runner (see its output)')
        out.flush()
        os._exit(0)
    run_checks(args, None if state['import_error'] else student, state['import_error'], hard_deadline, results, lock)
    emit(state['import_error'])
    student.stop()
    out.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
