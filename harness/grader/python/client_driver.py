#!/usr/bin/env python3
"""InstaNet client driver: grades the CLIENT half of a student's socket_utils.py.

The students' socket_utils.py is also their client's socket layer, so this driver imports it and
performs the course client's flows (connect, login, long replies, image posts, image DMs, Unicode DMs)
against a running server, normally the kit's reference server. The student's client talks to the
server through a small recording proxy inside this process, so each verdict can say exactly which
bytes the client put on the wire (CLNT-1 ready before image, CLNT-2 the 8-byte big-endian length)
independently of how forgiving the server is.

Usage: python3 client_driver.py --submission DIR --host H --port P [--timeout S] [--deadline S] [--image FILE]
Prints exactly one JSON document on stdout: {"checks": [...], "import_error": null | "..."}.
Anything the submission prints goes to stderr. The exit status is 0 whenever that document was
written (failing checks included); 2 only for bad arguments.

Python 3.9+ standard library only; never hangs: the flows run side by side (each its own thread,
connection and users), each with its own deadline, and the whole run has a hard one, after which the
document is written with the unfinished checks failed and the process leaves at once.
"""
import argparse
import datetime
import importlib
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import traceback

HOLD_READY_SECONDS = 0.15  # how long the proxy holds "ready" back to see whether the client waits for it
SKIP_DIRS = {'__MACOSX', '__pycache__', '.git', 'venv', '.venv', 'node_modules'}
REQUIRED_FUNCTIONS = ('create_client_socket', 'send_json_message', 'receive_json_message',
                      'send_json_message_with_image')

# (id, task, title, requirements, default hint)
CHECKS = [
    ('client.2.1', 2, 'create_client_socket connects to the server', ['CLNT-3'],
     'create_client_socket(host, port) must create a TCP socket, connect it to (host, port) and return it.'),
    ('client.2.2', 2, 'login with send_json_message / receive_json_message', ['AUTH-1', 'FRAME-7', 'CLNT-3'],
     'send_json_message must send json.dumps(message) with sendall; receive_json_message must return the parsed reply.'),
    ('client.2.3', 2, 'a reply longer than 4096 bytes is received whole', ['CLNT-3', 'FRAME-4'],
     'receive_json_message must keep calling recv and appending bytes until the whole buffer decodes and parses; '
     'one recv(4096) is not enough for long replies.'),
    ('client.5.1', 5, 'upload_post with a small image (send_json_message_with_image)',
     ['CLNT-1', 'CLNT-2', 'IMG-1', 'IMG-4', 'POST-1'],
     'send_json_message_with_image must send the request, wait for {"status": "ready"}, send the length with '
     "struct.pack('!Q', len(image)) and the bytes with sendall, read the {\"status\": \"success\"} acknowledgement "
     'and return the final reply.'),
    ('client.5.2', 5, 'upload_post with a 2 MiB photo', ['CLNT-1', 'CLNT-2', 'IMG-3', 'POST-1'],
     'Send the whole image with sendall (send may write only part of it), and read the acknowledgement and the '
     'final reply even when they arrive in one read.'),
    ('client.6.1', 6, 'image DM with a small image', ['CLNT-1', 'CLNT-2', 'DM-5'],
     'For an image DM send {"action": "send_message", ..., "is_image": true} through send_json_message_with_image.'),
    ('client.6.2', 6, 'image DM with a 2 MiB photo', ['CLNT-1', 'CLNT-2', 'IMG-3', 'DM-5'],
     'Send the whole image with sendall and read the acknowledgement and the final reply even when they arrive in one read.'),
    ('client.6.3', 6, 'Arabic and emoji text DM round trip', ['DM-3', 'FRAME-8', 'CLNT-3'],
     'Decode the whole buffer as UTF-8 only once it is complete; never decode chunk by chunk or with errors="ignore".'),
]


class CheckFailed(Exception):
    def __init__(self, detail, hint=None):
        super().__init__(detail)
        self.detail = detail
        self.hint = hint


# ---------------------------------------------------------------------------------------------
# The driver's own framing, used for set-up and verification (never to grade the student).

def raw_send(sock, message):
    sock.sendall(json.dumps(message).encode('utf-8'))


