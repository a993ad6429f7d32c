#!/usr/bin/env python3
"""ng-protocol client for the relay benchmark (tools/bench/relay): sets up calls on rtpengine.

    relay_rtpengine.py setup --ng 127.0.0.1:2223 --calls N --tag T --out FILE [options]
    relay_rtpengine.py statistics --ng 127.0.0.1:2223
    relay_rtpengine.py ping --ng 127.0.0.1:2223 [--wait SECONDS]

setup: for call i (0-based) an `offer` (caller --caller-ip:--caller-port+2i, PCMA/8000,
RTP/AVP, ptime 20) and then an `answer` (callee --callee-ip, RTP port taken in turn from
--callee-ports: all calls send their callee leg to those few ports, where the load
generator's receiver counts packets). From the answer's SDP (what the caller is told) it
takes the address and port where rtpengine expects the caller's RTP, and writes FILE: one
line per call "index<TAB>ip<TAB>port" (the load generator sends there). Requests are
pipelined (--window outstanding, matched by cookie) and retransmitted with the same cookie
after --timeout s (rtpengine answers a repeated cookie from its cache); a call that fails
stops the run with the error. Prints one line: "setup calls=N seconds=S per_s=R".

--srtp SUITE (tools/bench/srtp): the callee's leg is SRTP with SDES (RFC 4568): the offer
asks rtpengine for RTP/SAVP towards the callee ("transport-protocol"), rtpengine puts its own
a=crypto lines in the SDP it returns, and the answer takes the line of SUITE (its tag) with a
key of the callee's. The caller's leg stays RTP/AVP: what the load generator sends as RTP,
rtpengine protects with its key before it forwards it (RTP -> SRTP).

statistics: prints rtpengine's `statistics` answer as JSON. ping: exits 0 once rtpengine
answers a `ping` (polling for --wait seconds), 1 otherwise.

Only the standard library; bencode as the ng protocol uses it (byte strings, integers,
lists, dictionaries).
"""

import argparse
import base64
import json
import os
import re
import socket
import sys
import time


# --- bencode -------------------------------------------------------------------------------

def benc(v):
    if isinstance(v, bytes):
        return str(len(v)).encode() + b":" + v
    if isinstance(v, str):
        return benc(v.encode())
    if isinstance(v, bool):
        return benc(int(v))
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, (list, tuple)):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        out = b"d"
        for k in sorted(v, key=lambda k: k.encode() if isinstance(k, str) else k):
            out += benc(k) + benc(v[k])
        return out + b"e"
    raise TypeError(f"cannot bencode {type(v)}")


