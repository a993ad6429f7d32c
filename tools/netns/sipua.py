"""A small SIP user agent (UDP) for the namespace lab: what SIPp cannot do easily, such as
offering SRTP keys (RFC 4568 `a=crypto`) and reading the SBC's keys out of its SDP to hand
them to build/bin/rtp-probe.

  sdp / Media / Crypto    build and parse the one audio stream of an SDP body
  new_key(suite)          a fresh base64 key||salt of the right length for an SDES suite
  socket_in_namespace()   a socket created inside a network namespace (setns), so one
                          Python process can speak for the caller and the callee
  Endpoint                one UA (caller or callee side) on a UDP socket, talking only to
                          the SBC: it places calls (INVITE/ACK, re-INVITE, BYE) and answers
                          what the SBC sends it (INVITE, re-INVITE, ACK, BYE)
  Pump                    drives both endpoints (one thread, select) until a condition holds

Dialog handling is what the lab needs and no more: no authentication, no forking, no
Record-Route (sbcd is a B2BUA: each side's dialog ends at the SBC, so in-dialog requests go
to the SBC's address). Every wait is bounded.
"""

from __future__ import annotations

import base64
import ctypes
import dataclasses
import itertools
import os
import re
import select
import socket
import time
from typing import Callable, Optional

CLONE_NEWNET = 0x40000000

# SDES suite -> master key || salt length in bytes (RFC 4568, RFC 7714)
SUITE_KEY_BYTES = {
    "AES_CM_128_HMAC_SHA1_80": 30,
    "AES_CM_128_HMAC_SHA1_32": 30,
    "AEAD_AES_128_GCM": 28,
    "AEAD_AES_256_GCM": 44,
}
# SRTP authentication tag length per suite: what protecting adds to an RTP packet
SUITE_TAG_BYTES = {
    "AES_CM_128_HMAC_SHA1_80": 10,
    "AES_CM_128_HMAC_SHA1_32": 4,
    "AEAD_AES_128_GCM": 16,
    "AEAD_AES_256_GCM": 16,
}
SUITES = tuple(SUITE_KEY_BYTES)


class SipError(Exception):
    pass


def new_key(suite: str) -> str:
    return base64.b64encode(os.urandom(SUITE_KEY_BYTES[suite])).decode()


# --------------------------------------------------------------------------------------
# Namespaces