def raw_receive(sock, deadline):
    buffer = b''
    decoder = json.JSONDecoder()
    while True:
        text = None
        # Parse only when the bytes could end an object: a get_feed reply can be megabytes of base64,
        # and parsing after every chunk would be quadratic.
        if buffer.rstrip().endswith(b'}'):
            try:
                text = buffer.decode('utf-8').lstrip()
            except UnicodeDecodeError:
                pass
        if text:
            try:
                value, _ = decoder.raw_decode(text)
                return value
            except json.JSONDecodeError:
                pass
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CheckFailed('the server did not reply in time (driver set-up)')
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        if not chunk:
            raise CheckFailed('the server closed the connection during the driver\'s set-up')
        buffer += chunk


def raw_request(host, port, deadline, login, *requests):
    """Opens a connection, logs in as `login` (strict servers require it) and returns the replies."""
    sock = socket.create_connection((host, port), timeout=max(0.1, deadline - time.monotonic()))
    try:
        raw_send(sock, {'action': 'login', 'username': login, 'password': '123'})
        reply = raw_receive(sock, deadline)
        if reply.get('message') != 'Login successful':
            raise CheckFailed(f'the driver could not log in as {login}: {short(reply)}')
        replies = []
        for request in requests:
            raw_send(sock, request)
            replies.append(raw_receive(sock, deadline))
        return replies
    finally:
        sock.close()


# ---------------------------------------------------------------------------------------------
# Recording proxy between the student's client and the server.

class Connection:
    def __init__(self):
        self.c2s = bytearray()
        self.s2c = bytearray()
        self.c2s_at_first_reply = None  # client bytes seen when the first reply after arm() was forwarded
        self.armed = False

    def arm(self):
        """Hold the server's next reply back briefly and note how much the client had sent by then."""
        self.c2s_at_first_reply = None
        self.armed = True


class RecordingProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.connections = []
        self.sockets = []
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(8)
        self.listener.settimeout(None)  # never the default timeout the flows use
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

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
            threading.Thread(target=self._pump, args=(client, upstream, record, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, record, False), daemon=True).start()

    def _pump(self, source, sink, record, client_to_server):
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                if client_to_server:
                    record.c2s += chunk
                else:
                    if record.armed:
                        time.sleep(HOLD_READY_SECONDS)
                        record.c2s_at_first_reply = len(record.c2s)
                        record.armed = False
                    record.s2c += chunk
                sink.sendall(chunk)
        except OSError:
            pass
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.closed = True
        with self.lock:
            sockets = list(self.sockets)
        for s in [self.listener] + sockets:
            try:
                s.close()
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


def check_image_bytes(record, image):
    """Checks what the client sent after its image request (CLNT-1, CLNT-2); raises CheckFailed."""
    c2s = bytes(record.c2s)
    json_len = first_json_length(c2s)
    if json_len is None:
        raise CheckFailed(f'the client did not send a complete JSON request before its image '
                          f'(it sent {len(c2s)} bytes: {preview(c2s)})')
    if record.c2s_at_first_reply is None:
        if len(c2s) > json_len:
            raise CheckFailed(f'the client sent {len(c2s) - json_len} bytes after the request although the server '
                              f'had not said {{"status": "ready"}} (CLNT-1): the image must wait for ready',
                              'In send_json_message_with_image, call receive_json_message and check for '
                              '{"status": "ready"} before send_image.')
        raise CheckFailed('the server never answered the image request (no {"status": "ready"})')
    early = record.c2s_at_first_reply - json_len
    if early > 0:
        raise CheckFailed(f'the client sent {early} bytes after the request before the server said '
                          f'{{"status": "ready"}} (CLNT-1): the image must wait for ready',
                          'In send_json_message_with_image, call receive_json_message and check for '
                          '{"status": "ready"} before send_image.')
    body = c2s[json_len:]
    expected_header = struct.pack('!Q', len(image))
    header = body[:8]
    if len(body) < 8:
        raise CheckFailed(f'after ready the client sent only {len(body)} bytes, not the 8-byte length header'
                          f' ({preview(body)})')
    if header != expected_header:
        guess = ''
        if header == struct.pack('<Q', len(image)):
            guess = ' (that is the length little-endian: use struct.pack(\'!Q\', ...))'
        elif body[:4] == struct.pack('!I', len(image)):
            guess = ' (that is a 4-byte length: use the 8-byte struct.pack(\'!Q\', ...))'
        raise CheckFailed(f'the length header was {header.hex(" ")}, expected {expected_header.hex(" ")} '
                          f'for {len(image)} bytes{guess} (CLNT-2)',
                          "Send the image length as struct.pack('!Q', len(image_bytes)): 8 bytes, big-endian.")
    sent = body[8:]
    if sent != image:
        if len(sent) < len(image) and image.startswith(sent):
            raise CheckFailed(f'the client sent only {len(sent)} of the {len(image)} image bytes (CLNT-2)',
                              'Use sock.sendall(image_bytes): send() may write only part of a large buffer.')
        raise CheckFailed(f'the image bytes on the wire differ from the image given '
                          f'({len(sent)} bytes sent, {len(image)} expected) (CLNT-2)')


