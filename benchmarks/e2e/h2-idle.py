#!/usr/bin/env python3
"""Holds N idle HTTP/2 connections to 127.0.0.1:PORT for HOLD seconds (run-h2.sh's memory test).

Each connection: TLS (any certificate accepted, SNI ecdsa.bench.test, status_request not needed),
ALPN h2 required, the client preface and an empty SETTINGS frame sent, the server's SETTINGS read
and acknowledged; then nothing, as a browser's connection between page loads. Prints "HELD n" once
all are open, then sleeps. Standard library only (no python h2 package).
"""
import socket, ssl, sys, time

port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
ACK = b"\x00\x00\x00\x04\x01\x00\x00\x00\x00"
conns, errors = [], 0
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        t = ctx.wrap_socket(s, server_hostname="ecdsa.bench.test")
        if t.selected_alpn_protocol() != "h2":
            raise RuntimeError("ALPN " + str(t.selected_alpn_protocol()))
        t.sendall(PREFACE)
        head = b""
        while len(head) < 9:  # the server's first frame is its SETTINGS (RFC 9113 3.4)
            head += t.recv(9 - len(head))
        length = int.from_bytes(head[:3], "big")
        left = length
        while left > 0:
            left -= len(t.recv(left))
        if head[3] != 4:
            raise RuntimeError("first frame type %d" % head[3])
        t.sendall(ACK)
        conns.append(t)
    except Exception as e:  # counted, not fatal: the held count is what is reported
        errors += 1
        if errors <= 3:
            print("error on connection %d: %r" % (i, e), file=sys.stderr)
print("HELD %d errors=%d" % (len(conns), errors), flush=True)
time.sleep(hold)
