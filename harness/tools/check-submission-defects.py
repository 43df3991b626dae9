#!/usr/bin/env python3
"""Proves each sample in fixtures/submissions/ carries exactly its defect, independently of the harness.

Starts every sample from a temporary copy (in parallel), runs seven small probes over raw TCP and
compares the pass/fail row with the expected one. Cells marked '?' are not deterministic on loopback
(a fast 2 MiB upload may or may not be cut by a single recv) and are not compared.

No verdict here comes from the wall clock, so the matrix is the same on a quiet and on a busy machine:
a piece of a split request is sent only once the server has read the one before (it is asleep, its CPU
unchanged), and a server counts as stalled only when it has slept that way, with nothing of ours still in
flight, for QUIET_SECONDS. A starved server is runnable, so it is waited for. The tool keeps this rule
in its own few lines rather than importing the kit's: it vouches for the samples independently of the kit.
Exit status 0 when every row matches; prints the matrix either way.
Run: python3 harness/tools/check-submission-defects.py [SAMPLE...]
"""
import concurrent.futures
import fcntl
import glob
import json
import os
import shutil
import socket
import struct
import subprocess
import select
import sys
import tempfile
import termios
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'submissions')
PROBES = ['fragmented', 'long', 'split-utf8', 'image', 'split-header', 'image-2MiB', 'slow-image']
CLEAN = {p: 'pass' for p in PROBES}
EXPECTED = {
    'correct': CLEAN,
    'trailing-newline': CLEAN,
    'raw-utf8': CLEAN,
    'bind-all': CLEAN,
    'indented-json': CLEAN,
    'starter-style-receive': CLEAN,
    'byte-at-a-time': CLEAN,
    'small-buffer': CLEAN,
    'large-buffer': CLEAN,
    'none-on-close': CLEAN,
    'returns-ack': CLEAN,  # client-side variations: the server half is correct's
    'header-in-pieces': CLEAN,
    'no-wait-ready': CLEAN,  # a client-side defect: the server half is correct
    'reads-final-reply': CLEAN,  # a client-side defect: the server half is correct
    'header-single-recv': {**CLEAN, 'split-header': 'FAIL'},
    'image-single-recv': {**CLEAN, 'image-2MiB': '?', 'slow-image': 'FAIL'},
    'json-single-recv': {**CLEAN, 'fragmented': 'FAIL', 'long': 'FAIL', 'split-utf8': 'FAIL'},
    'nonexistent-exception': {**CLEAN, 'fragmented': 'FAIL', 'long': 'FAIL', 'split-utf8': 'FAIL'},
    'utf8-early-decode': {**CLEAN, 'split-utf8': 'FAIL'},
    'utf8-ignore-errors': {**CLEAN, 'split-utf8': 'FAIL'},
    # The image probes speak the reference's framing (8 bytes big-endian, raw). A sample whose own
    # pair uses another framing fails them by design: that says the framing differs, not that the
    # course app breaks (the grader sends each sample's own send_image bytes; EXPECTED.yaml).
    'little-endian-length': {**CLEAN, 'image': 'FAIL', 'split-header': 'FAIL', 'image-2MiB': 'FAIL', 'slow-image': 'FAIL'},
    'four-byte-length': {**CLEAN, 'image': 'FAIL', 'split-header': 'FAIL', 'image-2MiB': 'FAIL', 'slow-image': 'FAIL'},
    'native-order-struct': {**CLEAN, 'image': 'FAIL', 'split-header': 'FAIL', 'image-2MiB': 'FAIL', 'slow-image': 'FAIL'},
    'mismatched-byte-order': {**CLEAN, 'image': 'FAIL', 'split-header': 'FAIL', 'image-2MiB': 'FAIL', 'slow-image': 'FAIL'},
    'base64-image': {**CLEAN, 'image': '?', 'split-header': '?', 'image-2MiB': '?', 'slow-image': '?'},
    'decimal-length-line': {**CLEAN, 'image': '?', 'split-header': '?', 'image-2MiB': '?', 'slow-image': '?'},
    'short-read-heuristic': {**CLEAN, 'image-2MiB': '?', 'slow-image': 'FAIL'},
}
QUIET_SECONDS = 1.0  # asleep this long after our last byte landed: the server waits for bytes that never come
SETTLE_SECONDS = 0.01  # asleep this long: the server has read what we sent so far
CPU_SECONDS = 10  # a server that burns this much of its own CPU in one wait is spinning, not working
CAP_SECONDS = 180  # a bound on any single wait, however busy the machine