# ---------------------------------------------------------------------------------------------

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


def describe_exception(name, error, submission_dir):
    """'receive_json_message raised ValueError: ... (socket_utils.py:42)' pointing into the student's code."""
    where = ''
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if os.path.abspath(frame.filename).startswith(submission_dir):
            where = f' ({os.path.relpath(frame.filename, submission_dir)}:{frame.lineno})'
            break
    if isinstance(error, (socket.timeout, TimeoutError)):
        return f'{name} timed out waiting for the server{where}'
    return f'{name} raised {type(error).__name__}: {error}{where}'


def jpeg_like(size, seed):
    """Deterministic JPEG-framed bytes (SOI, JFIF, pseudo-random body, EOI) of exactly `size` bytes."""
    head = b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00'
    body = random.Random(seed).randbytes(size - len(head) - 2)
    return head + body + b'\xff\xd9'


def find_submission(root):
    """The folder holding socket_utils.py: ROOT itself, or the shallowest one below it (students nest)."""
    if os.path.isfile(os.path.join(root, 'socket_utils.py')):
        return root
    found = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith('.'))
        if 'socket_utils.py' in files:
            found.append(current)
    if not found:
        return None
    return min(found, key=lambda p: (p.count(os.sep), p))


class Driver:
    def __init__(self, args, module, submission_dir):
        self.host = args.host
        self.port = args.port
        self.timeout = args.timeout
        self.su = module
        self.dir = submission_dir
        self.small = args.image_bytes
        self.large = jpeg_like(2 * 1024 * 1024, 356)
        self.nonce = f'{os.getpid()}-{int(time.time() * 1000) % 100000000}'
        self.base_time = datetime.datetime.now().replace(microsecond=0)
        self.proxies = []
        self.sockets = []
        self.exchange = None  # (record, c2s start, s2c start, image) while an image flow runs

    def for_flow(self):
        """A driver for one flow: the run's images, nonce and clock, but its own proxies, sockets and
        image exchange, so flows running side by side neither see nor close each other's."""
        flow = Driver.__new__(Driver)
        flow.__dict__.update(self.__dict__)
        flow.proxies, flow.sockets, flow.exchange = [], [], None
        return flow

    # -- helpers ------------------------------------------------------------------------------
    def call(self, name, *args):
        function = getattr(self.su, name, None)
        if not callable(function):
            raise CheckFailed(f'socket_utils has no function {name}')
        try:
            return function(*args)
        except CheckFailed:
            raise
        except Exception as error:
            raise CheckFailed(describe_exception(name, error, self.dir))

    def proxy(self):
        proxy = RecordingProxy(self.host, self.port)
        self.proxies.append(proxy)
        return proxy

    def client_socket(self, proxy, notes):
        """The student's create_client_socket through the proxy; a driver socket if it fails, so the
        other functions are still graded on their own."""
        try:
            sock = getattr(self.su, 'create_client_socket')('127.0.0.1', proxy.port)
            if isinstance(sock, socket.socket):
                sock.getpeername()
                sock.settimeout(self.timeout)
                self.sockets.append(sock)
                return sock
        except Exception:
            pass
        notes.append('connected by the driver because create_client_socket failed')
        sock = socket.create_connection(('127.0.0.1', proxy.port), timeout=self.timeout)
        self.sockets.append(sock)
        return sock

    def receive(self, sock, proxy, what):
        before = len(proxy.connections[-1].c2s) if proxy.connections else 0
        reply = self.call('receive_json_message', sock)
        if reply is None:
            if before == 0:
                raise CheckFailed(f'receive_json_message returned None while waiting for {what}; the server '
                                  f'had received 0 bytes, so send_json_message sent nothing')
            raise CheckFailed(f'receive_json_message returned None while waiting for {what}')
        if not isinstance(reply, dict):
            raise CheckFailed(f'receive_json_message returned {type(reply).__name__} {short(repr(reply))}, '
                              f'expected the reply as a dict')
        return reply

    def login(self, sock, proxy, user):
        self.call('send_json_message', sock, {'action': 'login', 'username': user, 'password': '123'})
        reply = self.receive(sock, proxy, 'the login reply')
        if reply.get('status') != 'success' or reply.get('message') != 'Login successful':
            raise CheckFailed(f'login as {user} got {short(reply)}, expected Login successful')

    def exchange_view(self):
        """The image exchange under way, as a Connection holding only its own bytes."""
        record, start, s2c_start, _ = self.exchange
        view = Connection()
        view.c2s = bytes(record.c2s[start:])
        view.s2c = bytes(record.s2c[s2c_start:])
        if record.c2s_at_first_reply is not None:
            view.c2s_at_first_reply = record.c2s_at_first_reply - start
        return view

    def explain_timeout(self):
        """Why a timed-out image flow stalled, from the bytes the client put on the wire, if they tell."""
        if self.exchange is None:
            return None
        try:
            check_image_bytes(self.exchange_view(), self.exchange[3])
        except CheckFailed as problem:
            return problem
        return None

    def stamp(self, offset):
        return self.base_time + datetime.timedelta(seconds=offset)

    def close_all(self):
        # Copies: a flow that timed out may still be adding to these lists from its own thread.
        for s in list(self.sockets):
            try:
                s.close()
            except OSError:
                pass
        for p in list(self.proxies):
            p.close()

    # -- flows --------------------------------------------------------------------------------
    def flow_connect(self, notes):
        proxy = self.proxy()
        sock = self.call('create_client_socket', '127.0.0.1', proxy.port)
        if sock is None:
            raise CheckFailed('create_client_socket returned None (is its body still `pass`?)')
        if not isinstance(sock, socket.socket):
            raise CheckFailed(f'create_client_socket returned {type(sock).__name__}, expected a socket')
        self.sockets.append(sock)
        try:
            sock.getpeername()
        except OSError:
            raise CheckFailed('create_client_socket returned a socket that is not connected')
        return 'connected'

    def flow_login(self, notes):
        proxy = self.proxy()
        sock = self.client_socket(proxy, notes)
        self.login(sock, proxy, 'user1')
        return 'Login successful'

    def flow_long_reply(self, notes):
        sender, receiver = 'user3', 'user4'
        deadline = time.monotonic() + self.timeout
        # Two DMs of about 4.5 KB each as the server escapes them: the reply passes 4096 bytes while
        # staying small, since the conversation grows with every run against the same server.
        texts = [f'long reply {self.nonce} #{i}: ' + ('سلام عليكم 😀 ' * 60) for i in range(2)]
        raw_request(self.host, self.port, deadline, sender, *[
            {'action': 'send_message', 'sender': sender, 'receiver': receiver, 'message': text,
             'timestamp': self.stamp(i).isoformat(), 'is_image': False} for i, text in enumerate(texts)])
        proxy = self.proxy()
        sock = self.client_socket(proxy, notes)
        self.login(sock, proxy, sender)
        self.call('send_json_message', sock, {'action': 'get_messages', 'user1': sender, 'user2': receiver})
        reply = self.receive(sock, proxy, 'the get_messages reply')
        size = len(proxy.connections[-1].s2c) if proxy.connections else 0
        got = [m.get('message') for m in reply.get('messages', []) if isinstance(m, dict)]
        mine = [t for t in got if isinstance(t, str) and self.nonce in t]
        if mine != texts:
            raise CheckFailed(f'the get_messages reply ({size} bytes on the wire) did not hold the 2 long '
                              f'messages exactly: {len(mine)} found' +
                              ('' if not mine else f'; first differs: {short(mine[0], 120)}'))
        return f'a {size}-byte reply was received whole'

    def image_flow(self, notes, image, request, user, verify):
        proxy = self.proxy()
        sock = self.client_socket(proxy, notes)
        self.login(sock, proxy, user)
        # Judge only the image exchange: the bytes after the login, with the next reply ("ready") held.
        record = proxy.connections[-1]
        start, s2c_start = len(record.c2s), len(record.s2c)
        record.arm()
        self.exchange = (record, start, s2c_start, image)
        try:
            reply = self.call('send_json_message_with_image', sock, request, image)
        except CheckFailed as failure:
            # The bytes on the wire usually say why the exchange failed better than the exception does.
            problem = self.explain_timeout()
            if problem is not None:
                raise CheckFailed(f'{problem.detail}; then {failure.detail}', problem.hint)
            raise
        view = self.exchange_view()
        self.exchange = None
        check_image_bytes(view, image)
        if reply is None:
            raise CheckFailed('send_json_message_with_image returned None; it must return the final reply '
                              f'(the server sent {preview(bytes(view.s2c), 160)})')
        if not isinstance(reply, dict):
            raise CheckFailed(f'send_json_message_with_image returned {type(reply).__name__} {short(repr(reply))}')
        if reply == {'status': 'success'}:
            raise CheckFailed('send_json_message_with_image returned the image acknowledgement {"status": "success"}; '
                              'it must read one more message and return the final reply',
                              'After send_image, read the acknowledgement and then return the next message.')
        return verify(reply)

    def flow_post(self, size_label, image, offset, notes):
        caption = f'driver {size_label} post {self.nonce}'
        timestamp = self.stamp(offset).strftime('%Y-%m-%d %H:%M:%S')
        request = {'action': 'upload_post', 'username': 'user1', 'caption': caption, 'timestamp': timestamp}

        def verify(reply):
            if reply.get('status') != 'success' or reply.get('message') != 'Post uploaded successfully':
                raise CheckFailed(f'the final reply was {short(reply)}, expected Post uploaded successfully')
            # The bytes on the wire were compared by the proxy; the server's storage is the harness's
            # business (POST-2), and a get_feed here would grow with every graded submission.
            return f'{len(image)} bytes sent after ready with a correct header; Post uploaded successfully'

        return self.image_flow(notes, image, request, 'user1', verify)

    def flow_image_dm(self, size_label, image, offset, notes, sender, receiver):
        timestamp = self.stamp(offset).isoformat()
        request = {'action': 'send_message', 'sender': sender, 'receiver': receiver, 'message': 'Image',
                   'timestamp': timestamp, 'is_image': True}

        def verify(reply):
            if reply.get('status') != 'success' or reply.get('message') != 'Message sent':
                raise CheckFailed(f'the final reply was {short(reply)}, expected Message sent')
            messages = raw_request(self.host, self.port, time.monotonic() + self.timeout, sender,
                                   {'action': 'get_messages', 'user1': sender, 'user2': receiver})[0]
            stored = [m for m in messages.get('messages', []) if isinstance(m, dict)
                      and m.get('timestamp') == timestamp and m.get('is_image') is True]
            if not stored:
                raise CheckFailed('the server answered Message sent, but get_messages has no image message '
                                  f'with timestamp {timestamp}')
            return f'{len(image)} bytes sent after ready with a correct header; stored as an image DM'

        return self.image_flow(notes, image, request, sender, verify)

    def flow_unicode_dm(self, notes):
        sender, receiver = 'user6', 'user1'
        text = f'مرحبا بالعالم 👋🏽 InstaNet ✓ {self.nonce} ' + 'شكرا 🙏 ' * 40
        proxy = self.proxy()
        sock = self.client_socket(proxy, notes)
        self.login(sock, proxy, sender)
        timestamp = self.stamp(20).isoformat()
        self.call('send_json_message', sock, {'action': 'send_message', 'sender': sender, 'receiver': receiver,
                                              'message': text, 'timestamp': timestamp, 'is_image': False})
        reply = self.receive(sock, proxy, 'the send_message reply')
        if reply.get('status') != 'success':
            raise CheckFailed(f'send_message got {short(reply)}, expected Message sent')
        self.call('send_json_message', sock, {'action': 'get_messages', 'user1': sender, 'user2': receiver})
        reply = self.receive(sock, proxy, 'the get_messages reply')
        got = [m.get('message') for m in reply.get('messages', []) if isinstance(m, dict)
               and m.get('timestamp') == timestamp]
        if got != [text]:
            raise CheckFailed(f'the text read back differs from the text sent: sent {short(text, 80)}, '
                              f'read {short(got[0] if got else None, 80)}')
        return f'{len(text)} characters ({len(text.encode("utf-8"))} UTF-8 bytes) round-tripped exactly'