def bdec(data, i=0):
    c = data[i:i + 1]
    if c == b"i":
        j = data.index(b"e", i)
        return int(data[i + 1:j]), j + 1
    if c == b"l":
        i += 1
        out = []
        while data[i:i + 1] != b"e":
            v, i = bdec(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while data[i:i + 1] != b"e":
            k, i = bdec(data, i)
            v, i = bdec(data, i)
            out[k.decode(errors="replace")] = v
        return out, i + 1
    j = data.index(b":", i)
    n = int(data[i:j])
    return data[j + 1:j + 1 + n], j + 1 + n


def plain(v):
    """bencode result -> JSON-able (byte strings decoded)."""
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


# --- ng over UDP ---------------------------------------------------------------------------

class Ng:
    def __init__(self, addr, timeout):
        host, port = addr.rsplit(":", 1)
        self.dest = (host, int(port))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.timeout = timeout
        self.seq = 0
        self.prefix = f"{os.getpid():x}"

    def cookie(self):
        self.seq += 1
        return f"{self.prefix}_{self.seq:x}".encode()

    def send(self, cookie, msg):
        self.sock.sendto(cookie + b" " + benc(msg), self.dest)

    def recv(self, wait):
        """One reply (cookie, dict) or None after `wait` seconds."""
        self.sock.settimeout(max(wait, 0.0001))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return None
        cookie, _, body = data.partition(b" ")
        try:
            msg, _ = bdec(body)
        except (ValueError, IndexError):
            return cookie, {"result": b"error", "error-reason": b"undecodable reply"}
        return cookie, msg

    def call(self, msg, tries=5):
        c = self.cookie()
        for _ in range(tries):
            self.send(c, msg)
            end = time.monotonic() + self.timeout
            while True:
                r = self.recv(end - time.monotonic())
                if r is None:
                    break
                if r[0] == c:
                    return r[1]
        raise TimeoutError(f"no answer from rtpengine at {self.dest[0]}:{self.dest[1]}")


def sdp(ip, port, sess, proto="RTP/AVP", extra=""):
    return (f"v=0\r\no=- {sess} 1 IN IP4 {ip}\r\ns=bench\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            f"m=audio {port} {proto} 8\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\na=sendrecv\r\n"
            + extra)


# SDES master key + salt lengths (bytes) of the suites rtpengine and the relay share.
SDES_KEY_BYTES = {"AES_CM_128_HMAC_SHA1_80": 30, "AES_CM_128_HMAC_SHA1_32": 30,
                  "AEAD_AES_128_GCM": 28, "AEAD_AES_256_GCM": 44}
CRYPTO = re.compile(rb"^a=crypto:(\d+) ([A-Z0-9_]+) ", re.M)


def crypto_tag(sdp_bytes, suite):
    for m in CRYPTO.finditer(sdp_bytes):
        if m.group(2).decode() == suite:
            return int(m.group(1))
    offered = [m.group(2).decode() for m in CRYPTO.finditer(sdp_bytes)]
    raise ValueError(f"rtpengine offered no a=crypto for {suite} (it offered {offered or 'none'})")


MEDIA = re.compile(rb"^m=audio (\d+) ", re.M)
CONN = re.compile(rb"^c=IN IP4 ([0-9.]+)", re.M)


def media_target(sdp_bytes):
    m = MEDIA.search(sdp_bytes)
    c = CONN.search(sdp_bytes)
    if not m or not c:
        raise ValueError("no c=/m=audio in rtpengine's SDP")
    return c.group(1).decode(), int(m.group(1))


def parse_ports(text):
    if ".." in text:
        lo, hi = text.split("..")
        return list(range(int(lo), int(hi) + 1))
    return [int(p) for p in text.split(",")]


def cmd_setup(a):
    ng = Ng(a.ng, a.timeout)
    callee_ports = parse_ports(a.callee_ports)
    n = a.calls
    targets = [None] * n
    # state per call: 0 = offer outstanding, 1 = answer outstanding, 2 = done
    pending = {}  # cookie -> (call index, stage, message, sent at, tries)
    next_call = 0
    done = 0
    start = time.monotonic()
    deadline = start + a.max_seconds

    if a.srtp and a.srtp not in SDES_KEY_BYTES:
        sys.exit(f"setup: unknown SRTP suite {a.srtp}")
    tags = {}  # call -> the a=crypto tag of --srtp in rtpengine's offer

    def offer(i):
        m = {"command": "offer", "call-id": f"{a.tag}-{i}", "from-tag": f"a{i}",
             "sdp": sdp(a.caller_ip, a.caller_port + 2 * (i % 16384), i),
             "replace": ["origin"], "ICE": "remove"}
        if a.srtp:
            m["transport-protocol"] = "RTP/SAVP"
        return m

    def answer(i):
        proto, extra = "RTP/AVP", ""
        if a.srtp:
            # The callee's key: benchmark traffic only (it never sends; the key is unused).
            key = base64.b64encode(os.urandom(SDES_KEY_BYTES[a.srtp])).decode()
            proto, extra = "RTP/SAVP", f"a=crypto:{tags[i]} {a.srtp} inline:{key}\r\n"
        return {"command": "answer", "call-id": f"{a.tag}-{i}", "from-tag": f"a{i}",
                "to-tag": f"b{i}",
                "sdp": sdp(a.callee_ip, callee_ports[i % len(callee_ports)], i, proto, extra),
                "replace": ["origin"], "ICE": "remove"}

    def issue(i, stage, msg):
        c = ng.cookie()
        ng.send(c, msg)
        pending[c] = (i, stage, msg, time.monotonic(), 1)

    while done < n:
        while next_call < n and len(pending) < a.window:
            issue(next_call, 0, offer(next_call))
            next_call += 1
        now = time.monotonic()
        if now > deadline:
            sys.exit(f"setup: gave up after {a.max_seconds} s with {done} of {n} calls set up")
        r = ng.recv(0.05)
        if r is None:
            for c, (i, stage, msg, sent, tries) in list(pending.items()):
                if now - sent > a.timeout:
                    if tries >= 5:
                        sys.exit(f"setup: no answer for call {i} after {tries} tries")
                    ng.send(c, msg)
                    pending[c] = (i, stage, msg, now, tries + 1)
            continue
        c, msg = r
        if c not in pending:
            continue  # a late duplicate
        i, stage, _, _, _ = pending.pop(c)
        if msg.get("result") != b"ok":
            reason = plain(msg.get("error-reason", msg.get("result", b"?")))
            sys.exit(f"setup: {'offer' if stage == 0 else 'answer'} of call {i} failed: {reason} "
                     f"({done} calls were up)")
        if stage == 0:
            if a.srtp:
                try:
                    tags[i] = crypto_tag(msg["sdp"], a.srtp)
                except ValueError as e:
                    sys.exit(f"setup: offer of call {i}: {e}")
            issue(i, 1, answer(i))
        else:
            targets[i] = media_target(msg["sdp"])
            done += 1
            if a.progress and done % a.progress == 0:
                print(f"  {done} calls up ({time.monotonic() - start:.1f} s)", flush=True)
    secs = time.monotonic() - start
    with open(a.out, "w", encoding="ascii") as f:
        for i, (ip, port) in enumerate(targets):
            f.write(f"{i}\t{ip}\t{port}\n")
    print(f"setup calls={n} seconds={secs:.2f} per_s={n / secs:.0f}")


def cmd_statistics(a):
    ng = Ng(a.ng, a.timeout)
    print(json.dumps(plain(ng.call({"command": "statistics"})), indent=1, sort_keys=True))


def cmd_ping(a):
    ng = Ng(a.ng, 0.2)
    end = time.monotonic() + a.wait
    while time.monotonic() < end:
        try:
            if ng.call({"command": "ping"}, tries=1).get("result") == b"pong":
                return 0
        except TimeoutError:
            pass
        time.sleep(0.1)
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--calls", type=int, required=True)
    s.add_argument("--tag", required=True, help="call-id prefix (fresh per set of calls)")
    s.add_argument("--out", required=True)
    s.add_argument("--caller-ip", default="127.0.0.2")
    s.add_argument("--caller-port", type=int, default=20000)
    s.add_argument("--callee-ip", default="127.0.0.3")
    s.add_argument("--callee-ports", default="40000..40007")
    s.add_argument("--window", type=int, default=32)
    s.add_argument("--max-seconds", type=float, default=900)
    s.add_argument("--progress", type=int, default=0, help="print every N calls")
    s.add_argument("--srtp", default="", help="SDES suite: the callee's leg is RTP/SAVP")
    for p in (s, sub.add_parser("statistics"), sub.add_parser("ping")):
        p.add_argument("--ng", default="127.0.0.1:2223")
        p.add_argument("--timeout", type=float, default=2.0)
        if p.prog.endswith("ping"):
            p.add_argument("--wait", type=float, default=10)
    a = ap.parse_args()
    return {"setup": cmd_setup, "statistics": cmd_statistics, "ping": cmd_ping}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
