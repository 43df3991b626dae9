#!/usr/bin/env python3
"""Runs a student's socket_utils.py functions on request, for the kit's client driver (the judge).

This process is the only one that imports student code, and it runs inside the grader's sandbox. It
holds no verdict: the judge (client_driver.py, outside the sandbox) sends one request per line on
stdin and reads one answer per line; it checks every answer against the bytes its own recording
proxy saw on the wire. So a submission that writes into this process's pipes can lie about what a
function returned, but never about what crossed the wire, and never about the grade.

Requests: {"id": N, "nonce": T, "op": "import" | "call" | "connect" | "course_login" | "close" | "exit", ...}
  import:        {"dir": DIR}                                   -> {"functions": [...]}
  call:          {"fn": NAME, "args": [ARG...]}                 -> {"value": VALUE}
                 ARG is JSON, {"$socket": H} for a socket handle, {"$b64": ...} for bytes
  connect:       {"host": H, "port": P}                         -> {"socket": H}  (a plain socket)
  course_login:  {"socket": H, "username": U, "password": P}    -> {"value": REPLY}
                 exactly as the course's client.py logs in: a raw send and one recv(4096)
  occupy:        {}                                             -> {"socket": H, "port": P}  (bound, listening)
  free_port:     {}                                             -> {"port": P}
  encode_image:  {"image": B64, "gap": S}                       -> {"value": {"$b64": ...}}
                 the bytes the student's send_image writes for IMAGE (into an in-memory socket)
  decode_image:  {"wire": B64, "gap": S}                        -> {"value": {"$b64": ...}}
                 what the student's receive_image returns when WIRE is what its socket gives
                 (S: how long a recv past the end waits before it times out, as if no byte came)
  close:         {"socket": H}
  interrupt:     {"call": N, "sockets": [H...]}  (no answer) the judge's own-time budget for call N is
                 nearly spent: raise TimeoutError in the thread running it and shut its sockets down,
                 so the call ends with a traceback that says where the student's code stalled
Answers: {"id": N, "nonce": T, "ok": true, ...} or {"id": N, "nonce": T, "ok": false, "error": {...}}.
The nonce is random per request: an answer written into the pipe by anything else is ignored.
Each request runs in its own thread, so a call that hangs in student code blocks only itself.
Python 3.9+ standard library only.
"""
import base64
import ctypes
import importlib
import json
import os
import socket
import sys
import threading
import time
import traceback

SKIP_DIRS = {'__MACOSX', '__pycache__', '.git', 'venv', '.venv', 'node_modules'}


