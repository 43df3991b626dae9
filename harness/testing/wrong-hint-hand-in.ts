import { appendFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Issue 22, "the wrong hint": the hand-in's receive_image refuses a short header read ("Incomplete
// image size received"), and its receive_json_message decodes the whole buffer but catches only
// JSONDecodeError. Reasoned from server.py: in 5.2.2 the header arrives as 3 bytes, then the other
// 5 with the image; receive_image fails on the 3 ("Error saving image: ..."), the server answers
// "Failed to save image" twice and reads the rest as the next request: 00 00 00 13 88 ... (5000 is
// 0x1388), so a UnicodeDecodeError at byte 0x88, position 4, ends that connection: a consequence,
// printed after the cause. And every connection closed by its client ends in
// json.loads('') -> "Expecting value", printed once the previous case's connection is gone, which
// may be while the next case runs.
export const WRONG_HINT_LAYER = `

# Appended by harness/testing/wrong-hint-hand-in.ts: these replace the two functions above (issue 22's hand-in).
def receive_json_message(sock, buffer_size=BUFFER_SIZE):
    buffer = b''
    while True:
        chunk = sock.recv(buffer_size)
        buffer += chunk
        try:
            return json.loads(buffer.decode('utf-8'))
        except json.JSONDecodeError:
            if not chunk:
                raise


def receive_image(sock):
    header = sock.recv(8)
    if len(header) < 8:
        raise RuntimeError('Incomplete image size received')
    (size,) = struct.unpack('!Q', header)
    return _recv_exact(sock, size)
`;

const HEADER_SINGLE_RECV = fileURLToPath(new URL('../../fixtures/submissions/header-single-recv', import.meta.url));

/** Writes issue 22's hand-in (header-single-recv's files with the layer above) to `dir`; returns it. */
export async function wrongHintHandIn(dir: string): Promise<string> {
  await cp(HEADER_SINGLE_RECV, dir, { recursive: true });
  await appendFile(path.join(dir, 'socket_utils.py'), WRONG_HINT_LAYER);
  return dir;
}