def run_checks(args, module, submission_dir, import_error, deadline, results, lock):
    driver = Driver(args, module, submission_dir) if module is not None else None
    # The course's starter rewrites posts.json without a lock, so two uploads at once can leave it
    # half-written for the other (a server defect, not the client's): the two post flows take turns.
    posts_file = threading.Lock()

    def in_turn(lock, run):
        with lock:
            return run()

    flows = {
        'client.2.1': lambda d, n: d.flow_connect(n),
        'client.2.2': lambda d, n: d.flow_login(n),
        'client.2.3': lambda d, n: d.flow_long_reply(n),
        'client.5.1': lambda d, n: in_turn(posts_file, lambda: d.flow_post('small', d.small, 0, n)),
        'client.5.2': lambda d, n: in_turn(posts_file, lambda: d.flow_post('2 MiB', d.large, 1, n)),
        'client.6.1': lambda d, n: d.flow_image_dm('small', d.small, 10, n, 'user2', 'user5'),
        'client.6.2': lambda d, n: d.flow_image_dm('2 MiB', d.large, 11, n, 'user5', 'user3'),
        'client.6.3': lambda d, n: d.flow_unicode_dm(n),
    }
    # The flows are independent and run side by side, each in its own thread with its own driver
    # (proxy, sockets) and its own users or conversation on the server: client.2.3 user3 -> user4,
    # client.6.1 user2 -> user5, client.6.2 user5 -> user3, client.6.3 user6 -> user1; user1's posts
    # (client.5.*, one after the other) are told apart by caption and timestamp and never read back. A submission whose
    # functions hang so costs one flow timeout instead of eight in a row.
    runs = []
    for check_id, task, title, requirements, hint in CHECKS:
        entry = {'id': check_id, 'title': title, 'requirements': requirements, 'task': task,
                 'passed': False, 'detail': '', 'hint': hint}
        if module is None:
            entry['detail'] = f'socket_utils could not be imported: {import_error}'
            entry['hint'] = 'Make sure socket_utils.py imports without errors: python3 -c "import socket_utils".'
            runs.append((entry, None))
            continue
        flow_timeout = min(args.timeout, deadline - time.monotonic())
        if flow_timeout < 0.5:
            entry['detail'] = 'not run: the driver\'s overall deadline passed'
            runs.append((entry, None))
            continue
        flow = {'driver': driver.for_flow(), 'outcome': {}, 'notes': [], 'timeout': flow_timeout,
                'ends': time.monotonic() + flow_timeout}

        def work(flow=flow, check_id=check_id):
            outcome = flow['outcome']
            try:
                outcome['detail'] = flows[check_id](flow['driver'], flow['notes'])
                outcome['passed'] = True
            except CheckFailed as failure:
                outcome['detail'] = failure.detail
                if failure.hint:
                    outcome['hint'] = failure.hint
            except BaseException as error:  # the driver's own failure or a student's SystemExit
                outcome['detail'] = describe_exception(check_id, error, submission_dir)

        flow['worker'] = threading.Thread(target=work, daemon=True)
        flow['worker'].start()
        runs.append((entry, flow))

    # Collected in the checks' order; each flow keeps its own timeout, counted from its own start.
    for entry, flow in runs:
        if flow is not None:
            finish_flow(entry, flow)
        with lock:
            results.append(entry)


