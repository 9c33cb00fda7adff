#!/usr/bin/env python3
"""Connection hardening figures (docs/security.md): clients that pipeline requests and
never read the answers, against a release `switchboard serve` on 127.0.0.1.

Usage: scripts/conn-attack.py [CONNECTIONS] [SECONDS]   (defaults: 2000, 60)

Starts target/release/switchboard on a free loopback port with the repository's flows/,
opens CONNECTIONS sockets that each send pipelined `GET /healthz` requests until the server
stops reading them, and never read a byte. Every second it prints how many connections the
server holds (its /readyz gauge), its RSS, and whether a fresh probe is answered. Bounded:
it stops after SECONDS and kills the server. Loopback only.
"""
import json, os, socket, subprocess, sys, time

conns = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 60
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.path.join(root, "target/release/switchboard")

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
env = dict(os.environ, TWILIO_AUTH_TOKEN="conn-attack-token")
server = subprocess.Popen([binary, "serve", "--flows", os.path.join(root, "flows"),
                           "--listen", f"127.0.0.1:{port}", "--log", "error"],
                          env=env, stderr=subprocess.DEVNULL)

def rss_mb():
    with open(f"/proc/{server.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def readyz(timeout=2.0):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        c.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        c.close()
        return json.loads(data.split(b"\r\n\r\n", 1)[1])
    except (OSError, ValueError, IndexError):
        return None

try:
    for _ in range(100):
        if readyz(0.5):
            break
        time.sleep(0.1)
    print(f"server pid {server.pid} on port {port}; RSS at rest {rss_mb():.1f} MB")
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 1000
    socks = []
    start = time.time()
    for i in range(conns):
        try:
            c = socket.socket()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            socks.append(c)
        except OSError as e:
            print(f"client socket {i}: {e}")
            break
    time.sleep(0.5)
    sent = 0
    for _round in range(20):  # up to 20,000 pipelined requests per connection
        for c in socks:
            try:
                sent += c.send(req)
            except OSError:
                pass
    print(f"{len(socks)} connections opened, {sent / len(req[:35]):.0f} requests sent "
          f"in {time.time() - start:.1f} s; never reading")
    peak = 0.0
    for t in range(seconds):
        time.sleep(1)
        r = readyz()
        held = r["counters"]["connections"] - 1 if r else None
        peak = max(peak, rss_mb())
        print(f"t={t + 1:3d}s held={held} rss={rss_mb():.1f}MB probe={'ok' if r else 'NO ANSWER'}")
        if r and held == 0 and t > 5:
            break
    print(f"peak RSS {peak:.1f} MB")
finally:
    server.kill()
    server.wait()