class Runner:
    def __init__(self, out):
        self.out = out
        self.out_lock = threading.Lock()
        self.sockets = {}
        self.next_handle = 1
        self.handles_lock = threading.Lock()
        self.module = None
        self.submission_dir = None
        self.calls = {}  # request id -> the thread running it, for interrupt

    # -- plumbing ----------------------------------------------------------------------------
    def answer(self, request_id, **fields):
        line = json.dumps({'id': request_id, **fields}, ensure_ascii=False, default=repr)
        with self.out_lock:
            self.out.write(line + '\n')
            self.out.flush()

    def keep(self, sock):
        with self.handles_lock:
            for handle, known in self.sockets.items():
                if known is sock:
                    return handle
            handle = self.next_handle
            self.next_handle += 1
            self.sockets[handle] = sock
            return handle

    def socket_of(self, handle):
        sock = self.sockets.get(handle)
        if sock is None:
            raise ValueError(f'no socket with handle {handle}')
        return sock

    def decode_arg(self, arg):
        if isinstance(arg, dict) and set(arg) == {'$socket'}:
            return self.socket_of(arg['$socket'])
        if isinstance(arg, dict) and set(arg) == {'$b64'}:
            return base64.b64decode(arg['$b64'])
        return arg

    def encode_value(self, value):
        """A function's result as JSON the judge can read; sockets become handles, bytes a length."""
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, socket.socket):
            return {'$socket': self.keep(value), 'connected': connected(value)}
        if isinstance(value, (bytes, bytearray)):
            return {'$bytes': len(value), '$b64': base64.b64encode(bytes(value)).decode('ascii')}
        if isinstance(value, (list, tuple)):
            return {'$tuple': [self.encode_value(v) for v in value]} if isinstance(value, tuple) \
                else [self.encode_value(v) for v in value]
        if isinstance(value, dict):
            try:
                json.dumps(value)
                return value
            except (TypeError, ValueError):
                return {'$repr': repr(value)[:500], '$type': type(value).__name__}
        return {'$repr': repr(value)[:500], '$type': type(value).__name__}

    def describe(self, error):
        # The student's frames, outermost first: the judge blames the innermost contract function.
        frames = [frame for frame in traceback.extract_tb(error.__traceback__)
                  if self.submission_dir and os.path.abspath(frame.filename).startswith(self.submission_dir)]
        where = ''
        if frames:
            last = frames[-1]
            where = f'{os.path.relpath(last.filename, self.submission_dir)}:{last.lineno}'
        timed_out = isinstance(error, (socket.timeout, TimeoutError))
        return {'type': type(error).__name__, 'message': str(error)[:1000], 'where': where,
                'frames': [frame.name for frame in frames], 'timeout': timed_out}

    # -- operations --------------------------------------------------------------------------
    def op_import(self, request):
        root = os.path.abspath(request['dir'])
        found = find_submission(root)
        if found is None:
            raise ImportError(f'no socket_utils.py found in {request["dir"]}')
        self.submission_dir = os.path.realpath(found)
        sys.dont_write_bytecode = True
        sys.path.insert(0, self.submission_dir)
        os.chdir(self.submission_dir)  # the course code opens its files relative to its own folder
        self.module = importlib.import_module('socket_utils')
        names = sorted(n for n in dir(self.module) if callable(getattr(self.module, n, None)) and not n.startswith('_'))
        return {'functions': names, 'dir': self.submission_dir}

    def op_call(self, request):
        function = getattr(self.module, request['fn'], None)
        if not callable(function):
            raise LookupError(f'socket_utils has no function {request["fn"]}')
        args = [self.decode_arg(a) for a in request.get('args', [])]
        return {'value': self.encode_value(function(*args))}

    def op_connect(self, request):
        sock = socket.create_connection((request['host'], request['port']), timeout=request.get('timeout', 10))
        return {'socket': self.keep(sock)}

    def op_course_login(self, request):
        # client.py's login does not use socket_utils: a raw send and a single recv(4096).
        sock = self.socket_of(request['socket'])
        sock.send(json.dumps({'action': 'login', 'username': request['username'],
                              'password': request['password']}).encode())
        return {'value': json.loads(sock.recv(4096).decode())}

    def op_occupy(self, request):
        # Ports are per network namespace: a port the judge binds outside is free in here, so the
        # start-up helpers' checks bind and probe ports in this process's own namespace.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(('127.0.0.1', 0))
        sock.listen(1)
        return {'socket': self.keep(sock), 'port': sock.getsockname()[1]}

    def op_free_port(self, request):
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
        probe.close()
        return {'port': port}

    def op_encode_image(self, request):
        # The image framing is the student's own (send_image is read only by their receive_image),
        # so the kit asks their send_image what it writes, and never assumes a byte order. It writes
        # into a socket that takes every byte at once: a sender's partial sends are the client half's
        # to judge on a real socket, never a reason to send their server a cut frame.
        image = base64.b64decode(request['image'])
        function = self.image_function('send_image')
        gap = float(request.get('gap', 5))
        sink = TakesAll()
        try:
            function(sink, image)
            return {'value': self.encode_value(written(bytes(sink.data), image))}
        except BaseException:
            if not sink.unsupported:
                raise
        # The student's send_image needs a real socket (it asked for something else): a pair, drained.
        return {'value': self.encode_value(written(send_through_pair(function, image, gap), image))}

    def op_decode_image(self, request):
        # The student's receive_image reads the frame from a socket that gives it every byte it asks
        # for, as far as the frame goes (split headers and slow bytes are the server half's cases);
        # past the frame a recv blocks for `gap` seconds and times out, as a real one waits forever.
        wire = base64.b64decode(request['wire'])
        function = self.image_function('receive_image')
        gap = float(request.get('gap', 5))
        source = GivesAll(wire, gap)
        try:
            return {'value': self.encode_value(function(source))}
        except BaseException:
            if not source.unsupported:
                raise
        return {'value': self.encode_value(receive_through_pair(function, wire, gap))}

    def image_function(self, name):
        function = getattr(self.module, name, None)
        if not callable(function):
            raise LookupError(f'socket_utils has no function {name}')
        return function

    def op_close(self, request):
        sock = self.sockets.pop(request['socket'], None)
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        return {}

    def interrupt(self, request):
        # The exception is raised once the thread runs Python code again; shutting the sockets down
        # is what wakes a recv or sendall blocked in the kernel.
        ident = self.calls.get(request.get('call'))
        if ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(socket.timeout))
        for handle in request.get('sockets') or []:
            sock = self.sockets.get(handle)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def handle(self, request):
        request_id = request.get('id')
        nonce = request.get('nonce')
        self.calls[request_id] = threading.get_ident()
        try:
            operation = getattr(self, 'op_' + str(request.get('op')), None)
            if operation is None:
                raise ValueError(f'unknown op {request.get("op")!r}')
            self.answer(request_id, ok=True, nonce=nonce, **operation(request))
        except BaseException as error:  # a student's SystemExit or KeyboardInterrupt is an answer too
            self.answer(request_id, ok=False, nonce=nonce, error=self.describe(error))
        finally:
            # A thread id is reused once its thread ends: a late interrupt must not reach another call.
            self.calls.pop(request_id, None)


