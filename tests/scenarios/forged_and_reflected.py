#!/usr/bin/env python3
"""Forged responses and UDP reflection against a real sbcd on real sockets (issue 14, defects 1,
8 and 9).

    forged_and_reflected.py --sbcd build/bin/sbcd [--requests 40] [--window 2.5]

Its own lab on loopback, so it runs beside the shared-port scenario tests: sbcd with realm
`access` on 127.0.0.61:5560 (UDP) and realm `core` on 127.0.0.62:5560 (UDP), one route
access -> trunk 127.0.0.63:5580 (media bypassed), metrics on 127.0.0.61:9561. The caller is a
UDP socket on 127.0.0.64, the callee (trunk) a UDP socket on 127.0.0.63:5580, the attacker a
UDP socket on 127.0.0.65. Steps, each bounded in time:
  1. forged responses (defect 1): the caller's INVITE reaches the callee; before the callee
     answers, the attacker (who learnt the outbound INVITE's branch, tags and Call-ID: the
     worst case) sends the SBC a 486 and a 200 for it from its own address, and from the
     callee's port on its address. The callee then answers 180 and 200. The call must
     complete (the caller gets 180 and the callee's 200, never the 486 or the forged 200;
     ACK and BYE reach the callee), and sbc_sip_responses_from_elsewhere_total counts the
     forged responses. The same with a TCP trunk (127.0.0.63:5581, user prefix "tcp"): the
     attacker's responses on a TCP connection of its own are dropped and counted;
  2. reflection (defect 9): the attacker sends --requests each of: an INVITE the SBC rejects
     (into `core`, which has no route: 404), an INVITE for a dialog that does not exist
     (481), a BYE for no dialog (481), a MESSAGE (405), an unknown method (501), an OPTIONS
     (200), all minimal (no body). Every datagram that comes back within --window seconds
     after the last one is counted: exactly one reply per request, bytes out / bytes in at
     most 1.5 overall and per kind (the figures are printed), and no transaction is left
     open (sbc_sip_transactions_active does not grow; Timer G would retransmit a stateful
     404 at 0.5 s and 1.5 s, and keep it for 32 s; OPTIONS is answered statelessly too);
  2b. a TCP trunk that answers 180 and then resets its connection (defect 3): the caller
     gets a 5xx within seconds (not Timer C's 408) and the call is gone;
  3. the transaction cap (defect 8): sbcd restarted with sip.max_server_transactions 2;
     two INVITEs that the callee never answers hold two server transactions, the third
     INVITE gets 503 with Retry-After, counted in sbc_sip_transactions_refused_total.
"""

from __future__ import annotations

import argparse
import re
import socket
import struct
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Optional

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_scenario import Proc, wait_bound  # noqa: E402  (process helpers)

ACCESS, CORE, TRUNK, CALLER, ATTACKER = "127.0.0.61", "127.0.0.62", "127.0.0.63", "127.0.0.64", "127.0.0.65"
SBC_PORT, TRUNK_PORT, TRUNK_TCP_PORT, METRICS_PORT = 5560, 5580, 5581, 9561

CONFIG = f"""
log: {{ level: warn }}
metrics: {{ address: {ACCESS}, port: {METRICS_PORT} }}
sip:
  timers: {{ t1_ms: 500, t2_ms: 4000, t4_ms: 5000 }}
{{extra}}
realms:
  - name: access
    listen:
      - {{ transport: udp, address: {ACCESS}, port: {SBC_PORT} }}
  - name: core
    listen:
      - {{ transport: udp, address: {CORE}, port: {SBC_PORT} }}
      - {{ transport: tcp, address: {CORE}, port: {SBC_PORT} }}
routes:
  - name: to-trunk-tcp
    match: {{ source_realm: access, methods: [INVITE], user_prefix: "tcp" }}
    forward: {{ realm: core, host: {TRUNK}, port: {TRUNK_TCP_PORT}, transport: tcp }}
    media: bypass
  - name: to-trunk
    match: {{ source_realm: access, methods: [INVITE] }}
    forward: {{ realm: core, host: {TRUNK}, port: {TRUNK_PORT}, transport: udp }}
    media: bypass
"""


class Failure(Exception):
    pass


def log(msg: str) -> None:
    print(msg, flush=True)


# ---- SIP text helpers ---------------------------------------------------------------------