def socket_in_namespace(ns: Optional[str], family: int, kind: int, proto: int = 0) -> socket.socket:
    """A socket that lives in network namespace `ns` (None: the current one). setns() moves
    only the calling thread; it is moved back before returning. Needs root."""
    if ns is None:
        return socket.socket(family, kind, proto)
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
        try:
            if libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {ns}")
            try:
                return socket.socket(family, kind, proto)
            finally:
                if libc.setns(own, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back into the test's namespace")
        finally:
            os.close(target)
    finally:
        os.close(own)


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def raw_udp_send(ns: str, src: tuple[str, int], dst: tuple[str, int], payload: bytes) -> None:
    """Sends one UDP datagram with any source (also one another process has bound), as an
    attacker on the link would: a raw IPv4 socket, headers and checksums written here."""
    s = socket_in_namespace(ns, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    try:
        sip, dip = socket.inet_aton(src[0]), socket.inet_aton(dst[0])
        ulen = 8 + len(payload)
        udp = src[1].to_bytes(2, "big") + dst[1].to_bytes(2, "big") + ulen.to_bytes(2, "big") + b"\0\0"
        pseudo = sip + dip + b"\0\x11" + ulen.to_bytes(2, "big")
        c = 0xFFFF - _csum(pseudo + udp + payload)
        udp = udp[:6] + (c or 0xFFFF).to_bytes(2, "big")
        total = 20 + ulen
        ip = (bytes([0x45, 0]) + total.to_bytes(2, "big") + os.urandom(2) + b"\x40\x00" + bytes([64, 17])
              + b"\0\0" + sip + dip)
        ip = ip[:10] + (0xFFFF - _csum(ip)).to_bytes(2, "big") + ip[12:]
        s.sendto(ip + udp + payload, (dst[0], 0))
    finally:
        s.close()


# --------------------------------------------------------------------------------------
# SDP


@dataclasses.dataclass
class Crypto:
    tag: int
    suite: str
    key: str  # base64 key||salt (inline:...), without lifetime/MKI
    rest: str = ""  # what followed the key in the key-params (|lifetime|MKI) and session params

    def line(self) -> str:
        return f"a=crypto:{self.tag} {self.suite} inline:{self.key}{self.rest}"


@dataclasses.dataclass
class Media:
    ip: str
    port: int
    proto: str  # RTP/AVP | RTP/SAVP ...
    pts: list[int]
    cryptos: list[Crypto]
    direction: Optional[str]  # sendrecv|sendonly|recvonly|inactive, None when absent
    raw: str = ""

    @property
    def srtp(self) -> bool:
        return "SAVP" in self.proto


CRYPTO_RE = re.compile(r"^a=crypto:(\d+)\s+(\S+)\s+inline:([^|\s]+)(\S*)(.*)$")


def parse_sdp(body: str) -> Media:
    """The first audio stream of an SDP body."""
    session_ip = media_ip = None
    media: Optional[Media] = None
    for line in body.replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if line.startswith("c=IN IP4 "):
            ip = line.split()[2].split("/")[0]
            if media is None:
                session_ip = ip
            elif media_ip is None:
                media_ip = ip
        elif line.startswith("m="):
            if media is not None:
                break
            parts = line[2:].split()
            if parts[0] != "audio":
                continue
            media = Media("", int(parts[1]), parts[2], [int(p) for p in parts[3:] if p.isdigit()], [], None)
        elif media is not None:
            m = CRYPTO_RE.match(line)
            if m:
                media.cryptos.append(Crypto(int(m.group(1)), m.group(2), m.group(3), m.group(4) + m.group(5)))
            elif line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
                media.direction = line[2:]
    if media is None:
        raise SipError(f"no audio stream in the SDP: {body!r}")
    media.ip = media_ip or session_ip or ""
    media.raw = body
    return media


def build_sdp(ip: str, port: int, proto: str = "RTP/AVP", cryptos: tuple = (), direction: str = "sendrecv",
              version: int = 1, raw_lines: tuple = ()) -> str:
    """An audio offer or answer: PCMU, 20 ms. `cryptos` are Crypto objects or raw lines."""
    lines = ["v=0", f"o=- 4711 {version} IN IP4 {ip}", "s=-", f"c=IN IP4 {ip}", "t=0 0",
             f"m=audio {port} {proto} 0", "a=rtpmap:0 PCMU/8000", "a=ptime:20"]
    lines += [c.line() if isinstance(c, Crypto) else c for c in cryptos]
    lines += list(raw_lines)
    if direction:
        lines.append(f"a={direction}")
    return "\r\n".join(lines) + "\r\n"


ANSWER_DIRECTION = {"sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive", "sendrecv": "sendrecv",
                    None: "sendrecv"}


def mirror_direction(sdp: str, offered: Optional[str]) -> str:
    """An answer SDP with the direction that answers `offered` (RFC 3264 6.1), the o= version
    bumped."""
    want = ANSWER_DIRECTION[offered]
    sdp = re.sub(r"^a=(sendrecv|sendonly|recvonly|inactive)\r?$", f"a={want}\r", sdp, flags=re.M)
    return re.sub(r"^(o=\S+ \S+ )(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1), sdp, flags=re.M)


# --------------------------------------------------------------------------------------
# SIP messages


@dataclasses.dataclass
class Msg:
    start: str
    headers: list[tuple[str, str]]
    body: str
    raw: bytes
    src: tuple[str, int]
    at: float

    def h(self, name: str) -> Optional[str]:
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]

    @property
    def is_request(self) -> bool:
        return not self.start.startswith("SIP/2.0 ")

    @property
    def method(self) -> str:
        return self.start.split()[0] if self.is_request else (self.h("cseq") or " ").split()[-1]

    @property
    def status(self) -> int:
        return 0 if self.is_request else int(self.start.split()[1])

    @property
    def call_id(self) -> str:
        return self.h("call-id") or ""

    @property
    def cseq(self) -> int:
        return int((self.h("cseq") or "0").split()[0])

    def tag(self, header: str) -> str:
        m = re.search(r";\s*tag=([^;>\s]+)", self.h(header) or "")
        return m.group(1) if m else ""

    def branch(self) -> str:
        m = re.search(r"branch=([^;\s]+)", self.h("via") or "")
        return m.group(1) if m else ""

    def uri_of(self, header: str) -> str:
        v = self.h(header) or ""
        m = re.search(r"<([^>]+)>", v)
        return m.group(1) if m else v.split(";")[0].strip()


SHORT = {"i": "call-id", "f": "from", "t": "to", "v": "via", "m": "contact", "l": "content-length",
         "c": "content-type"}


def parse_msg(data: bytes, src: tuple[str, int]) -> Msg:
    text = data.decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            k, v = headers[-1]
            headers[-1] = (k, v + " " + line.strip())
            continue
        k, _, v = line.partition(":")
        k = k.strip().lower()
        headers.append((SHORT.get(k, k), v.strip()))
    return Msg(lines[0], headers, body, data, src, time.monotonic())


def _render(start: str, headers: list[tuple[str, str]], body: str = "") -> bytes:
    lines = [start] + [f"{k}: {v}" for k, v in headers]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


_counter = itertools.count(1)


def token(prefix: str) -> str:
    return f"{prefix}{os.getpid():x}{next(_counter):04x}{os.urandom(3).hex()}"


# --------------------------------------------------------------------------------------
# Dialogs and endpoints


@dataclasses.dataclass
class Dialog:
    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str
    remote_uri: str
    remote_target: str
    cseq: int = 1
    remote_cseq: int = 0
    # SDP state
    local_sdp: str = ""
    remote_sdp: Optional[Media] = None
    sdp_version: int = 1
    offers_received: list = dataclasses.field(default_factory=list)  # Media, each offer the SBC sent
    answers_received: list = dataclasses.field(default_factory=list)  # Media, each answer the SBC sent
    ended: bool = False
    established: bool = False
    invite: Optional[Msg] = None  # the initial INVITE (received or sent)
    # Answer to an offer from the SBC: (offer Media, dialog) -> (status, SDP body or "")
    answerer: Optional[Callable[["Dialog", Media], tuple[int, str]]] = None
    label: str = ""


# A handler that answers initial INVITEs at a callee: (INVITE, offer) -> (status, SDP, label)
InviteHandler = Callable[[Msg, Optional[Media]], tuple[int, str, str]]


class Endpoint:
    """One UA on one UDP socket, talking to the SBC at `sbc` only."""

    def __init__(self, name: str, ns: Optional[str], ip: str, port: int, sbc: tuple[str, int], user: str):
        self.name, self.ns, self.ip, self.port, self.sbc, self.user = name, ns, ip, port, sbc, user
        self.sock = socket_in_namespace(ns, socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.setblocking(False)
        self.dialogs: dict[str, Dialog] = {}
        self.received: list[Msg] = []  # every message, in order (checks read them)
        self.sent: list[bytes] = []
        self.responses: list[Msg] = []  # responses not yet consumed by a transaction
        self.on_invite: Optional[InviteHandler] = None
        self.unexpected: list[str] = []
        self._answered: dict[tuple[str, int, str], bytes] = {}  # (call-id, cseq, method) -> response sent

    def close(self) -> None:
        self.sock.close()

    def contact(self) -> str:
        return f"<sip:{self.user}@{self.ip}:{self.port}>"

    def send(self, data: bytes, to: Optional[tuple[str, int]] = None) -> None:
        self.sent.append(data)
        self.sock.sendto(data, to or self.sbc)

    def via(self, branch: str) -> tuple[str, str]:
        return ("Via", f"SIP/2.0/UDP {self.ip}:{self.port};branch={branch};rport")

    # -- receiving -------------------------------------------------------------------------

    def poll(self) -> bool:
        try:
            data, src = self.sock.recvfrom(65535)
        except BlockingIOError:
            return False
        if not data.strip():
            return True  # keep-alive
        m = parse_msg(data, src)
        self.received.append(m)
        if m.is_request:
            self._request(m)
        else:
            self.responses.append(m)
        return True

    def _respond(self, req: Msg, status: int, reason: str, body: str = "", to_tag: str = "",
                 extra: tuple = ()) -> bytes:
        to = req.h("to") or ""
        if to_tag and ";tag=" not in to:
            to += f";tag={to_tag}"
        headers = [("Via", v) for v in req.all("via")]
        headers += [("From", req.h("from") or ""), ("To", to), ("Call-ID", req.call_id),
                    ("CSeq", req.h("cseq") or "")]
        if status < 300 and req.method == "INVITE":
            headers.append(("Contact", self.contact()))
        headers += list(extra)
        data = _render(f"SIP/2.0 {status} {reason}", headers, body)
        self.send(data, req.src)
        return data

    def _request(self, req: Msg) -> None:
        key = (req.call_id, req.cseq, req.method)
        if key in self._answered:  # a retransmission: the same answer again
            self.send(self._answered[key], req.src)
            return
        d = self.dialogs.get(req.call_id)
        method = req.method
        if method == "ACK":
            if d is not None:
                d.established = True
            return
        if method == "INVITE" and d is None:
            offer = parse_sdp(req.body) if req.body.strip() else None
            status, body, label = self.on_invite(req, offer) if self.on_invite else (480, "", "")
            tag = token("t")
            if status < 300:
                d = Dialog(req.call_id, tag, req.tag("from"), f"sip:{self.user}@{self.ip}", req.uri_of("from"),
                           req.uri_of("contact"), cseq=1, remote_cseq=req.cseq, local_sdp=body, invite=req,
                           label=label)
                if offer is not None:
                    d.offers_received.append(offer)
                    d.remote_sdp = offer
                self.dialogs[req.call_id] = d
                self._answered[key] = self._respond(req, status, "OK", body, tag)
            else:
                self._answered[key] = self._respond(req, status, "Not Acceptable Here", to_tag=tag)
            return
        if d is None:
            self.unexpected.append(req.start)
            self._answered[key] = self._respond(req, 481, "Call/Transaction Does Not Exist")
            return
        d.remote_cseq = req.cseq
        if method == "INVITE":
            offer = parse_sdp(req.body) if req.body.strip() else None
            if offer is not None:
                d.offers_received.append(offer)
            if d.answerer is not None and offer is not None:
                status, body = d.answerer(d, offer)
            elif offer is not None:
                status, body = 200, mirror_direction(d.local_sdp, offer.direction)
            else:
                status, body = 200, d.local_sdp
            if status < 300:
                d.local_sdp = body
                if offer is not None:
                    d.remote_sdp = offer
            self._answered[key] = self._respond(req, status, "OK" if status < 300 else "Not Acceptable Here", body)
        elif method == "BYE":
            d.ended = True
            self._answered[key] = self._respond(req, 200, "OK")
        else:
            self._answered[key] = self._respond(req, 200, "OK")

    # -- requests we send -------------------------------------------------------------------

    def invite(self, to_user: str, body: str, extra: tuple = (), label: str = "") -> Dialog:
        """Sends an initial INVITE to the SBC; the dialog completes in complete_invite()."""
        call_id = token("c") + f"@{self.ip}"
        d = Dialog(call_id, token("f"), "", f"sip:{self.user}@{self.ip}", f"sip:{to_user}@{self.sbc[0]}",
                   f"sip:{to_user}@{self.sbc[0]}:{self.sbc[1]}", cseq=1, local_sdp=body, label=label)
        self.dialogs[call_id] = d
        data = self._request_bytes(d, "INVITE", body, extra, initial=True)
        d.invite = parse_msg(data, (self.ip, self.port))
        self.send(data)
        return d

    def _request_bytes(self, d: Dialog, method: str, body: str = "", extra: tuple = (), initial: bool = False,
                       branch: Optional[str] = None) -> bytes:
        to = f"<{d.remote_uri}>" + (f";tag={d.remote_tag}" if d.remote_tag else "")
        headers = [self.via(branch or token("z9hG4bK-")), ("Max-Forwards", "70"),
                   ("From", f"<{d.local_uri}>;tag={d.local_tag}"), ("To", to), ("Call-ID", d.call_id),
                   ("CSeq", f"{d.cseq} {method}")]
        if method in ("INVITE",):
            headers.append(("Contact", self.contact()))
        headers += list(extra)
        return _render(f"{method} {d.remote_target} SIP/2.0", headers, body)

    def take_response(self, d: Dialog, method: str, cseq: int) -> Optional[Msg]:
        """The next response of that transaction (provisional or final), or None yet."""
        for i, r in enumerate(self.responses):
            if r.call_id == d.call_id and r.cseq == cseq and r.method == method:
                return self.responses.pop(i)
        return None

    def ack(self, d: Dialog, resp: Msg, invite_branch: str) -> None:
        if resp.status >= 300:
            # non-2xx: hop-by-hop ACK, same branch, To with the response's tag
            headers = [self.via(invite_branch), ("Max-Forwards", "70"), ("From", resp.h("from") or ""),
                       ("To", resp.h("to") or ""), ("Call-ID", d.call_id), ("CSeq", f"{resp.cseq} ACK")]
            self.send(_render(f"ACK {d.remote_target} SIP/2.0", headers))
            return
        saved = d.cseq
        d.cseq = resp.cseq
        self.send(self._request_bytes(d, "ACK"))
        d.cseq = saved


class Pump:
    """Runs the endpoints' sockets until a condition holds (bounded)."""

    def __init__(self, *endpoints: Endpoint):
        self.endpoints = endpoints

    def run(self, until: Callable[[], bool], timeout: float, what: str) -> float:
        start = time.monotonic()
        while True:
            while any(e.poll() for e in self.endpoints):
                pass
            if until():
                return time.monotonic() - start
            left = start + timeout - time.monotonic()
            if left <= 0:
                raise SipError(f"timed out after {timeout:.1f} s waiting for {what}")
            select.select([e.sock for e in self.endpoints], [], [], min(left, 0.05))

    def settle(self, seconds: float) -> None:
        """Answers whatever comes for `seconds`."""
        end = time.monotonic() + seconds
        self.run(lambda: time.monotonic() >= end, seconds + 1, "nothing")

    def transaction(self, ep: Endpoint, d: Dialog, method: str, body: str = "", timeout: float = 8.0,
                    extra: tuple = ()) -> Msg:
        """Sends a request in (or, for the first INVITE, creating) dialog `d` and returns the
        final response; ACKs an INVITE's final response. Retransmits as RFC 3261 (T1 500 ms)."""
        # the initial INVITE was built (and sent) by Endpoint.invite()
        initial = method == "INVITE" and not d.established and not d.remote_tag and d.invite is not None \
            and d.invite.src == (ep.ip, ep.port)
        if not initial:
            d.cseq += 1
        if initial:
            data = d.invite.raw
            branch = d.invite.branch()
        else:
            branch = token("z9hG4bK-")
            data = ep._request_bytes(d, method, body, extra, branch=branch)
            ep.send(data)
        cseq = d.cseq
        final: list[Msg] = []
        sent_at = time.monotonic()
        interval = 0.5

        def done() -> bool:
            nonlocal sent_at, interval
            while True:
                r = ep.take_response(d, method, cseq)
                if r is None:
                    break
                if r.status >= 200 and not final:
                    final.append(r)
                elif r.status >= 200 and method == "INVITE" and r.status < 300:
                    ep.ack(d, r, branch)  # a retransmitted 2xx: ACK again
            if final:
                return True
            if time.monotonic() - sent_at > interval:
                ep.send(data)
                sent_at = time.monotonic()
                interval = min(interval * 2, 4.0)
            return False

        self.run(done, timeout, f"the final response to {method} ({d.label or d.call_id}) at the {ep.name}")
        r = final[0]
        if method == "INVITE":
            if r.status < 300:
                d.remote_tag = r.tag("to")
                d.remote_target = r.uri_of("contact") or d.remote_target
                if r.body.strip():
                    ans = parse_sdp(r.body)
                    d.answers_received.append(ans)
                    d.remote_sdp = ans
                d.established = True
            ep.ack(d, r, branch)
        elif method == "BYE" and r.status < 300:
            d.ended = True
        return r
