#!/usr/bin/env python3
"""Malformed and hostile input against a running sbcd, while a SIPp call load goes through it.

    hostile.py --sbcd build/bin/sbcd --config config/lab/loopback.yaml [--header-timeout 3]

Same lab as run_scenario.py (SIPp UAC 127.0.0.10 -> sbcd 127.0.0.1:5060 | 127.0.0.2:5060 ->
SIPp UAS 127.0.0.3:5080). Steps, each bounded in time:
  1. a copy of the configuration with tcp_header_timeout_s set to --header-timeout (3 s) is
     written to a temporary file (the key's value is replaced where it appears, or the key is
     added under every `limits:` block; if neither is possible the original is used and the
     10 s default is expected) and sbcd is started on it, then probed until ready;
  2. the SIPp load starts: the basic_caller_bye flow at 10 calls/s for 15 s (150 calls);
  3. several slowloris TCP clients connect to 127.0.0.1:5060 and send one header line every
     second without ever ending the header section;
  4. meanwhile the cases below are sent over UDP (from 127.0.0.10, one socket per case; a
     response only counts if it comes from 127.0.0.1:5060 and carries our Via branch) and over
     TCP (one connection per case; the response is read on the same connection);
  5. the slowloris connections must be closed by the SBC within its header timeout (not
     before timeout - 1 s, not after timeout + 3 s);
  6. sbcd must still answer an OPTIONS over UDP and over TCP;
  7. the load must complete with 0 failed calls (both SIPp exit 0);
  8. sbcd must still be running, and exit 0 within 5 s of SIGTERM.

Expectations: a request that is well-formed enough gets the error a UAS answers, over UDP
and over TCP alike (400 for a negative or conflicting Content-Length or a missing Call-ID, 400
for a Content-Length larger than the datagram, 416 for an unsupported URI scheme, 483 for
Max-Forwards 0 on an INVITE, 513 for a 64 KB header over TCP: what sbc-sipcheck answers for the
same bytes). Over TCP the SBC may close the connection after such an answer (the stream cannot
be framed any further), but the answer must come first. Unparseable input (a truncated header
section, random bytes, a body cut short by EOF) gets no response or a 400. Requests that sbcd
could accept by mistake are OPTIONS addressed to it where possible, so that they never reach
the SIPp UAS. An INVITE answered with an error is ACKed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import select
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Optional

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_scenario as rs  # noqa: E402  (shared lab, process and port helpers)

from run_scenario import Failure, Lab, Proc, Report, log  # noqa: E402

SDP = ("v=0\r\no=hostile 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
       "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


# --------------------------------------------------------------------------------------
# Requests


@dataclasses.dataclass
class Sent:
    data: bytes
    branch: Optional[str]
    call_id: Optional[str]


def request(lab: Lab, proto: str, port: int, n: str, method: str = "OPTIONS", ruri: Optional[str] = None,
            max_forwards: int = 70, drop: tuple[str, ...] = (), extra: str = "",
            content_length: Optional[str] = None, body: Optional[str] = None, cut: Optional[int] = None) -> Sent:
    """A request from 127.0.0.10:<port>, numbered n; the arguments spoil it."""
    branch = f"z9hG4bK-hostile-{os.getpid()}-{n}"
    call_id = f"hostile-{os.getpid()}-{n}@{lab.uac_ip}"
    if ruri is None:
        ruri = f"sip:{lab.sbc_access_ip}:{lab.sbc_port}" if method == "OPTIONS" else \
            f"sip:service@{lab.sbc_access_ip}:{lab.sbc_port}"
    if body is None:
        body = SDP.format(ip=lab.uac_ip) if method == "INVITE" else ""
    headers = [
        ("Via", f"SIP/2.0/{proto.upper()} {lab.uac_ip}:{port};branch={branch};rport"),
        ("Max-Forwards", str(max_forwards)),
        ("From", f"<sip:hostile@{lab.uac_ip}>;tag=h{n}"),
        ("To", f"<sip:service@{lab.sbc_access_ip}>"),
        ("Call-ID", call_id),
        ("CSeq", f"1 {method}"),
        ("Contact", f"<sip:hostile@{lab.uac_ip}:{port};transport={proto}>"),
    ]
    if body:
        headers.append(("Content-Type", "application/sdp"))
    headers = [(k, v) for k, v in headers if k not in drop]
    text = f"{method} {ruri} SIP/2.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + extra
    text += f"Content-Length: {len(body.encode()) if content_length is None else content_length}\r\n\r\n{body}"
    data = text.encode()
    if cut is not None:
        data = data[:cut]
    return Sent(data, branch, None if "Call-ID" in drop else call_id)


def oversized_options(lab: Lab, proto: str, port: int, n: str, total: int) -> Sent:
    """An OPTIONS to the SBC whose X-Big header makes the whole message `total` bytes."""
    base = request(lab, proto, port, n, extra="X-Big: \r\n")
    pad = total - len(base.data)
    return Sent(base.data.replace(b"X-Big: \r\n", b"X-Big: " + b"a" * pad + b"\r\n"), base.branch, base.call_id)


def garbage(n: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    return bytes(rnd.randrange(256) for _ in range(n))


# --------------------------------------------------------------------------------------
# Cases


@dataclasses.dataclass
class Expect:
    codes: frozenset[int]  # acceptable final response codes
    silence_ok: bool = False  # no response at all is fine (unparseable input)
    close_ok: bool = False  # TCP: the SBC closing the connection without a response is fine

    def describe(self) -> str:
        parts = [" or ".join(str(c) for c in sorted(self.codes))] if self.codes else []
        if self.silence_ok:
            parts.append("no response")
        if self.close_ok:
            parts.append("the connection closed")
        return " / ".join(parts)


UNPARSEABLE = Expect(frozenset({400}), silence_ok=True, close_ok=True)


@dataclasses.dataclass
class Case:
    name: str
    proto: str  # udp | tcp
    build: Callable[[Lab, str, int, str], Sent]
    expect: Expect
    half_close: bool = False  # TCP: shut our side down after sending (EOF)


def cases() -> list[Case]:
    def inv(**kw):
        return lambda lab, proto, port, n: request(lab, proto, port, n, method="INVITE", **kw)

    def opt(**kw):
        return lambda lab, proto, port, n: request(lab, proto, port, n, **kw)

    out = []
    for proto in ("udp", "tcp"):
        out += [
            Case("truncated message (header section cut off)", proto, inv(cut=200), UNPARSEABLE,
                 half_close=True),
            Case("Content-Length negative", proto, opt(content_length="-5", body="v=0\r\n"),
                 Expect(frozenset({400}))),
            Case("Content-Length conflicting (4, then the real 10)", proto,
                 opt(extra="Content-Length: 4\r\n", body="v=0\r\ns=-\r\n"),
                 Expect(frozenset({400}))),
            Case("unsupported URI scheme (INVITE soap.beep://...)", proto, inv(ruri="soap.beep://service"),
                 Expect(frozenset({416}))),
            Case("Max-Forwards 0 on an INVITE", proto, inv(max_forwards=0), Expect(frozenset({483}))),
            Case("missing Call-ID (INVITE)", proto, inv(drop=("Call-ID",)), Expect(frozenset({400}))),
        ]
    out += [
        Case("Content-Length larger than the datagram", "udp", opt(content_length="500", body="v=0\r\n"),
             Expect(frozenset({400}))),
        Case("Content-Length larger than the bytes sent, then EOF", "tcp",
             opt(content_length="500", body="v=0\r\n"), UNPARSEABLE, half_close=True),
        Case("a 65,000-byte header (OPTIONS, the largest datagram: within the 65,535-byte limit)", "udp",
             lambda lab, proto, port, n: oversized_options(lab, proto, port, n, 65507),
             Expect(frozenset({200, 513}))),
        Case("a 64 KB header (OPTIONS of 66 KB: over the 65,535-byte limit)", "tcp",
             lambda lab, proto, port, n: oversized_options(lab, proto, port, n, 65536 + 600),
             Expect(frozenset({513}))),
        Case("garbage bytes (600 random bytes)", "udp", lambda lab, proto, port, n: Sent(garbage(600, 1), None, None),
             UNPARSEABLE),
        Case("garbage bytes (600 random bytes, CRLFCRLF, EOF)", "tcp",
             lambda lab, proto, port, n: Sent(garbage(600, 2) + b"\r\n\r\n", None, None), UNPARSEABLE,
             half_close=True),
        Case("garbage text line", "udp", lambda lab, proto, port, n: Sent(b"hello there\r\n\r\n", None, None),
             UNPARSEABLE),
    ]
    return out


@dataclasses.dataclass
class Response:
    status: int
    raw: bytes

    @property
    def branch(self) -> Optional[str]:
        m = re.search(rb"^(?:Via|v)\s*:[^\r\n]*branch=([^;,\s]+)", self.raw, re.I | re.M)
        return m.group(1).decode("latin-1") if m else None

    def line(self) -> str:
        return self.raw.split(b"\r\n", 1)[0].decode("latin-1")


def parse_responses(buf: bytes) -> tuple[list[Response], bytes]:
    out = []
    while True:
        buf = buf.lstrip(b"\r\n")
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        m = re.search(rb"^(?:content-length|l)\s*:\s*(\d+)", buf[:end], re.I | re.M)
        length = int(m.group(1)) if m else 0
        if len(buf) < end + 4 + length:
            return out, buf
        raw, buf = buf[:end + 4 + length], buf[end + 4 + length:]
        m = re.match(rb"SIP/2\.0 (\d{3}) ", raw)
        if m:
            out.append(Response(int(m.group(1)), raw))


def ack_for(sent: Sent, resp: Response, lab: Lab, proto: str, port: int) -> Optional[bytes]:
    """The ACK for a non-2xx final response to an INVITE (same branch, RFC 3261 17.1.1.3)."""
    if not sent.data.startswith(b"INVITE ") or sent.call_id is None or resp.status < 300:
        return None
    to = re.search(rb"^(?:To|t)\s*:\s*([^\r\n]*)", resp.raw, re.I | re.M)
    ruri = sent.data.split(b" ", 2)[1].decode("latin-1")
    head = sent.data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    frm = re.search(r"^From: ([^\r\n]*)", head, re.M)
    return (f"ACK {ruri} SIP/2.0\r\nVia: SIP/2.0/{proto.upper()} {lab.uac_ip}:{port};branch={sent.branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: {frm.group(1) if frm else ''}\r\n"
            f"To: {to.group(1).decode('latin-1') if to else ''}\r\nCall-ID: {sent.call_id}\r\n"
            f"CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode()


def judge(case: Case, finals: list[Response], closed: bool, sent: Sent, others: list[str]) -> list[str]:
    out = list(others)
    if sent.branch:
        for r in finals:
            if r.branch != sent.branch:
                out.append(f"the response '{r.line()}' carries branch {r.branch}, not ours ({sent.branch})")
    if finals:
        if finals[0].status not in case.expect.codes:
            out.append(f"got '{finals[0].line()}', expected {case.expect.describe()}")
    elif closed and not case.expect.close_ok:
        out.append(f"the SBC closed the connection without a response, expected {case.expect.describe()}")
    elif not closed and not case.expect.silence_ok:
        out.append(f"no response, expected {case.expect.describe()}")
    return out


def run_udp(case: Case, lab: Lab, n: str) -> tuple[list[str], str]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((lab.uac_ip, 0))
    port = s.getsockname()[1]
    sent = case.build(lab, "udp", port, n)
    sbc = (lab.sbc_access_ip, lab.sbc_port)
    finals: list[Response] = []
    others: list[str] = []
    try:
        s.sendto(sent.data, sbc)
        deadline = time.monotonic() + (1.5 if case.expect.silence_ok else 3.0)
        while time.monotonic() < deadline and not finals:
            ready, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            data, addr = s.recvfrom(65535)
            if addr != sbc:
                others.append(f"a datagram came from {addr[0]}:{addr[1]}, not from the SBC {sbc[0]}:{sbc[1]}")
                continue
            got, _ = parse_responses(data)
            if not got:
                others.append(f"the SBC sent something that is not a SIP response: {data[:60]!r}")
            finals += [r for r in got if r.status >= 200]
        for r in finals[:1]:
            ack = ack_for(sent, r, lab, "udp", port)
            if ack:
                s.sendto(ack, sbc)
    finally:
        s.close()
    problems = judge(case, finals, False, sent, others)
    return problems, (finals[0].line() if finals else "no response")


def run_tcp(case: Case, lab: Lab, n: str) -> tuple[list[str], str]:
    try:
        c = socket.create_connection((lab.sbc_access_ip, lab.sbc_port), timeout=3, source_address=(lab.uac_ip, 0))
    except OSError as e:
        return [f"cannot connect over TCP: {e}"], "no connection"
    port = c.getsockname()[1]
    sent = case.build(lab, "tcp", port, n)
    finals: list[Response] = []
    closed = False
    buf = b""
    try:
        try:
            c.sendall(sent.data)
            if case.half_close:
                c.shutdown(socket.SHUT_WR)
        except OSError:  # the SBC closed while we were still sending; its answer may be queued
            pass
        deadline = time.monotonic() + 3.0
        while not closed and time.monotonic() < deadline and not finals:
            ready, _, _ = select.select([c], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            try:
                data = c.recv(65535)
            except OSError:  # reset: whatever it sent before is lost to us
                data = b""
            if not data:
                closed = True
                break
            buf += data
            got, buf = parse_responses(buf)
            finals += [r for r in got if r.status >= 200]
        for r in finals[:1]:
            ack = ack_for(sent, r, lab, "tcp", port)
            if ack and not case.half_close:
                try:
                    c.sendall(ack)
                except OSError:
                    pass
    finally:
        c.close()
    problems = judge(case, finals, closed, sent, [])
    what = finals[0].line() if finals else ("connection closed, no response" if closed else "no response")
    return problems, what


# --------------------------------------------------------------------------------------
# Slowloris


@dataclasses.dataclass
class Slow:
    idx: int
    closed_after: Optional[float] = None
    lines_sent: int = 0
    got: bytes = b""
    error: Optional[str] = None


def slowloris(lab: Lab, slow: Slow, limit: float, stop: threading.Event) -> None:
    try:
        c = socket.create_connection((lab.sbc_access_ip, lab.sbc_port), timeout=3, source_address=(lab.uac_ip, 0))
    except OSError as e:
        slow.error = f"cannot connect: {e}"
        return
    t0 = time.monotonic()
    try:
        c.sendall(f"INVITE sip:slow{slow.idx}@{lab.sbc_access_ip} SIP/2.0\r\n".encode())
        next_line = t0 + 1.0
        while not stop.is_set():
            now = time.monotonic()
            if now - t0 > limit:
                return
            ready, _, _ = select.select([c], [], [], max(0.0, min(next_line, t0 + limit) - now))
            if ready:
                try:
                    data = c.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    slow.closed_after = time.monotonic() - t0
                    return
                slow.got += data
                continue
            if time.monotonic() >= next_line:
                slow.lines_sent += 1
                try:
                    c.sendall(f"X-Slow-{slow.lines_sent}: {'z' * 20}\r\n".encode())
                except OSError:
                    slow.closed_after = time.monotonic() - t0
                    return
                next_line += 1.0
    finally:
        c.close()


# --------------------------------------------------------------------------------------
# Configuration copy


def with_header_timeout(text: str, seconds: int) -> tuple[Optional[str], str]:
    """The configuration with realms[].limits.tcp_header_timeout_s = seconds (docs/CONFIG.md),
    edited as text so that everything else stays as it is: the key's value is replaced where it
    appears; otherwise it is added to every realm's `limits` (block or flow style), or a
    `limits: { tcp_header_timeout_s: N }` is added to a realm that has none."""
    key = "tcp_header_timeout_s"
    pat = re.compile(rf"(\b{key}\s*:\s*)\d+")
    if pat.search(text):
        return pat.sub(lambda m: f"{m.group(1)}{seconds}", text), f"{key} set to {seconds} where it appears"
    lines = text.split("\n")
    top = [i for i, ln in enumerate(lines) if re.match(r"^realms\s*:\s*(#.*)?$", ln)]
    if not top:
        return None, "no top-level realms: list to add it to"
    start = top[0] + 1
    stop = next((i for i in range(start, len(lines)) if re.match(r"^[^\s#-]", lines[i])), len(lines))
    items = [i for i in range(start, stop) if re.match(r"^\s*- ", lines[i])]
    if not items:
        return None, "no realm in the realms: list"
    item_indent = len(lines[items[0]]) - len(lines[items[0]].lstrip())
    items = [i for i in items if len(lines[i]) - len(lines[i].lstrip()) == item_indent]
    inserts: dict[int, str] = {}  # after line i
    for n, first in enumerate(items):
        last = items[n + 1] if n + 1 < len(items) else stop
        key_indent = item_indent + 2
        limits = [i for i in range(first, last)
                  if re.match(rf"^\s{{{key_indent}}}limits\s*:|^\s*- limits\s*:", lines[i])]
        if not limits:
            inserts[first] = " " * key_indent + f"limits: {{ {key}: {seconds} }}"
            continue
        i = limits[0]
        if "{" in lines[i]:
            lines[i] = lines[i].replace("{", f"{{ {key}: {seconds},", 1)
        else:
            nxt = next((ln for ln in lines[i + 1:last] if ln.strip() and not ln.strip().startswith("#")), "")
            child = len(nxt) - len(nxt.lstrip())
            inserts[i] = " " * (child if child > key_indent else key_indent + 2) + f"{key}: {seconds}"
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        if i in inserts:
            out.append(inserts[i])
    return "\n".join(out), f"{key}: {seconds} added to the {len(items)} realm(s)"


# --------------------------------------------------------------------------------------


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sbcd", type=Path, required=True)
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("--header-timeout", type=int, default=3, help="tcp_header_timeout_s for the run (default 3)")
    ap.add_argument("--no-config-edit", action="store_true", help="use the configuration as it is (10 s default)")
    ap.add_argument("--slowloris", type=int, default=4, help="slowloris connections (default 4)")
    ap.add_argument("--rate", type=int, default=10, help="SIPp call load, calls/s (default 10)")
    ap.add_argument("--duration", type=int, default=15, help="SIPp call load, seconds (default 15)")
    ap.add_argument("--log-level", default="debug")
    ap.add_argument("--keep", action="store_true")
    g = ap.add_argument_group("lab addresses (the defaults are config/lab/loopback.yaml's)")
    g.add_argument("--uac-ip", default=Lab.uac_ip)
    g.add_argument("--access-ip", default=Lab.sbc_access_ip)
    g.add_argument("--core-ip", default=Lab.sbc_core_ip)
    g.add_argument("--sbc-port", type=int, default=Lab.sbc_port)
    g.add_argument("--uas-ip", default=Lab.uas_ip)
    g.add_argument("--uas-port", type=int, default=Lab.uas_port)
    args = ap.parse_args(argv)
    lab = Lab(args.uac_ip, args.access_ip, args.core_ip, args.uas_ip, args.sbc_port, args.uas_port)

    if shutil.which("sipp") is None:
        log("FAIL: sipp is not installed (apt-get install sip-tester)")
        return 1
    if not (args.sbcd.is_file() and os.access(args.sbcd, os.X_OK)):
        log(f"FAIL: sbcd not found at {args.sbcd}: build it first (cmake --build build --target sbcd); "
            "this test runs the real daemon and does not skip")
        return 1
    if not args.config.is_file():
        log(f"FAIL: the lab configuration {args.config} does not exist")
        return 1

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    rs.signal.signal(rs.signal.SIGTERM, on_term)
    log(f"=== hostile input against sbcd {args.sbcd} --config {args.config} ===")
    t_start = time.monotonic()
    report = Report()
    tmp = Path(tempfile.mkdtemp(prefix="scenario-hostile-"))
    procs: list[Proc] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        rs.require_free([(lab.sbc_access_ip, lab.sbc_port, "udp"), (lab.sbc_access_ip, lab.sbc_port, "tcp"),
                         (lab.sbc_core_ip, lab.sbc_port, "udp"), (lab.sbc_core_ip, lab.sbc_port, "tcp"),
                         (lab.uas_ip, lab.uas_port, "udp")])
        # 1. configuration and sbcd
        header_timeout, config = 10, args.config.resolve()
        if not args.no_config_edit:
            text, how = with_header_timeout(args.config.read_text(), args.header_timeout)
            if text is not None:
                config = tmp / "sbcd.yaml"
                config.write_text(text)
                header_timeout = args.header_timeout
            log(f"  configuration: {how}" + ("" if text is not None else "; expecting the 10 s default"))
        def start_sbcd(cfg: Path) -> Proc:
            argv_sbcd = [str(args.sbcd.resolve()), "--config", str(cfg)]
            if args.log_level:
                argv_sbcd += ["--log-level", args.log_level]
            proc = Proc("sbcd", argv_sbcd, tmp, tmp / "sbcd.log")
            procs.append(proc)
            return proc

        sbcd = start_sbcd(config)
        try:
            answer = rs.wait_ready(sbcd, lab, 10.0, tcp=True)
        except Failure:
            if config == args.config.resolve() or sbcd.poll() is None:
                raise
            # The schema guess was wrong: say so, and go on with the original and its default.
            log(f"  NOTE  sbcd refused the edited configuration (exit {sbcd.poll()}):")
            for line in sbcd.tail(5).splitlines():
                log(f"        | {line}")
            log("        using the original configuration and expecting the 10 s default instead")
            sbcd.close()
            config, header_timeout = args.config.resolve(), 10
            sbcd = start_sbcd(config)
            answer = rs.wait_ready(sbcd, lab, 10.0, tcp=True)
        log(f"  sbcd (pid {sbcd.pid}) ready after {time.monotonic() - sbcd.started:.2f} s ('{answer}')")

        # 2. the call load
        calls = args.rate * args.duration
        flow = rs.Flow("basic_caller_bye", "load", rs.check_basic_caller_bye, calls=calls, rate=args.rate,
                       timeout=args.duration + 30)
        uas_argv = rs.sipp_argv(flow, "uas", lab, False, tmp)
        uac_argv = rs.sipp_argv(flow, "uac", lab, False, tmp)
        uas = Proc("SIPp UAS", uas_argv, tmp, tmp / "uas_stdout.log")
        procs.append(uas)
        rs.wait_bound(uas, lab.uas_ip, lab.uas_port, "udp", 5.0)
        uac = Proc("SIPp UAC", uac_argv, tmp, tmp / "uac_stdout.log")
        procs.append(uac)
        log(f"  SIPp load started: {calls} calls at {args.rate}/s ({flow.name})")

        # 3. slowloris
        slows = [Slow(i + 1) for i in range(args.slowloris)]
        limit = header_timeout + 5.0
        for s in slows:
            t = threading.Thread(target=slowloris, args=(lab, s, limit, stop), daemon=True)
            t.start()
            threads.append(t)
        log(f"  {len(slows)} slowloris connections opened (one header line per second)")

        # 4. the cases
        for i, case in enumerate(cases()):
            runner = run_udp if case.proto == "udp" else run_tcp
            problems, what = runner(case, lab, str(i))
            report.check(f"{case.proto.upper()} {case.name}: {case.expect.describe()} (got: {what})", problems)
            if sbcd.poll() is not None:
                raise Failure(f"sbcd exited with code {sbcd.poll()} after '{case.proto} {case.name}'")

        # 5. slowloris verdicts
        for t in threads:
            t.join(limit + 5)
        lo, hi = header_timeout - 1.0, header_timeout + 3.0
        problems = []
        for s in slows:
            if s.error:
                problems.append(f"slowloris {s.idx}: {s.error}")
            elif s.closed_after is None:
                problems.append(f"slowloris {s.idx}: still open after {limit:.0f} s ({s.lines_sent} header lines)")
            elif not lo <= s.closed_after <= hi:
                problems.append(f"slowloris {s.idx}: closed after {s.closed_after:.1f} s, "
                                f"outside [{lo:.0f}, {hi:.0f}] s")
        closed = [f"{s.closed_after:.1f}" for s in slows if s.closed_after is not None]
        report.check(f"slowloris: {len(slows)} connections closed by the SBC within its {header_timeout} s header "
                     f"timeout (closed after {', '.join(closed) or '-'} s)", problems)

        # 6. still serving
        udp_ok = rs.wait_ready(sbcd, lab, 3.0, tcp=False)
        tcp_case = Case("OPTIONS", "tcp", lambda lab_, proto, port, n: request(lab_, proto, port, n),
                        Expect(frozenset({200})))
        problems, what = run_tcp(tcp_case, lab, "final")
        report.check(f"sbcd still answers OPTIONS over UDP ('{udp_ok}') and TCP ('{what}')", problems)

        # 7. the load
        uac_rc = uac.wait(flow.timeout + 15)
        if uac_rc is None:
            uac.kill()
        uas_rc = uas.wait(flow.uas_linger) if uac_rc is not None else None
        if uas_rc is None:
            uas.kill()
        report.check(f"SIPp load: {calls} calls, 0 failed (UAC exit {uac_rc}, UAS exit {uas_rc})",
                     [] if uac_rc == 0 and uas_rc == 0 else
                     [f"UAC exit {uac_rc}, UAS exit {uas_rc} (0: all calls succeeded; None: did not finish)"])

        # 8. sbcd
        if sbcd.poll() is not None:
            report.fail("sbcd survived", f"it exited with code {sbcd.poll()}")
        else:
            rc, took = sbcd.terminate(5.0)
            report.check(f"sbcd stops cleanly on SIGTERM (exit 0 after {took:.2f} s)",
                         ["still running 5 s after SIGTERM: killed"] if rc is None else
                         ([] if rc == 0 else [f"exit code {rc}"]))
    except Failure as e:
        report.fail("the lab ran", str(e))
    except KeyboardInterrupt as e:
        report.fail("the run completed", f"interrupted ({e})")
    finally:
        stop.set()
        for p in reversed(procs):
            p.close()
        for t in threads:
            t.join(2)
        if report.failed:
            for role in ("uac", "uas"):
                rs.show_file(f"SIPp {role.upper()} errors", tmp / f"{role}_errors.log", 30)
                rs.show_file(f"SIPp {role.upper()} screen", tmp / f"{role}_screen.log", 25)
            rs.show_file("sbcd log", tmp / "sbcd.log", 60)
        if args.keep:
            log(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    took = time.monotonic() - t_start
    if report.failed:
        log(f"RESULT scenario_hostile: FAIL ({len(report.failed)} of {len(report.failed) + len(report.passed)} "
            f"checks failed, {took:.1f} s)")
        for name, problems in report.failed:
            log(f"  - {name}: {problems[0].splitlines()[0]}")
        return 1
    log(f"RESULT scenario_hostile: PASS ({len(report.passed)} checks, {took:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
