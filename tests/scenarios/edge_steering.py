#!/usr/bin/env python3
"""The caller and the callee cannot steer sbcd, and bodies do not leak (issue 14, defects 10, 11).

    edge_steering.py --sbcd build/bin/sbcd

Real sockets, a real sbcd, on loopback addresses of its own (no lab port is shared, so it
may run beside the other scenario tests): access 127.0.0.141:5170, core 127.0.0.142:5170, the
callee (trunk) 127.0.0.143:5180, the caller 127.0.0.145:5190, a spoofer 127.0.0.146:5190, and a
"third host" 127.0.0.144 that listens on UDP and TCP ports 5071-5074 and must hear nothing.
Both realms are untrusted (the default). Steps, each bounded in time:
  1. an INVITE with a malformed multipart body is answered 400;
  2. the caller sends an INVITE whose Record-Route and Contact name the third host over TCP
     and whose body is SIP-I (SDP + an ISUP part naming 10.20.30.41); the callee must get a
     plain SDP body with no ISUP; it answers 200 with its own SIP-I body and a Record-Route
     and Contact at the third host; the caller must get a plain SDP 200, no ISUP part; the
     ACKs go where the dialogs came from;
  3. a spoofer (another source) sends a BYE naming the caller's dialog: 403, and the call
     stays up (the callee gets no BYE);
  4. the callee hangs up: the BYE reaches the caller at its own address;
  5. the third host got no TCP connection and no datagram;
  6. /metrics counts the spoofed BYE, the removed ISUP parts and the malformed body.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ACCESS, CORE, PORT = "127.0.0.141", "127.0.0.142", 5170
CALLEE, CALLEE_PORT = "127.0.0.143", 5180
THIRD, THIRD_PORTS = "127.0.0.144", (5071, 5072, 5073, 5074)
CALLER, SPOOFER, UA_PORT = "127.0.0.145", "127.0.0.146", 5190
METRICS_PORT = 19471

CONFIG = f"""
log: {{ level: info }}
metrics: {{ address: {ACCESS}, port: {METRICS_PORT} }}
realms:
  - name: access
    listen:
      - {{ transport: udp, address: {ACCESS}, port: {PORT} }}
      - {{ transport: tcp, address: {ACCESS}, port: {PORT} }}
  - name: core
    listen:
      - {{ transport: udp, address: {CORE}, port: {PORT} }}
      - {{ transport: tcp, address: {CORE}, port: {PORT} }}
routes:
  - name: to-callee
    match: {{ source_realm: access, methods: [INVITE] }}
    forward: {{ realm: core, host: {CALLEE}, port: {CALLEE_PORT}, transport: udp }}
    media: bypass
