#!/usr/bin/env python3
"""Requests lost on SIGTERM (docs/security.md): CLIENTS keep-alive connections send
`GET /healthz` back to back to a release `switchboard serve`; after a second the server gets
SIGTERM. A request counts as lost when it was written whole on a connection whose previous
answer did not say `Connection: close`, and the connection then closed with no answer.

Usage: scripts/sigterm-load.py [CLIENTS] [ROUNDS]   (defaults: 64, 5). Loopback only,
bounded (each round ends when the server exits, at most 30 s).
"""
import os, signal, socket, subprocess, sys, threading, time

clients = int(sys.argv[1]) if len(sys.argv) > 1 else 64
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.path.join(root, "target/release/switchboard")
REQ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

def client(port, stats, lock, stop):
    answered = lost = 0
    deadline = time.time() + 30
    while not stop.is_set() and time.time() < deadline:
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            break  # listener closed: shutdown has begun
        closing = False
        while not closing:
            try:
                c.sendall(REQ)
            except OSError:
                break
            data = b""
            try:
                while not (b"\r\n\r\n" in data and data.endswith(b"ok\n")):
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            if not data.endswith(b"ok\n"):
                if not data:
                    lost += 1
                break
            answered += 1
            closing = b"connection: close" in data.lower()
        c.close()
    with lock:
        stats[0] += answered
        stats[1] += lost

total = [0, 0]
for r in range(rounds):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    env = dict(os.environ, TWILIO_AUTH_TOKEN="sigterm-token")
    server = subprocess.Popen([binary, "serve", "--flows", os.path.join(root, "flows"),
                               "--listen", f"127.0.0.1:{port}", "--log", "error"],
                              env=env, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    stats, lock, stop = [0, 0], threading.Lock(), threading.Event()
    threads = [threading.Thread(target=client, args=(port, stats, lock, stop)) for _ in range(clients)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    server.send_signal(signal.SIGTERM)
    code = server.wait(timeout=30)
    stop.set()
    for t in threads:
        t.join()
    print(f"round {r + 1}: {stats[0]} answered, {stats[1]} lost, exit code {code}")
    total[0] += stats[0]; total[1] += stats[1]
print(f"total: {total[0]} answered, {total[1]} lost over {rounds} rounds of {clients} connections")