def finish_flow(entry, flow):
    driver, worker, notes, outcome = flow['driver'], flow['worker'], flow['notes'], flow['outcome']
    worker.join(max(0.0, flow['ends'] - time.monotonic()))
    if worker.is_alive():
        stalled = f'timed out after {flow["timeout"]:.1f} s'
        problem = driver.explain_timeout()
        if problem is not None:
            outcome = {'detail': f'{problem.detail}; the exchange then stalled ({stalled})'}
            if problem.hint:
                outcome['hint'] = problem.hint
        elif driver.exchange is not None:
            view = driver.exchange_view()
            outcome = {'detail': f'{stalled} in the image exchange; the client had sent {len(view.c2s)} bytes '
                                 f'(request, header and image all correct) and the server '
                                 f'{preview(view.s2c, 200) if view.s2c else "nothing"}'}
        else:
            outcome = {'detail': f'{stalled} (the client or the server stopped answering)'}
    else:
        outcome = dict(outcome)
    # Closing the flow's sockets unblocks a flow stuck in recv, so its thread cannot linger on them.
    driver.close_all()
    entry['passed'] = bool(outcome.get('passed'))
    entry['detail'] = outcome.get('detail', '') + (f' ({"; ".join(list(notes))})' if notes else '')
    if 'hint' in outcome:
        entry['hint'] = outcome['hint']