def activity(pid):
    """CPU nanoseconds of the server's threads so far, and whether one of them is runnable or in disk wait."""
    spent, busy = 0, False
    try:
        tasks = os.listdir(f'/proc/{pid}/task')
    except OSError:
        return None, False
    for task in tasks:
        try:
            with open(f'/proc/{pid}/task/{task}/stat') as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
            with open(f'/proc/{pid}/task/{task}/schedstat') as f:
                spent += int(f.read().split()[0])
        except (OSError, IndexError, ValueError):
            continue
        busy = busy or state in ('R', 'D')
    return spent, busy


def in_flight(sock):
    """Bytes we sent that the server's kernel has not yet taken (unsent or unacknowledged)."""
    return struct.unpack('i', fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b'\0' * 4))[0]


def wait_for(sock, sample, quiet, readable=False, writable=False):
    """Until the socket is ready (True), or the server has been asleep for `quiet` seconds or spent
    CPU_SECONDS of its CPU (False)."""
    deadline, last, quiet_since = time.monotonic() + CAP_SECONDS, None, time.monotonic()
    first = activity(sample.process.pid)[0] or 0
    while True:
        ready = select.select([sock] if readable else [], [sock] if writable else [], [], 0.002)
        if ready[0] or ready[1]:
            return True
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f'no progress within {CAP_SECONDS} s')
        spent, busy = activity(sample.process.pid)
        if spent is None or spent - first > CPU_SECONDS * 1e9:
            return False
        if busy or spent != last or in_flight(sock):
            last, quiet_since = spent, now
        elif now - quiet_since >= quiet:
            return False


def settle(sock, sample):
    """Wait until the server has read what we sent, so that the next piece reaches it as a read of its own.
    A reply or a close ends the wait too: the server has then read all it is going to."""
    wait_for(sock, sample, SETTLE_SECONDS, readable=True)


def send(sock, sample, data):
    view = memoryview(data)
    while view:
        if not wait_for(sock, sample, QUIET_SECONDS, writable=True):
            raise TimeoutError('the server stopped reading')
        view = view[sock.send(view):]


def read_json(sock, sample, count=1):
    values, buffer, decoder = [], b'', json.JSONDecoder()
    while len(values) < count:
        try:
            text = buffer.decode('utf-8').lstrip()
            value, end = decoder.raw_decode(text)
            values.append(value)
            buffer = text[end:].encode('utf-8')
            continue
        except (UnicodeDecodeError, ValueError):
            pass
        if not wait_for(sock, sample, QUIET_SECONDS, readable=True):
            raise TimeoutError('the server is asleep without replying')
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError('closed')
        buffer += chunk
    return values


class Sample:
    def __init__(self, name):
        self.workspace = tempfile.mkdtemp(prefix='instanet-probe-')
        shutil.copytree(os.path.join(ROOT, name), self.workspace, dirs_exist_ok=True)
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            self.port = s.getsockname()[1]
        self.process = subprocess.Popen([sys.executable, 'server.py', '--port', str(self.port)], cwd=self.workspace,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + CAP_SECONDS
        while True:
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f'{name} did not start')
                time.sleep(0.05)

    def connect(self):
        sock = socket.create_connection(('127.0.0.1', self.port), timeout=CAP_SECONDS)
        sock.setblocking(False)
        return sock

    def stop(self):
        try:
            os.killpg(self.process.pid, 9)
        except OSError:
            pass
        self.process.wait()
        shutil.rmtree(self.workspace, ignore_errors=True)


def probe_fragmented(sample):
    with sample.connect() as s:
        data = json.dumps({'action': 'login', 'username': 'user1', 'password': '123'}).encode()
        for i in range(len(data)):
            send(s, sample, data[i:i + 1])
            settle(s, sample)
        return read_json(s, sample)[0] == {'status': 'success', 'message': 'Login successful'}