class FakeSocket:
    """The calls a socket layer makes on a connected socket that do not move bytes, accepted."""

    def __init__(self):
        self.unsupported = None
        self.timeout = None

    def settimeout(self, value):
        self.timeout = value

    def gettimeout(self):
        return self.timeout

    def setblocking(self, flag):
        pass

    def setsockopt(self, *args):
        pass

    def getpeername(self):
        return ('127.0.0.1', 0)

    def getsockname(self):
        return ('127.0.0.1', 0)

    def __getattr__(self, name):
        # Anything else (fileno, makefile, ...) needs a real socket: the caller retries on a pair.
        self.unsupported = name
        raise AttributeError(f'the kit\'s in-memory socket has no {name}')


class TakesAll(FakeSocket):
    def __init__(self):
        super().__init__()
        self.data = bytearray()

    def send(self, data, flags=0):
        self.data += bytes(data)
        return len(data)

    def sendall(self, data, flags=0):
        self.data += bytes(data)


class GivesAll(FakeSocket):
    def __init__(self, wire, gap):
        super().__init__()
        self.wire = memoryview(wire)
        self.gap = gap

    def recv(self, size, flags=0):
        if not self.wire:
            time.sleep(self.gap)  # the peer sent everything; a real recv would wait for ever
            raise socket.timeout('timed out: no more bytes came')
        piece, self.wire = bytes(self.wire[:size]), self.wire[size:]
        return piece

    def recv_into(self, buffer, size=0, flags=0):
        piece = self.recv(size or len(buffer))
        buffer[:len(piece)] = piece
        return len(piece)


def send_through_pair(function, image, gap):
    writer, reader = socket.socketpair()
    writer.settimeout(gap)
    reader.settimeout(gap)
    chunks = []

    def drain():
        try:
            while True:
                chunk = reader.recv(1 << 20)
                if not chunk:
                    return
                chunks.append(chunk)
        except OSError:
            return

    drainer = threading.Thread(target=drain, daemon=True)
    drainer.start()
    try:
        function(writer, image)
    finally:
        try:
            writer.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        drainer.join(gap)
        writer.close()
        reader.close()
    return b''.join(chunks)


def receive_through_pair(function, wire, gap):
    # The writer stays open after the bytes: a receive_image that wants more than its send_image
    # wrote waits in recv (no busy loop on EOF) until the gap timeout says none will come.
    writer, reader = socket.socketpair()
    writer.settimeout(gap)
    reader.settimeout(gap)

    def feed():
        try:
            writer.sendall(wire)
        except OSError:
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        return function(reader)
    finally:
        feeder.join(gap)
        writer.close()
        reader.close()


def written(data, image):
    # A send_image that writes nothing (the skeleton's) frames nothing, not even an empty image (whose
    # receiver must still learn its length): the kit must not send a server nothing and call it the
    # student's framing; the reference framing stands in.
    if not data:
        raise RuntimeError('send_image wrote nothing')
    return data


def connected(sock):
    try:
        sock.getpeername()
        return True
    except OSError:
        return False


def find_submission(root):
    """ROOT itself when it holds socket_utils.py, else the shallowest folder below it that does."""
    if os.path.isfile(os.path.join(root, 'socket_utils.py')):
        return root
    found = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith('.'))
        if 'socket_utils.py' in files:
            found.append(current)
    return min(found, key=lambda p: (p.count(os.sep), p)) if found else None


def main():
    # The answers leave on a private copy of stdout; whatever the submission prints goes to stderr.
    out = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    if len(sys.argv) > 1:
        socket.setdefaulttimeout(float(sys.argv[1]))
    runner = Runner(out)
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except json.JSONDecodeError:
            continue
        if request.get('op') == 'exit':
            break
        if request.get('op') == 'interrupt':
            runner.interrupt(request)
            continue
        threading.Thread(target=runner.handle, args=(request,), daemon=True).start()
    out.flush()
    # Threads still blocked in student code must not keep the process alive.
    os._exit(0)


if __name__ == '__main__':
    main()
