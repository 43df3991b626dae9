#!/usr/bin/env python3
"""Regenerates the mutant and benign samples under fixtures/submissions/ from `correct`.

Each variant is a copy of `correct` whose socket_utils.py differs by exactly one edit (one
classic defect, or one benign variation). The edits are exact text replacements that must match
once, so a change to `correct` that invalidates an edit fails loudly here instead of silently
producing a sample that no longer carries its defect. Run: python3 harness/tools/make-submission-variants.py
"""
import os
import shutil
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'submissions')
CORRECT = os.path.join(ROOT, 'correct')

RECV_JSON_CORRECT = '''    buffer = _pending.pop(sock, b'')
    decoder = json.JSONDecoder()
    while True:
        if buffer.strip():
            try:
                text = buffer.decode('utf-8')
                stripped = text.lstrip()'''

RECV_JSON_BODY = '''    buffer = _pending.pop(sock, b'')
    decoder = json.JSONDecoder()
    while True:
        if buffer.strip():
            try:
                text = buffer.decode('utf-8')
                stripped = text.lstrip()
                message, end = decoder.raw_decode(stripped)
                # Whitespace after an object ends it (a trailing newline); it is never image bytes.
                rest = stripped[end:].lstrip().encode('utf-8')
                if rest:
                    _pending[sock] = rest
                return message
            except (UnicodeDecodeError, json.JSONDecodeError):
                # Incomplete: a character or the object is cut short; read more.
                pass
        chunk = sock.recv(buffer_size)
        if not chunk:
            raise RuntimeError('Connection closed before a whole message arrived')
        buffer += chunk
'''

RECV_JSON_CHUNK = '''        chunk = sock.recv(buffer_size)
        if not chunk:
            raise RuntimeError('Connection closed before a whole message arrived')
        buffer += chunk
'''

RECV_IMAGE_BODY = '''    header = _recv_exact(sock, 8)
    (size,) = struct.unpack('!Q', header)
    return _recv_exact(sock, size)
'''

SEND_WITH_IMAGE = '''    send_json_message(sock, message)
    reply = receive_json_message(sock)
    if reply.get('status') != 'ready':
        raise RuntimeError(f'Server not ready to receive the image: {reply}')
    send_image(sock, image_data)
'''

ACK_CHECK = '''    ack = receive_json_message(sock)
    if ack.get('status') != 'success':
        raise RuntimeError(f'Image upload failed: {ack}')
'''

SEND_JSON = "        sock.sendall(json.dumps(message).encode('utf-8'))"

SEND_IMAGE_BODY = '''        sock.sendall(struct.pack('!Q', len(image_data)))
        sock.sendall(image_data)
'''


def early_decode(decode_call):
    return [
        (RECV_JSON_CORRECT, RECV_JSON_CORRECT
            .replace("buffer = _pending.pop(sock, b'')", "buffer = _pending.pop(sock, b'').decode('utf-8')")
            .replace("text = buffer.decode('utf-8')", 'text = buffer'), 1),
        (RECV_JSON_CHUNK, RECV_JSON_CHUNK.replace('buffer += chunk', f'buffer += {decode_call}'), 1),
    ]


def recv_size(size):
    return [(RECV_JSON_CHUNK, RECV_JSON_CHUNK.replace('sock.recv(buffer_size)', f'sock.recv({size})'), 1)]