"""

ISUP_ADDR = "10.20.30.41"


class Failure(Exception):
    pass


def sdp(ip: str, port: int) -> str:
    return (f"v=0\r\no=ua 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def sip_i(sdp_body: str, boundary: str = "b-edge-1") -> str:
    isup = f"\x01\x00\x49 IAM from {ISUP_ADDR} \x90"
    return (f"--{boundary}\r\nContent-Type: application/sdp\r\n\r\n{sdp_body}\r\n"
            f"--{boundary}\r\nContent-Type: application/ISUP;version=itu-t92+\r\n"
            f"Content-Disposition: signal;handling=optional\r\n\r\n{isup}\r\n--{boundary}--\r\n")


def message(start: str, headers: list[str], body: str = "", ctype: str = "") -> bytes:
    lines = [start] + headers
    if body:
        lines.append(f"Content-Type: {ctype}")
    lines.append(f"Content-Length: {len(body.encode('latin-1'))}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("latin-1")


def header(msg: str, name: str) -> str:
    m = re.search(rf"^{name}:[ \t]*(.*?)\r$", msg, re.M | re.I)
    return m.group(1) if m else ""


def body_of(msg: str) -> str:
    return msg.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in msg else ""


class Ua:
    """A UDP user agent socket that waits for the message it wants."""

    def __init__(self, ip: str, port: int):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, port))
        self.ip, self.port = ip, port
        self.seen: list[str] = []

    def send(self, data: bytes, to: tuple[str, int]) -> None:
        self.sock.sendto(data, to)

    def wait(self, want, timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"{self.ip}:{self.port} did not receive {what} within {timeout} s; "
                              f"it received: {[m.split(chr(13))[0] for m in self.seen]}")
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            data, _ = self.sock.recvfrom(65535)
            text = data.decode("latin-1")
            self.seen.append(text)
            if want(text):
                return text

    def quiet(self, unwanted, seconds: float, what: str) -> None:
        """Nothing matching `unwanted` arrives for `seconds` (an absence: bounded wait)."""
        try:
            got = self.wait(unwanted, seconds, what)
        except Failure:
            return
        raise Failure(f"{self.ip}:{self.port} received {what}: {got.splitlines()[0]}")

    def close(self) -> None:
        self.sock.close()


def is_request(method: str):
    return lambda m: m.startswith(method + " ")


def is_response(code: int, method: str):
    return lambda m: m.startswith(f"SIP/2.0 {code} ") and header(m, "CSeq").endswith(" " + method)


class ThirdHost:
    """Listens on UDP and TCP and records whatever reaches it."""

    def __init__(self):
        self.socks = []
        for p in THIRD_PORTS:
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((THIRD, p))
            t.listen(8)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((THIRD, p))
            self.socks += [t, u]
        self.events: list[str] = []
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop:
            r, _, _ = select.select(self.socks, [], [], 0.1)
            for s in r:
                if s.type == socket.SOCK_STREAM:
                    conn, peer = s.accept()
                    self.events.append(f"tcp connection to {s.getsockname()} from {peer}")
                    conn.close()
                else:
                    data, peer = s.recvfrom(65535)
                    self.events.append(f"udp datagram to {s.getsockname()} from {peer}: "
                                       f"{data[:60]!r}")

    def close(self) -> None:
        self.stop = True
        self.thread.join(2)
        for s in self.socks:
            s.close()


def metrics() -> dict[str, float]:
    with urllib.request.urlopen(f"http://{ACCESS}:{METRICS_PORT}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("sbc_sip_") and " " in line:
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def wait_ready(proc: subprocess.Popen, ua: Ua, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    n = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failure(f"sbcd exited with {proc.returncode} before it was ready")
        n += 1
        ua.send(message(f"OPTIONS sip:{ACCESS}:{PORT} SIP/2.0", [
            f"Via: SIP/2.0/UDP {ua.ip}:{ua.port};branch=z9hG4bK-ready-{n};rport",
            "Max-Forwards: 70", f"From: <sip:probe@{ua.ip}>;tag=p{n}", f"To: <sip:{ACCESS}>",
            f"Call-ID: ready-{os.getpid()}-{n}", f"CSeq: {n} OPTIONS"]), (ACCESS, PORT))
        try:
            ua.wait(lambda m: m.startswith("SIP/2.0 "), 0.3, "an OPTIONS answer")
            return
        except Failure:
            continue
    raise Failure(f"sbcd did not answer OPTIONS within {timeout} s")


def run(sbcd: str, tmp: Path) -> None:
    cfg = tmp / "edge.yaml"
    cfg.write_text(CONFIG)
    caller, callee, spoofer = Ua(CALLER, UA_PORT), Ua(CALLEE, CALLEE_PORT), Ua(SPOOFER, UA_PORT)
    third = ThirdHost()
    log = open(tmp / "sbcd.log", "w")
    proc = subprocess.Popen([sbcd, "--config", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    try:
        wait_ready(proc, caller, 15)
        sbc = (ACCESS, PORT)
        tag, cid = "caller-tag", f"edge-{os.getpid()}@{CALLER}"

        def invite(branch: str, call_id: str, body: str, ctype: str) -> bytes:
            return message(f"INVITE sip:+15550100@{ACCESS}:{PORT} SIP/2.0", [
                f"Via: SIP/2.0/UDP {CALLER}:{UA_PORT};branch={branch};rport", "Max-Forwards: 70",
                f"Record-Route: <sip:{THIRD}:5071;lr;transport=tcp>",
                f"From: <sip:alice@{CALLER}>;tag={tag}", f"To: <sip:+15550100@{ACCESS}>",
                f"Call-ID: {call_id}", "CSeq: 1 INVITE",
                f"Contact: <sip:alice@{THIRD}:5072;transport=tcp>"], body, ctype)

        # 1. Malformed multipart: 400, nothing reaches the callee.
        broken = sip_i(sdp(CALLER, 6000)).replace("--b-edge-1--", "--b-edge-1 trailing")
        caller.send(invite("z9hG4bK-edge-bad", "bad-" + cid, broken,
                           "multipart/mixed;boundary=b-edge-1"), sbc)
        bad = caller.wait(is_response(400, "INVITE"), 5, "a 400 for a malformed multipart body")
        print("malformed multipart:", bad.splitlines()[0], "|", header(bad, "Warning"))
        caller.send(message(f"ACK sip:+15550100@{ACCESS}:{PORT} SIP/2.0", [
            f"Via: SIP/2.0/UDP {CALLER}:{UA_PORT};branch=z9hG4bK-edge-bad", "Max-Forwards: 70",
            f"From: <sip:alice@{CALLER}>;tag={tag}", f"To: {header(bad, 'To')}",
            f"Call-ID: bad-{cid}", "CSeq: 1 ACK"]), sbc)

        # 2. The call: SIP-I both ways, URIs pointing at the third host.
        caller.send(invite("z9hG4bK-edge-1", cid, sip_i(sdp(CALLER, 6000)),
                           "multipart/mixed;boundary=b-edge-1"), sbc)
        inv = callee.wait(is_request("INVITE"), 5, "the INVITE")
        if header(inv, "Content-Type") != "application/sdp" or ISUP_ADDR in inv or "boundary" in inv:
            raise Failure("the callee's INVITE is not a plain SDP body without ISUP:\n" + inv)
        via, frm, to, bcid = (header(inv, h) for h in ("Via", "From", "To", "Call-ID"))
        callee.send(message("SIP/2.0 200 OK", [
            f"Via: {via}", f"From: {frm}", f"To: {to};tag=callee-tag", f"Call-ID: {bcid}",
            "CSeq: 1 INVITE", f"Record-Route: <sip:{THIRD}:5073;lr;transport=tcp>",
            f"Contact: <sip:bob@{THIRD}:5074;transport=tcp>"],
            sip_i(sdp(CALLEE, 7000), "b-callee"), "multipart/mixed;boundary=b-callee"),
            (CORE, PORT))
        ok = caller.wait(is_response(200, "INVITE"), 5, "the 200")
        if header(ok, "Content-Type") != "application/sdp" or ISUP_ADDR in ok or "ISUP" in ok:
            raise Failure("the caller's 200 is not a plain SDP body without ISUP:\n" + ok)
        if f"c=IN IP4 {CALLEE}" not in body_of(ok):
            raise Failure("the 200's SDP is not the callee's (media bypass):\n" + ok)
        callee.wait(is_request("ACK"), 5, "the SBC's ACK (at the address the route names)")
        sbc_to = header(ok, "To")
        caller.send(message(f"ACK sip:{ACCESS}:{PORT} SIP/2.0", [
            f"Via: SIP/2.0/UDP {CALLER}:{UA_PORT};branch=z9hG4bK-edge-ack;rport", "Max-Forwards: 70",
            f"From: <sip:alice@{CALLER}>;tag={tag}", f"To: {sbc_to}", f"Call-ID: {cid}",
            "CSeq: 1 ACK"]), sbc)

        # 3. A BYE naming the caller's dialog from another source: 403, the call stays.
        spoofer.send(message(f"BYE sip:{ACCESS}:{PORT} SIP/2.0", [
            f"Via: SIP/2.0/UDP {SPOOFER}:{UA_PORT};branch=z9hG4bK-edge-spoof;rport",
            "Max-Forwards: 70", f"From: <sip:alice@{CALLER}>;tag={tag}", f"To: {sbc_to}",
            f"Call-ID: {cid}", "CSeq: 2 BYE"]), sbc)
        spoofer.wait(is_response(403, "BYE"), 5, "a 403 for the spoofed BYE")
        callee.quiet(is_request("BYE"), 1.0, "a BYE caused by the spoofed one")

        # 4. The callee hangs up: the BYE reaches the caller where it called from.
        callee.send(message(f"BYE sip:{CORE}:{PORT} SIP/2.0", [
            f"Via: SIP/2.0/UDP {CALLEE}:{CALLEE_PORT};branch=z9hG4bK-edge-bye;rport",
            "Max-Forwards: 70", f"From: {to};tag=callee-tag", f"To: {frm}", f"Call-ID: {bcid}",
            "CSeq: 2 BYE", f"Contact: <sip:bob@{THIRD}:5074;transport=tcp>"]), (CORE, PORT))
        callee.wait(is_response(200, "BYE"), 5, "the 200 to its BYE")
        bye = caller.wait(is_request("BYE"), 5, "the BYE at its own address (not the third host)")
        caller.send(message("SIP/2.0 200 OK", [
            f"Via: {header(bye, 'Via')}", f"From: {header(bye, 'From')}", f"To: {header(bye, 'To')}",
            f"Call-ID: {header(bye, 'Call-ID')}", f"CSeq: {header(bye, 'CSeq')}"]), sbc)

        # 5. Nothing reached the third host (a connect attempt would have been immediate;
        # the grace is for one to be accepted and recorded).
        time.sleep(0.5)
        if third.events:
            raise Failure("the third host was contacted:\n  " + "\n  ".join(third.events))

        # 6. Counted.
        m = metrics()
        want = {
            'sbc_sip_in_dialog_foreign_source_total{realm="access"}': 1,
            'sbc_sip_malformed_bodies_total{realm="access"}': 1,
            'sbc_sip_body_parts_removed_total{realm="core"}': 1,    # the caller's ISUP
            'sbc_sip_body_parts_removed_total{realm="access"}': 1,  # the callee's ISUP
        }
        for name, value in want.items():
            if m.get(name) != value:
                raise Failure(f"/metrics {name} is {m.get(name)}, expected {value}")
        print("counters:", {k: m[k] for k in want})
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        third.close()
        for ua in (caller, callee, spoofer):
            ua.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sbcd", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sbc-edge-") as d:
        tmp = Path(d)
        try:
            run(args.sbcd, tmp)
        except Failure as e:
            print("FAIL:", e)
            print("---- sbcd log (last 40 lines)")
            print("\n".join((tmp / "sbcd.log").read_text().splitlines()[-40:]))
            return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