def parse(data: bytes) -> tuple[str, dict[str, list[str]], str]:
    text = data.decode("latin-1")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return lines[0], headers, body


def status_of(start: str) -> Optional[int]:
    m = re.match(r"SIP/2\.0 (\d{3}) ", start)
    return int(m.group(1)) if m else None


def response_to(request: bytes, status: int, reason: str, to_tag: str, contact: Optional[str] = None,
                body: str = "") -> bytes:
    """A response built as a UAS builds it: Via, From, To (+tag), Call-ID, CSeq copied."""
    _, h, _ = parse(request)
    to = h["to"][0] + ("" if ";tag=" in h["to"][0] else f";tag={to_tag}")
    lines = [f"SIP/2.0 {status} {reason}"]
    lines += [f"Via: {v}" for v in h["via"]]
    lines += [f"From: {h['from'][0]}", f"To: {to}", f"Call-ID: {h['call-id'][0]}", f"CSeq: {h['cseq'][0]}"]
    if contact:
        lines.append(f"Contact: {contact}")
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def sdp(ip: str, port: int) -> str:
    return (f"v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


class Peer:
    def __init__(self, ip: str, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, port))
        self.ip, self.port = ip, self.sock.getsockname()[1]

    def send(self, data: bytes, to: tuple[str, int]) -> int:
        return self.sock.sendto(data, to)

    def recv(self, timeout: float) -> Optional[bytes]:
        self.sock.settimeout(max(0.001, timeout))
        try:
            return self.sock.recvfrom(65535)[0]
        except socket.timeout:
            return None

    def expect(self, what: str, pick, timeout: float = 5.0) -> bytes:
        """The first datagram for which pick(start, headers) holds; others are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            data = self.recv(left) if left > 0 else None
            if data is None:
                raise Failure(f"{self.ip}:{self.port} did not receive {what} within {timeout:.0f} s")
            start, h, _ = parse(data)
            if pick(start, h):
                return data

    def close(self) -> None:
        self.sock.close()


def metric(name: str, labels: str = "") -> float:
    with urllib.request.urlopen(f"http://{ACCESS}:{METRICS_PORT}/metrics", timeout=5) as r:
        text = r.read().decode()
    for line in text.splitlines():
        if line.startswith(name + labels + " "):
            return float(line.split()[-1])
    raise Failure(f"metric {name}{labels} not exported")


def calls_active() -> float:
    """sbc_calls_active summed over realms (no series at all when no realm has a call)."""
    with urllib.request.urlopen(f"http://{ACCESS}:{METRICS_PORT}/metrics", timeout=5) as r:
        text = r.read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("sbc_calls_active{") or line.startswith("sbc_calls_active "))


def start_sbcd(sbcd: Path, tmp: Path, name: str, extra: str = "") -> Proc:
    cfg = tmp / f"{name}.yaml"
    cfg.write_text(CONFIG.replace("{extra}", extra))
    proc = Proc("sbcd", [str(sbcd), "--config", str(cfg)], tmp, tmp / f"{name}.log")
    wait_bound(proc, ACCESS, SBC_PORT, "udp", 15)
    wait_bound(proc, CORE, SBC_PORT, "udp", 15)
    # Ready when the metrics endpoint answers (it starts last).
    deadline = time.monotonic() + 15
    while True:
        try:
            metric("sbc_sip_transactions_active")
            return proc
        except (OSError, Failure):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise Failure(f"sbcd not ready within 15 s:\n{proc.tail()}")
            time.sleep(0.1)


def invite(caller: Peer, n: int, to_host: str = ACCESS, to_tag: str = "", body: bool = True,
           user: str = "bob") -> bytes:
    b = sdp(caller.ip, 7000) if body else ""
    lines = [f"INVITE sip:{user}@{to_host}:{SBC_PORT} SIP/2.0",
             f"Via: SIP/2.0/UDP {caller.ip}:{caller.port};branch=z9hG4bK-fr-{n};rport",
             "Max-Forwards: 70",
             f"From: <sip:alice@{caller.ip}>;tag=fr{n}",
             f"To: <sip:bob@{to_host}>" + (f";tag={to_tag}" if to_tag else ""),
             f"Call-ID: fr-{n}@{caller.ip}", "CSeq: 1 INVITE",
             f"Contact: <sip:alice@{caller.ip}:{caller.port}>"]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(b)}")
    return ("\r\n".join(lines) + "\r\n\r\n" + b).encode()


# ---- 1. forged responses during a real call set-up ----------------------------------------

def forged_responses() -> None:
    caller, callee, attacker = Peer(CALLER), Peer(TRUNK, TRUNK_PORT), Peer(ATTACKER)
    attacker_on_trunk_port = Peer(ATTACKER, TRUNK_PORT)
    try:
        before = metric("sbc_sip_responses_from_elsewhere_total")
        caller.send(invite(caller, 1), (ACCESS, SBC_PORT))
        b_invite = callee.expect("the outbound INVITE", lambda s, h: s.startswith("INVITE "))
        # The attacker knows everything of the outbound INVITE and answers first.
        forged = [response_to(b_invite, 486, "Busy Here", "evil1"),
                  response_to(b_invite, 200, "OK", "evil2", f"<sip:evil@{ATTACKER}:5999>", sdp(ATTACKER, 9000))]
        for f in forged:
            attacker.send(f, (CORE, SBC_PORT))
            attacker_on_trunk_port.send(f, (CORE, SBC_PORT))
        # The forged datagrams are queued on the SBC's socket ahead of the callee's answers.
        callee.send(response_to(b_invite, 180, "Ringing", "callee1"), (CORE, SBC_PORT))
        callee.send(response_to(b_invite, 200, "OK", "callee1", f"<sip:bob@{TRUNK}:{TRUNK_PORT}>",
                                sdp(TRUNK, 8000)), (CORE, SBC_PORT))
        finals = []
        got180 = False
        deadline = time.monotonic() + 5
        while not finals and time.monotonic() < deadline:
            data = caller.recv(deadline - time.monotonic())
            if data is None:
                break
            start, h, body = parse(data)
            code = status_of(start)
            if code == 180:
                got180 = True
            elif code is not None and code >= 200:
                finals.append((code, h, body))
        if not finals:
            raise Failure("the caller got no final response within 5 s")
        code, h, body = finals[0]
        if code != 200:
            raise Failure(f"the caller got {code}: a forged response was taken for the callee's")
        if f"c=IN IP4 {ATTACKER}" in body or "9000" in body:
            raise Failure("the caller's 200 carries the forger's SDP")
        if not got180:
            raise Failure("the caller did not get the callee's 180")
        # ACK and BYE to the SBC; they must reach the real callee.
        _, ih, _ = parse(invite(caller, 1))
        to = h["to"][0]
        contact = re.search(r"<([^>]+)>", h["contact"][0]).group(1)
        for method, cseq in (("ACK", "1 ACK"), ("BYE", "2 BYE")):
            msg = (f"{method} {contact} SIP/2.0\r\nVia: SIP/2.0/UDP {caller.ip}:{caller.port};"
                   f"branch=z9hG4bK-fr-{method}\r\nMax-Forwards: 70\r\nFrom: {ih['from'][0]}\r\nTo: {to}\r\n"
                   f"Call-ID: {ih['call-id'][0]}\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n").encode()
            caller.send(msg, (ACCESS, SBC_PORT))
            got = callee.expect(f"the {method}", lambda s, hh, m=method: s.startswith(m + " "))
            _, gh, _ = parse(got)
            if ";tag=callee1" not in gh["to"][0]:
                raise Failure(f"the {method} reached the callee with To {gh['to'][0]} (not the callee's tag)")
            if method == "BYE":
                callee.send(response_to(got, 200, "OK", "callee1"), (CORE, SBC_PORT))
                caller.expect("200 to BYE", lambda s, hh: status_of(s) == 200 and "BYE" in hh["cseq"][0])
        counted = metric("sbc_sip_responses_from_elsewhere_total") - before
        log(f"forged responses: call completed; sbc_sip_responses_from_elsewhere_total +{counted:.0f}")
        if counted != 2 * len(forged):
            raise Failure(f"{2 * len(forged)} forged responses sent, {counted:.0f} counted")
    finally:
        for p in (caller, callee, attacker, attacker_on_trunk_port):
            p.close()


# ---- 1b. the same over TCP: a response counts only on the request's connection ------------

class TcpPeer:
    """One TCP connection carrying SIP: messages framed by Content-Length."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buf = sock, b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def expect(self, what: str, pick, timeout: float = 5.0) -> bytes:
        deadline = time.monotonic() + timeout
        while True:
            while b"\r\n\r\n" in self.buf:
                head, rest = self.buf.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
                n = int(m.group(1)) if m else 0
                if len(rest) < n:
                    break
                msg, self.buf = head + b"\r\n\r\n" + rest[:n], rest[n:]
                start, h, _ = parse(msg)
                if pick(start, h):
                    return msg
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"TCP: did not receive {what} within {timeout:.0f} s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise Failure(f"TCP: connection closed while waiting for {what}")
            self.buf += chunk

    def close(self) -> None:
        self.sock.close()


