"""A client that parses exactly one JSON object per recv(), as the course client's login does and
as many students' receive_json_message do. It runs N uploads in a row and reports every recv()
whose bytes were not exactly one JSON object (IMG-6). Prints a JSON summary on stdout.

usage: one-object-per-recv.py HOST PORT COUNT IMAGE_BYTES
"""
import json
import socket
import struct
import sys


def recv_one(sock, log):
    data = sock.recv(65536)
    if not data:
        raise ConnectionError('server closed the connection')
    try:
        value = json.loads(data.decode('utf-8'))
    except ValueError:
        log.append(data.decode('utf-8', 'replace')[:200])
        raise
    return value


def main():
    host, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    sock = socket.create_connection((host, port), timeout=10)
    bad_reads = []
    finals = []
    try:
        sock.sendall(json.dumps({'action': 'login', 'username': 'user1', 'password': '123'}).encode())
        recv_one(sock, bad_reads)
        image = bytes(i % 251 for i in range(size))
        for i in range(count):
            request = {'action': 'upload_post', 'username': 'user1', 'caption': f'post {i}',
                       'timestamp': '2025-05-13 21:52:%02d' % (i % 60)}
            sock.sendall(json.dumps(request).encode())
            ready = recv_one(sock, bad_reads)
            assert ready == {'status': 'ready'}, ready
            sock.sendall(struct.pack('!Q', len(image)) + image)
            ack = recv_one(sock, bad_reads)
            assert ack == {'status': 'success'}, ack
            finals.append(recv_one(sock, bad_reads))
    except Exception as error:  # reported, not raised: the test reads the summary
        print(json.dumps({'ok': False, 'error': repr(error), 'bad_reads': bad_reads, 'finals': finals}))
        return
    finally:
        sock.close()
    print(json.dumps({'ok': True, 'bad_reads': bad_reads, 'finals': finals}))


main()