def probe_long(sample):
    with sample.connect() as s:
        send(s, sample, json.dumps({'action': 'send_message', 'sender': 'user1', 'receiver': 'user2', 'message': 'x' * 6000,
                                    'timestamp': '2025-01-01T00:00:00', 'is_image': False}).encode())
        return read_json(s, sample)[0].get('message') == 'Message sent'


def probe_split_utf8(sample):
    text = 'سلام 😀 end'
    with sample.connect() as s:
        data = json.dumps({'action': 'send_message', 'sender': 'user3', 'receiver': 'user4', 'message': text,
                           'timestamp': '2025-01-01T00:00:01', 'is_image': False}, ensure_ascii=False).encode()
        cut = data.index('😀'.encode()) + 2
        send(s, sample, data[:cut])
        settle(s, sample)
        send(s, sample, data[cut:])
        if read_json(s, sample)[0].get('message') != 'Message sent':
            return False
        send(s, sample, json.dumps({'action': 'get_messages', 'user1': 'user3', 'user2': 'user4'}).encode())
        return [m['message'] for m in read_json(s, sample)[0]['messages']] == [text]


def image_probe(size, second, split_header=False, slow=False):
    def probe(sample):
        timestamp = f'2025-01-01 00:00:{second:02d}'
        data = bytes((i * 7 + size) % 256 for i in range(size))
        with sample.connect() as s:
            send(s, sample, json.dumps({'action': 'upload_post', 'username': 'user1', 'caption': 'c',
                                        'timestamp': timestamp}).encode())
            if read_json(s, sample)[0] != {'status': 'ready'}:
                return False
            header = struct.pack('!Q', size)
            if split_header:
                send(s, sample, header[:3])
                settle(s, sample)
                send(s, sample, header[3:])
            else:
                send(s, sample, header)
            if slow:
                for i in range(0, size, 1000):
                    send(s, sample, data[i:i + 1000])
                    settle(s, sample)
            else:
                send(s, sample, data)
            replies = read_json(s, sample, 2)
        if replies[1].get('message') != 'Post uploaded successfully':
            return False
        stored = glob.glob(os.path.join(sample.workspace, 'data', 'images', f"user1_{timestamp.replace(':', '-')}.jpg"))
        return bool(stored) and open(stored[0], 'rb').read() == data
    return probe


PROBE_FUNCTIONS = {
    'fragmented': probe_fragmented,
    'long': probe_long,
    'split-utf8': probe_split_utf8,
    'image': image_probe(397, 1),
    'split-header': image_probe(301, 2, split_header=True),
    'image-2MiB': image_probe(2 * 1024 * 1024, 3),
    'slow-image': image_probe(20003, 4, slow=True),
}


def run_sample(name):
    sample = Sample(name)
    row = {}
    try:
        for probe in PROBES:
            try:
                row[probe] = 'pass' if PROBE_FUNCTIONS[probe](sample) else 'FAIL'
            except Exception:
                row[probe] = 'FAIL'
    finally:
        sample.stop()
    return name, row


def main():
    names = sys.argv[1:] or sorted(EXPECTED)
    unknown = [n for n in names if n not in EXPECTED]
    if unknown:
        sys.exit(f'no expected row for: {", ".join(unknown)}')
    with concurrent.futures.ThreadPoolExecutor(max_workers=7) as pool:
        rows = dict(pool.map(run_sample, names))
    mismatches = 0
    print(f'{"sample":24}' + ''.join(f'{p:>14}' for p in PROBES))
    for name in names:
        cells = []
        for probe in PROBES:
            expected, actual = EXPECTED[name][probe], rows[name][probe]
            wrong = expected != '?' and expected != actual
            mismatches += wrong
            cells.append(f'{actual + ("!" if wrong else ""):>14}')
        print(f'{name:24}' + ''.join(cells))
    print(f'{mismatches} unexpected cell(s)')
    sys.exit(1 if mismatches else 0)


if __name__ == '__main__':
    main()