def main():
    parser = argparse.ArgumentParser(description='Grade the client half of an InstaNet socket_utils.py.')
    parser.add_argument('--submission', required=True, help='folder holding socket_utils.py (searched when nested)')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--timeout', type=float, default=15.0, help='seconds per flow (default 15)')
    parser.add_argument('--deadline', type=float, default=None,
                        help='hard limit for the whole run in seconds (default: 8 flows x timeout + 10)')
    parser.add_argument('--image', default=None, help='small image to send (default: fixtures/images/small.jpg)')
    args = parser.parse_args()

    # The document goes to the real stdout; whatever the submission prints goes to stderr.
    out = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    started = time.monotonic()
    hard_deadline = started + (args.deadline if args.deadline is not None else len(CHECKS) * args.timeout + 10)
    results = []
    lock = threading.Lock()
    written = threading.Event()

    def emit(import_error, timed_out=False):
        with lock:
            if written.is_set():
                return
            written.set()
            done = {r['id'] for r in results}
            checks = list(results)
        for check_id, task, title, requirements, hint in CHECKS:
            if check_id not in done:
                checks.append({'id': check_id, 'title': title, 'requirements': requirements, 'task': task,
                               'passed': False, 'hint': hint,
                               'detail': 'not run: the driver\'s overall deadline passed' if timed_out
                               else 'not run'})
        order = {c[0]: i for i, c in enumerate(CHECKS)}
        checks.sort(key=lambda c: order[c['id']])
        out.write(json.dumps({'checks': checks, 'import_error': import_error}, ensure_ascii=False) + '\n')
        out.flush()

    state = {'import_error': None}
    watchdog = threading.Timer(max(0.0, hard_deadline - time.monotonic()),
                               lambda: (emit(state['import_error'], True), os._exit(0)))
    watchdog.daemon = True
    watchdog.start()

    root = os.path.abspath(args.submission)
    if args.image:
        try:
            with open(args.image, 'rb') as f:
                args.image_bytes = f.read()
        except OSError as error:
            parser.error(f'--image: {error}')
    else:
        default = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'fixtures', 'images',
                               'small.jpg')
        args.image_bytes = open(default, 'rb').read() if os.path.isfile(default) else jpeg_like(400, 1)

    submission_dir = find_submission(root) if os.path.isdir(root) else None
    module = None
    if submission_dir is None:
        state['import_error'] = f'no socket_utils.py found in {args.submission}'
    else:
        submission_dir = os.path.realpath(submission_dir)
        sys.dont_write_bytecode = True  # never write __pycache__ into the submission (or the fixtures)
        sys.path.insert(0, submission_dir)
        os.chdir(submission_dir)  # the course code opens its files relative to its own folder
        imported = {}

        def do_import():
            try:
                imported['module'] = importlib.import_module('socket_utils')
            except BaseException as error:  # SystemExit and friends are the submission's failure too
                lines = traceback.format_exception_only(type(error), error)
                imported['error'] = lines[-1].strip() if lines else repr(error)

        importer = threading.Thread(target=do_import, daemon=True)
        importer.start()
        importer.join(min(args.timeout, max(0.0, hard_deadline - time.monotonic())))
        if importer.is_alive():
            state['import_error'] = f'importing socket_utils did not finish within {args.timeout:.0f} s'
        elif 'error' in imported:
            state['import_error'] = imported['error']
        else:
            module = imported['module']
            missing = [name for name in REQUIRED_FUNCTIONS if not callable(getattr(module, name, None))]
            if missing:
                print(f'socket_utils lacks: {", ".join(missing)}', file=sys.stderr)

    # A little under the flow timeout, so a stalled recv in the student's code reports where it stalled.
    socket.setdefaulttimeout(args.timeout * 0.9)
    run_checks(args, module, submission_dir, state['import_error'], hard_deadline, results, lock)
    emit(state['import_error'])
    out.close()
    # Flows that timed out may have left daemon threads blocked in student code: leave at once.
    os._exit(0)


if __name__ == '__main__':
    main()
