"""Second load generator for the server bench: one connection, log in, then get_all_users in a
closed loop, timing each reply with perf_counter. It shares nothing with the kit's Node client, so
when both generators see the same gap between two servers, the gap is the servers'.

usage: python3 get_all_users_probe.py PORT COUNT  -> prints {"p50Ms": ..., "p99Ms": ..., "n": ...}
"""
import json
import socket
import sys
import time

DECODER = json.JSONDecoder()


def read_reply(sock, buf):
    while True:
        text = buf.lstrip()
        if text:
            try:
                value, end = DECODER.raw_decode(text.decode("utf-8"))
                rest = text.decode("utf-8")[end:].encode("utf-8")
                return value, rest
            except ValueError:
                pass
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    sock.sendall(json.dumps({"action": "login", "username": "user1", "password": "123"}).encode())
    reply, buf = read_reply(sock, buf)
    if reply.get("status") != "success":
        raise SystemExit(f"login failed: {reply}")
    request = json.dumps({"action": "get_all_users"}).encode()
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        sock.sendall(request)
        reply, buf = read_reply(sock, buf)
        times.append((time.perf_counter() - t0) * 1000)
        if reply.get("status") != "success":
            raise SystemExit(f"reply: {reply}")
    sock.close()
    times.sort()
    print(json.dumps({"n": len(times), "p50Ms": round(times[len(times) // 2], 3), "p99Ms": round(times[int(len(times) * 0.99)], 3)}))


if __name__ == "__main__":
    main()