# name: (kind, requirement, scenario kind that catches it, defect sentence, [(old, new, count)])
VARIANTS = {
    'header-single-recv': ('mutant', 'IMG-2', 'image with the 8-byte length header split across writes',
        'receive_image reads the 8-byte length with a single recv(8), so a split header is misread',
        [(RECV_IMAGE_BODY, RECV_IMAGE_BODY.replace('header = _recv_exact(sock, 8)', 'header = sock.recv(8)'), 1)]),
    'image-single-recv': ('mutant', 'IMG-3', '2 MiB image upload / image DM (and slow image bytes)',
        'receive_image reads the image with one recv(size), so realistic photos are truncated',
        [(RECV_IMAGE_BODY, RECV_IMAGE_BODY.replace('return _recv_exact(sock, size)', 'return sock.recv(size)'), 1)]),
    'json-single-recv': ('mutant', 'FRAME-2, FRAME-4', 'request fragmented into small writes; DM over 4096 bytes',
        'receive_json_message parses a single recv(4096), so fragmented or >4096-byte messages fail',
        [(RECV_JSON_BODY, '''    data = sock.recv(buffer_size)
    if not data:
        return None
    return json.loads(data.decode('utf-8'))
''', 1)]),
    'utf8-early-decode': ('mutant', 'FRAME-3', 'Arabic/emoji request split inside a multi-byte character',
        'receive_json_message decodes every chunk as UTF-8 on arrival, so a character split across reads raises UnicodeDecodeError and the connection drops',
        early_decode("chunk.decode('utf-8')")),
    'utf8-ignore-errors': ('mutant', 'DM-3', 'Arabic/emoji DM split inside a character, then read back with get_messages',
        "receive_json_message decodes every chunk with errors='ignore', so a character split across reads is silently lost from the stored text",
        early_decode("chunk.decode('utf-8', errors='ignore')")),
    # The image framing is the student's own (protocol-notes, "What the course fixes"): only their
    # receive_image reads what their send_image writes. A consistent pair is a working course app.
    'little-endian-length': ('benign', 'IMG-2', 'must score 100: the course app works (the kit sends and receives images with the student\'s own pair)',
        "the image length is packed and read as little-endian '<Q' on both sides (the reference uses big-endian '!Q')",
        [("struct.pack('!Q'", "struct.pack('<Q'", 1), ("struct.unpack('!Q'", "struct.unpack('<Q'", 1)]),
    'four-byte-length': ('benign', 'IMG-2', 'must score 100: the course app works (the kit sends and receives images with the student\'s own pair)',
        "the image length is a 4-byte '!I' integer on both sides instead of the reference's 8-byte '!Q'",
        [("struct.pack('!Q'", "struct.pack('!I'", 1), ("struct.unpack('!Q'", "struct.unpack('!I'", 1),
         ('header = _recv_exact(sock, 8)', 'header = _recv_exact(sock, 4)', 1)]),
    'native-order-struct': ('benign', 'IMG-2', 'must score 100: the course app works (native order is little-endian on x86, on both sides)',
        "the image length is packed and read with struct's native 'Q' (no byte order given), as the OpenCV socket-streaming tutorials do",
        [("struct.pack('!Q'", "struct.pack('Q'", 1), ("struct.unpack('!Q'", "struct.unpack('Q'", 1)]),
    'base64-image': ('benign', 'IMG-3', 'must score 100: the course app works (the assignment\'s Task 5 hint suggests Base64)',
        'send_image Base64-encodes the image and sends the 8-byte length of the encoded text, then the text; receive_image reads them and decodes',
        [('import json\n', 'import base64\nimport json\n', 1),
         (SEND_IMAGE_BODY, '''        encoded = base64.b64encode(image_data)
        sock.sendall(struct.pack('!Q', len(encoded)))
        sock.sendall(encoded)
''', 1),
         (RECV_IMAGE_BODY, '''    header = _recv_exact(sock, 8)
    (size,) = struct.unpack('!Q', header)
    return base64.b64decode(_recv_exact(sock, size))
''', 1)]),
    'decimal-length-line': ('benign', 'IMG-2', 'must score 100: the course app works (the same pair writes and reads the length)',
        "send_image writes the length as decimal text and a newline (b'5000\\n'), then the raw bytes; receive_image reads up to the newline, then exactly that many bytes",
        [(SEND_IMAGE_BODY, '''        sock.sendall(f'{len(image_data)}\\n'.encode('ascii'))
        sock.sendall(image_data)
''', 1),
         (RECV_IMAGE_BODY, '''    digits = b''
    while True:
        byte = _recv_exact(sock, 1)
        if byte == b'\\n':
            break
        digits += byte
    return _recv_exact(sock, int(digits.decode('ascii')))
''', 1)]),
    'mismatched-byte-order': ('mutant', 'IMG-2', 'any image upload or image DM: the student\'s receive_image waits for about 2^56 bytes after their own send_image (server 5.1.1 / 6.1.1), and the kit\'s receive with it fails too (client.5.x / client.6.x)',
        "send_image packs the length big-endian '!Q' but receive_image reads it little-endian '<Q': the pair disagrees, so the course's server.py cannot read what client.py sends",
        [("struct.unpack('!Q'", "struct.unpack('<Q'", 1)]),
    'nonexistent-exception': ('mutant', 'FRAME-2', 'request fragmented into small writes',
        'receive_json_message catches json.JSONEncodeError, which does not exist, so the first incomplete parse raises AttributeError and the connection drops',
        [('except (UnicodeDecodeError, json.JSONDecodeError):', 'except (UnicodeDecodeError, json.JSONEncodeError):', 1)]),
    'short-read-heuristic': ('mutant', 'IMG-3', 'slow image bytes (image sent in delayed pieces)',
        'receive_image stops reading as soon as one recv returns fewer bytes than asked, so slowly arriving images are truncated',
        [(RECV_IMAGE_BODY, '''    header = _recv_exact(sock, 8)
    (size,) = struct.unpack('!Q', header)
    data = b''
    while len(data) < size:
        wanted = min(size - len(data), BUFFER_SIZE)
        chunk = sock.recv(wanted)
        data += chunk
        if len(chunk) < wanted:
            break  # a short read is taken to mean the sender is done
    return data
''', 1)]),
    'no-wait-ready': ('mutant', 'CLNT-1', "grader's Python client driver, image flows client.5.x / client.6.x (the server side is correct, so the harness passes it)",
        'send_json_message_with_image sends the length and image right after the request, without waiting for {"status": "ready"}',
        [(SEND_WITH_IMAGE, '''    send_json_message(sock, message)
    send_image(sock, image_data)
    reply = receive_json_message(sock)
    if reply.get('status') != 'ready':
        raise RuntimeError(f'Server not ready to receive the image: {reply}')
''', 1)]),
    'reads-final-reply': ('mutant', 'CLNT-1', "grader's client driver, image flows client.5.x / client.6.x: client.py's own receive_json_message after the call finds nothing (the server side is correct)",
        "send_json_message_with_image also reads the action's final reply and returns it, so client.py, which reads the final reply itself, waits for a reply that was already consumed",
        [(ACK_CHECK, ACK_CHECK + '    return receive_json_message(sock)\n', 1),
         ('def send_json_message_with_image(sock: socket.socket, message: Dict, image_data: bytes) -> None:',
          'def send_json_message_with_image(sock: socket.socket, message: Dict, image_data: bytes) -> Dict:', 1)]),
    'trailing-newline': ('benign', 'FRAME-5', 'must pass everything the correct sample passes',
        "send_json_message appends '\\n' after every JSON object",
        [(SEND_JSON, "        sock.sendall((json.dumps(message) + '\\n').encode('utf-8'))", 1)]),
    'raw-utf8': ('benign', 'FRAME-8', 'must pass everything the correct sample passes',
        "send_json_message writes raw UTF-8 (ensure_ascii=False) with compact separators",
        [(SEND_JSON, "        sock.sendall(json.dumps(message, ensure_ascii=False, separators=(',', ':')).encode('utf-8'))", 1)]),
    'indented-json': ('benign', 'FRAME-5', 'must pass everything the correct sample passes (replies with sorted keys and newlines inside)',
        'send_json_message writes json.dumps(message, indent=2, sort_keys=True): other spacing, other key order',
        [(SEND_JSON, "        sock.sendall(json.dumps(message, indent=2, sort_keys=True).encode('utf-8'))", 1)]),
    'bind-all': ('benign', 'CONN-1', 'must pass everything the correct sample passes',
        "create_server_socket binds 0.0.0.0 whatever host it is given",
        [('server_socket.bind((host, port))', "server_socket.bind(('0.0.0.0', port))", 1)]),
    'starter-style-receive': ('benign', 'FRAME-2', 'must pass everything the correct sample passes, except the ungraded CLNT-4 check client.7.1',
        'receive_json_message appends recv chunks and runs json.loads on the whole buffer after each one (the way the starter TODO describes), catching ValueError, and returns None on a closed connection',
        [(RECV_JSON_BODY, '''    buffer = b''
    while True:
        chunk = sock.recv(buffer_size)
        if not chunk:
            return None
        buffer += chunk
        try:
            return json.loads(buffer.decode('utf-8'))
        except ValueError:
            continue  # incomplete JSON or a character cut short: read more
''', 1)]),
    'byte-at-a-time': ('benign', 'FRAME-2', 'must pass everything the correct sample passes (slower)',
        "receive_json_message reads one byte per recv and tries to parse at every '}'",
        [(RECV_JSON_CHUNK, '''        chunk = sock.recv(1)
        if not chunk:
            raise RuntimeError('Connection closed before a whole message arrived')
        buffer += chunk
        while chunk != b'}':
            chunk = sock.recv(1)
            if not chunk:
                raise RuntimeError('Connection closed before a whole message arrived')
            buffer += chunk
''', 1)]),
    'small-buffer': ('benign', 'FRAME-2', 'must pass everything the correct sample passes',
        'receive_json_message reads in 256-byte chunks instead of buffer_size', recv_size(256)),
    'large-buffer': ('benign', 'FRAME-2', 'must pass everything the correct sample passes',
        'receive_json_message reads in 65536-byte chunks instead of buffer_size', recv_size(65536)),
    'none-on-close': ('benign', 'FRAME-2', 'must pass everything the correct sample passes',
        'receive_json_message returns None on a closed connection instead of raising RuntimeError (both are within the contract)',
        [(RECV_JSON_CHUNK, RECV_JSON_CHUNK.replace(
            "            raise RuntimeError('Connection closed before a whole message arrived')", '            return None'), 1)]),
    'returns-ack': ('benign', 'CLNT-1', 'must pass everything the correct sample passes: client.py ignores the result',
        'send_json_message_with_image returns the {"status": "success"} acknowledgement instead of None',
        [(ACK_CHECK, ACK_CHECK + '    return ack\n', 1)]),
    'header-in-pieces': ('benign', 'CLNT-2', 'must pass everything the correct sample passes',
        'send_image writes the 8-byte length in three writes, then the image with a send() loop that handles partial sends',
        [(SEND_IMAGE_BODY, '''        header = struct.pack('!Q', len(image_data))
        for piece in (header[:3], header[3:5], header[5:]):
            sock.sendall(piece)
        view = memoryview(image_data)
        while view:
            sent = sock.send(view[:65536])
            view = view[sent:]
''', 1)]),
}


def main():
    with open(os.path.join(CORRECT, 'socket_utils.py'), encoding='utf-8') as f:
        source = f.read()
    for name, (kind, requirement, catcher, sentence, edits) in VARIANTS.items():
        text = source
        for old, new, count in edits:
            found = text.count(old)
            if found != count:
                sys.exit(f'{name}: expected {count} match(es) of {old!r}, found {found}')
            text = text.replace(old, new)
        if text == source:
            sys.exit(f'{name}: the edits changed nothing')
        target = os.path.join(ROOT, name)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(CORRECT, target, ignore=shutil.ignore_patterns('__pycache__', 'DEFECT.md'))
        with open(os.path.join(target, 'socket_utils.py'), 'w', encoding='utf-8') as f:
            f.write(text)
        label = 'Defect' if kind == 'mutant' else 'Benign variation'
        verb = 'breaks' if kind == 'mutant' else 'exercises'
        caught = 'caught by' if kind == 'mutant' else 'expected:'
        with open(os.path.join(target, 'DEFECT.md'), 'w', encoding='utf-8') as f:
            f.write(f'{label}: {sentence}; {verb} {requirement}; {caught} {catcher}.\n')
        print(f'{name}: written')


if __name__ == '__main__':
    main()