def wait_metric(name: str, at_least: float, timeout: float = 5.0) -> float:
    deadline = time.monotonic() + timeout
    while True:
        value = metric(name)
        if value >= at_least or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def tcp_trunk_listener() -> socket.socket:
    """The TCP trunk's listening socket (127.0.0.63:5581)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((TRUNK, TRUNK_TCP_PORT))
    listener.listen(4)
    listener.settimeout(5)
    return listener


def call_tcp_trunk(caller: Peer, listener: socket.socket, n: int, user: str) -> tuple[TcpPeer, bytes]:
    """The caller's INVITE n to `user` (a "tcp" route): the SBC's connection to the trunk
    and the outbound INVITE that arrived on it."""
    caller.send(invite(caller, n, user=user), (ACCESS, SBC_PORT))
    try:
        conn, _ = listener.accept()
    except socket.timeout:
        raise Failure("the SBC did not connect to the TCP trunk within 5 s")
    callee = TcpPeer(conn)
    return callee, callee.expect("the outbound INVITE over TCP", lambda s, h: s.startswith("INVITE "))


def forged_responses_tcp() -> None:
    caller = Peer(CALLER)
    listener = tcp_trunk_listener()
    callee = attacker = None
    try:
        before = metric("sbc_sip_responses_from_elsewhere_total")
        callee, b_invite = call_tcp_trunk(caller, listener, 2, "tcpbob")
        # The attacker knows the branch and answers over a TCP connection of its own.
        attacker = TcpPeer(socket.create_connection((CORE, SBC_PORT), timeout=5))
        attacker.send(response_to(b_invite, 486, "Busy Here", "evil3"))
        attacker.send(response_to(b_invite, 200, "OK", "evil4", f"<sip:evil@{ATTACKER}:5999;transport=tcp>",
                                  sdp(ATTACKER, 9000)))
        # Different connections have no order between them: wait until both were seen.
        counted = wait_metric("sbc_sip_responses_from_elsewhere_total", before + 2) - before
        if counted != 2:
            raise Failure(f"2 forged responses sent over TCP, {counted:.0f} counted as from elsewhere")
        callee.send(response_to(b_invite, 180, "Ringing", "callee2"))
        callee.send(response_to(b_invite, 200, "OK", "callee2", f"<sip:bob@{TRUNK}:{TRUNK_TCP_PORT};transport=tcp>",
                                sdp(TRUNK, 8002)))
        data = caller.expect("a final response", lambda s, h: (status_of(s) or 0) >= 200)
        start, h, body = parse(data)
        if status_of(start) != 200 or f"c=IN IP4 {ATTACKER}" in body:
            raise Failure(f"the caller got '{start}': a forged TCP response was taken for the callee's")
        _, ih, _ = parse(invite(caller, 2))
        contact = re.search(r"<([^>]+)>", h["contact"][0]).group(1)
        for method, cseq in (("ACK", "1 ACK"), ("BYE", "2 BYE")):
            msg = (f"{method} {contact} SIP/2.0\r\nVia: SIP/2.0/UDP {caller.ip}:{caller.port};"
                   f"branch=z9hG4bK-frt-{method}\r\nMax-Forwards: 70\r\nFrom: {ih['from'][0]}\r\n"
                   f"To: {h['to'][0]}\r\nCall-ID: {ih['call-id'][0]}\r\nCSeq: {cseq}\r\n"
                   "Content-Length: 0\r\n\r\n").encode()
            caller.send(msg, (ACCESS, SBC_PORT))
            got = callee.expect(f"the {method} over TCP", lambda s, hh, m=method: s.startswith(m + " "))
            if method == "BYE":
                callee.send(response_to(got, 200, "OK", "callee2"))
                caller.expect("200 to BYE", lambda s, hh: status_of(s) == 200 and "BYE" in hh["cseq"][0])
        log("forged responses over TCP: dropped (another connection), call completed")
    finally:
        caller.close()
        listener.close()
        for p in (callee, attacker):
            if p:
                p.close()


def trunk_reset_while_ringing() -> None:
    """Defect 3: the TCP trunk sends 180 and then resets its connection. The SBC must fail the
    call towards the caller at once (a 5xx, not Timer C's 408 minutes later), and leave no
    transaction behind."""
    caller = Peer(CALLER)
    listener = tcp_trunk_listener()
    callee = None
    try:
        callee, b_invite = call_tcp_trunk(caller, listener, 7, "tcpcarol")
        callee.send(response_to(b_invite, 180, "Ringing", "callee7"))
        caller.expect("180 relayed", lambda s, h: status_of(s) == 180)
        # A reset, as a trunk that crashed or lost the connection's state sends.
        callee.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        reset_at = time.monotonic()
        callee.close()
        callee = None
        data = caller.expect("a final response after the trunk's reset",
                             lambda s, h: (status_of(s) or 0) >= 200, timeout=5.0)
        took = time.monotonic() - reset_at
        start, _, _ = parse(data)
        code = status_of(start) or 0
        if not 500 <= code < 600:
            raise Failure(f"the caller got '{start}' after the trunk reset, expected a 5xx")
        deadline = time.monotonic() + 10
        while calls_active() != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        if calls_active() != 0:
            raise Failure("the call outlived the trunk's reset by 10 s")
        log(f"trunk reset while ringing: the caller got '{start}' {took:.2f} s after the reset")
    finally:
        caller.close()
        listener.close()
        if callee:
            callee.close()


# ---- 2. reflection -------------------------------------------------------------------------

def minimal(method: str, host: str, attacker: Peer, n: int, to_tag: str = "") -> bytes:
    """The smallest request an attacker would send (no body, no Contact, compact framing)."""
    return (f"{method} sip:x@{host} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {attacker.ip}:{attacker.port};branch=z9hG4bK{n}\r\n"
            f"From: <sip:a@{attacker.ip}>;tag={n}\r\n"
            f"To: <sip:x@{host}>" + (f";tag={to_tag}" if to_tag else "") + "\r\n"
            f"Call-ID: {n}\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


def reflection(count: int, window: float) -> None:
    kinds = [  # name, method, destination host, To tag, expected status
        ("INVITE no route", "INVITE", CORE, "", 404),
        ("INVITE no dialog", "INVITE", ACCESS, "nodialog", 481),
        ("BYE no dialog", "BYE", ACCESS, "nodialog", 481),
        ("MESSAGE", "MESSAGE", ACCESS, "", 405),
        ("unknown method", "FROB", ACCESS, "", 501),
        ("OPTIONS", "OPTIONS", ACCESS, "", 200),
    ]
    attacker = Peer(ATTACKER)
    try:
        # Step 1's call may still hold transactions (Accepted, Timer J): none may be added.
        active_before = metric("sbc_sip_transactions_active")
        sent_bytes = {k[0]: 0 for k in kinds}
        got_bytes = {k[0]: 0 for k in kinds}
        got_count = {k[0]: 0 for k in kinds}
        statuses: dict[str, set[int]] = {k[0]: set() for k in kinds}
        by_call: dict[str, str] = {}
        n = 1000
        for i in range(count):
            for name, method, host, tag, _ in kinds:
                n += 1
                data = minimal(method, host, attacker, n, tag)
                by_call[str(n)] = name
                sent_bytes[name] += attacker.send(data, (host, SBC_PORT))
            # Drain as we go so that the socket buffer never drops a reply.
            while (data := attacker.recv(0.001)) is not None:
                start, h, _ = parse(data)
                name = by_call.get(h.get("call-id", ["?"])[0], "?")
                if name in got_bytes:
                    got_bytes[name] += len(data)
                    got_count[name] += 1
                    statuses[name].add(status_of(start) or 0)
        # The window: what a stateful server retransmits comes at T1 (0.5 s) and 3*T1.
        deadline = time.monotonic() + window
        while (left := deadline - time.monotonic()) > 0:
            data = attacker.recv(left)
            if data is None:
                break
            start, h, _ = parse(data)
            name = by_call.get(h.get("call-id", ["?"])[0], "?")
            if name in got_bytes:
                got_bytes[name] += len(data)
                got_count[name] += 1
                statuses[name].add(status_of(start) or 0)
        active = metric("sbc_sip_transactions_active")
        problems = []
        total_in, total_out = sum(sent_bytes.values()), sum(got_bytes.values())
        for name, _, _, _, status in kinds:
            ratio = got_bytes[name] / sent_bytes[name]
            log(f"  {name:18s} {count} requests, {sent_bytes[name] // count:4d} bytes each -> "
                f"{got_count[name]:4d} replies {sorted(statuses[name])}, {got_bytes[name]:7d} bytes: "
                f"ratio {ratio:.2f}")
            if got_count[name] != count:
                problems.append(f"{name}: {got_count[name]} replies to {count} requests (one each expected)")
            if statuses[name] != {status}:
                problems.append(f"{name}: answered {sorted(statuses[name])}, expected {status}")
            if ratio > 1.5:
                problems.append(f"{name}: bytes out / bytes in {ratio:.2f} > 1.5")
        log(f"reflection: {total_in} bytes in, {total_out} bytes out within {window:.1f} s: "
            f"ratio {total_out / total_in:.2f}; transactions open before {active_before:.0f}, after {active:.0f}")
        if active > active_before:
            problems.append(f"{active - active_before:.0f} transactions left open by the rejections")
        if problems:
            raise Failure("; ".join(problems))
    finally:
        attacker.close()


# ---- 3. the server transaction cap ---------------------------------------------------------

def transaction_cap() -> None:
    caller, callee = Peer(CALLER), Peer(TRUNK, TRUNK_PORT)
    try:
        for n in (301, 302):
            caller.send(invite(caller, n), (ACCESS, SBC_PORT))
            caller.expect("100 Trying", lambda s, h: status_of(s) == 100)
            callee.expect("the outbound INVITE", lambda s, h: s.startswith("INVITE "))
        caller.send(invite(caller, 303), (ACCESS, SBC_PORT))
        data = caller.expect("a final response to the third INVITE",
                             lambda s, h: (status_of(s) or 0) >= 200 and h["call-id"][0].startswith("fr-303"))
        start, h, _ = parse(data)
        if status_of(start) != 503 or not h.get("retry-after"):
            raise Failure(f"the INVITE over the cap got '{start}' (Retry-After {h.get('retry-after')}), "
                          "expected 503 with Retry-After")
        refused = metric("sbc_sip_transactions_refused_total", '{table="server"}')
        log(f"transaction cap: third INVITE answered '{start}', Retry-After {h['retry-after'][0]}; "
            f"refused counted {refused:.0f}")
        if refused != 1:
            raise Failure(f"sbc_sip_transactions_refused_total{{table=\"server\"}} is {refused:.0f}, expected 1")
    finally:
        caller.close()
        callee.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sbcd", type=Path, required=True)
    ap.add_argument("--requests", type=int, default=40, help="requests of each kind in step 2")
    ap.add_argument("--window", type=float, default=2.5, help="seconds to collect replies after the last request")
    args = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory(prefix="sbc-forged-") as d:
        tmp = Path(d)
        for name, extra, steps in (
                ("default", "", [("forged responses", forged_responses),
                                 # Before the other TCP step: the SBC has no connection to
                                 # the trunk yet, so this INVITE opens a new one.
                                 ("trunk reset while ringing", trunk_reset_while_ringing),
                                 ("forged responses over TCP", forged_responses_tcp),
                                 ("reflection", lambda: reflection(args.requests, args.window))]),
                ("capped", "  max_server_transactions: 2", [("transaction cap", transaction_cap)])):
            proc = None
            try:
                proc = start_sbcd(args.sbcd.resolve(), tmp, name, extra)
                for step, fn in steps:
                    try:
                        fn()
                        log(f"PASS {step}")
                    except (Failure, OSError) as e:
                        failures.append(f"{step}: {e}")
                        log(f"FAIL {step}: {e}")
                if proc.poll() is not None:
                    failures.append(f"sbcd ({name}) exited with {proc.popen.returncode}:\n{proc.tail()}")
            except Failure as e:
                failures.append(str(e))
                log(f"FAIL {name}: {e}")
            finally:
                if proc:
                    rc, _ = proc.terminate(5)
                    if rc not in (0, None) and not failures:
                        failures.append(f"sbcd ({name}) exited {rc} on SIGTERM")
                    proc.close()
    if failures:
        log("FAILED:\n  " + "\n  ".join(failures))
        return 1
    log("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
