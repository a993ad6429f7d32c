#!/usr/bin/env python3
"""SIPp call flows through sbcd, with assertions on what each side really saw.

    run_scenario.py --sbcd build/bin/sbcd --config config/lab/loopback.yaml --flow basic_caller_bye
    run_scenario.py --direct --flow all          # the scenarios alone, no sbcd (UAC -> UAS)
    run_scenario.py --list

The lab (all on loopback, the addresses of config/lab/loopback.yaml):

    SIPp UAC 127.0.0.10 --> sbcd access 127.0.0.1:5060 | sbcd core 127.0.0.2:5060 --> SIPp UAS 127.0.0.3:5080
                            (UDP and TCP)              | (UDP)                          (the trunk)

For one flow (tests/scenarios/<flow>/uac.xml and uas.xml) the harness
  1. checks that the lab ports are free (a stale sbcd or SIPp would answer for us),
  2. starts `sbcd --config FILE --log-level debug` and waits until it is ready: its UDP
     access port answers an OPTIONS (any SIP response), within 10 s,
  3. starts the UAS, waits until its port is bound, then the UAC; both run with
     -trace_msg -message_file, -trace_err, -m N and -timeout/-timeout_error, so every
     run is bounded in time; -mi makes each SIPp's SDP media address its own signaling IP,
  4. waits for both and checks their exit codes (0: every call succeeded; the UAS may run
     on for a few seconds after the UAC, its timewait),
  5. stops sbcd with SIGTERM and checks that it exits 0 within 5 s,
  6. parses both message traces and asserts, for every call, what each side saw,
  7. kills (by PID) anything still running, shows the SIPp error logs, screens and the
     sbcd log if something failed, and removes its temporary directory (--keep keeps it).
It prints one PASS/FAIL line per check and ends with a RESULT line; the exit status is 0
only if every check passed.

With --direct there is no sbcd: the UAC talks straight to the UAS and the assertions
about the SBC (topology hiding, media bypass) are skipped; the flow's own checks still
run. That validates the scenarios themselves. (options_keepalive: behind the SBC its UAS
is only a listener that must see nothing; in --direct mode it answers the OPTIONS itself.)
The lab addresses can be changed (--uac-ip, --access-ip, ...) together with a matching
configuration, e.g. to run next to another lab on the same machine.

SIPp's -trace_msg format (SIPp 3.6), which parse_trace() reads: every message is a block

    ----------------------------------------------- 2026-11-25 13:28:49.967982
    UDP message sent (515 bytes):
    <empty line>
    <the message, exactly 515 bytes>
    <empty line>

("UDP message received [312] bytes :" for a received one; TCP likewise). The byte count
frames the message; whatever follows it up to the next block is a note from SIPp:
"UDP message lost (recv)." / "UDP message (retrans) lost (recv)." (the message above was
received but dropped on purpose by a lost="..." attribute) or "UDP message voluntary
lost (while sending)." (a message was dropped instead of being sent: it is not in the
trace at all). Messages that SIPp dropped on receipt were on the wire all the same, so
the topology assertions look at them too.

Conventions the scenarios follow (and the assertions rely on):
  * the UAC's From tag is <pid>SIPpTag00<call>, the UAS's To tag <pid>SIPpTag01<call>;
  * the UAC's first INVITE carries a session-level SDP attribute a=x-sipp-call:<call>.
    The SBC relays SDP in bypass mode, so it pairs each UAC call with the UAS call it
    became, although the Call-IDs differ (without it, calls are paired in order);
  * in-dialog requests go to [next_url] (the Contact of the peer, i.e. the SBC's own).

Assertions in SBC mode, for every call (topology hiding, media bypass):
  * the Call-IDs at the UAS differ from every Call-ID at the UAC; no From/To tag seen at
    one side appears at the other (new From tag on the outbound leg, own To tag inbound);
  * every message the UAS receives has exactly one Via; in a request it is the SBC's
    (sent-by 127.0.0.2); likewise at the UAC (sent-by 127.0.0.1); no branch that one side
    put in its Via appears anywhere at the other side;
  * every Contact the UAS receives is the SBC's core address, every Contact the UAC
    receives the SBC's access address;
  * no access-side address (127.0.0.10, 127.0.0.1) appears anywhere in any message the
    UAS sent or received, and no core-side address (127.0.0.2, 127.0.0.3) in any message
    of the UAC. Addresses match as whole tokens (127.0.0.1 does not match inside
    127.0.0.10). EXCEPTION: the SDP c= and m= lines, which in media-bypass mode keep the
    far endpoint's media address (that is what bypass means). The o= line is checked;
  * media bypass: the SDP of the first INVITE and of its 200/183 crosses unchanged except
    for the o= line, and c= really carries the far side's address (so the exception
    above is exercised).
The flow's own checks (e.g. the UAS received the CANCEL; RAck matches the UAS's RSeq)
are listed in FLOWS below and run in both modes.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------------------
# The lab


@dataclasses.dataclass
class Lab:
    uac_ip: str = "127.0.0.10"
    sbc_access_ip: str = "127.0.0.1"
    sbc_core_ip: str = "127.0.0.2"
    uas_ip: str = "127.0.0.3"
    sbc_port: int = 5060
    uas_port: int = 5080

    def access_side(self) -> list[str]:
        return [self.uac_ip, self.sbc_access_ip]

    def core_side(self) -> list[str]:
        return [self.sbc_core_ip, self.uas_ip]


class Failure(Exception):
    """A failure that ends the run: the message says what and where."""


def log(msg: str = "") -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------------------
# SIP messages from SIPp traces

COMPACT = {
    "i": "call-id", "f": "from", "t": "to", "v": "via", "m": "contact", "l": "content-length",
    "c": "content-type", "k": "supported", "e": "content-encoding", "s": "subject",
    "o": "event", "r": "refer-to", "u": "allow-events", "x": "session-expires",
}


def split_list(value: str) -> list[str]:
    """Splits a header value at commas outside quotes and <...>."""
    parts, cur, quoted, angle = [], [], False, 0
    i = 0
    while i < len(value):
        ch = value[i]
        if quoted:
            cur.append(ch)
            if ch == "\\" and i + 1 < len(value):
                cur.append(value[i + 1])
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
            cur.append(ch)
        elif ch == "<":
            angle += 1
            cur.append(ch)
        elif ch == ">":
            angle = max(0, angle - 1)
            cur.append(ch)
        elif ch == "," and angle == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def header_params(value: str) -> str:
    """The header parameters of a name-addr/addr-spec value (what follows the URI)."""
    if "<" in value and ">" in value:
        return value[value.rindex(">") + 1:]
    return value


def tag_of(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    m = re.search(r";\s*tag\s*=\s*([^;,\s]+)", header_params(value), re.I)
    return m.group(1) if m else None


def uri_host(value: str) -> Optional[str]:
    """The host of the first SIP URI in a header value (Contact, From, ...)."""
    m = re.search(r"sips?:(?:[^@;>\s]*@)?(\[[^\]]+\]|[^:;>\s]+)", value, re.I)
    return m.group(1) if m else None


@dataclasses.dataclass
class SipMessage:
    side: str  # "UAC" or "UAS"
    direction: str  # "sent" or "received"
    transport: str  # "UDP", "TCP"
    timestamp: str
    raw: str
    dropped: bool = False  # received, then dropped on purpose by SIPp (lost="...")

    def __post_init__(self) -> None:
        head, sep, body = self.raw.partition("\r\n\r\n")
        if not sep:
            head, sep, body = self.raw.partition("\n\n")
        lines = re.split(r"\r?\n", head)
        self.start_line = lines[0] if lines else ""
        self.headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:  # folded
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + " " + line.strip())
                continue
            name, colon, value = line.partition(":")
            if not colon:
                continue
            name = name.strip().lower()
            self.headers.append((COMPACT.get(name, name), value.strip()))
        self.body = body
        m = re.match(r"SIP/2\.0\s+(\d{3})", self.start_line)
        self.status = int(m.group(1)) if m else None
        self.method = None if m else self.start_line.split(" ", 1)[0]
        cseq = (self.header("cseq") or "").split()
        self.cseq_num = int(cseq[0]) if cseq and cseq[0].isdigit() else None
        self.cseq_method = cseq[1] if len(cseq) > 1 else None

    @property
    def is_request(self) -> bool:
        return self.status is None

    def header(self, name: str) -> Optional[str]:
        for n, v in self.headers:
            if n == name:
                return v
        return None

    def all_values(self, name: str) -> list[str]:
        out: list[str] = []
        for n, v in self.headers:
            if n == name:
                out.extend(split_list(v))
        return out

    @property
    def call_id(self) -> Optional[str]:
        return self.header("call-id")

    @property
    def from_tag(self) -> Optional[str]:
        return tag_of(self.header("from"))

    @property
    def to_tag(self) -> Optional[str]:
        return tag_of(self.header("to"))

    @property
    def vias(self) -> list[str]:
        return self.all_values("via")

    def branches(self) -> list[str]:
        out = []
        for via in self.vias:
            m = re.search(r";\s*branch\s*=\s*([^;,\s]+)", via, re.I)
            if m:
                out.append(m.group(1))
        return out

    @property
    def top_branch(self) -> Optional[str]:
        b = self.branches()
        return b[0] if b else None

    def has_sdp(self) -> bool:
        ctype = (self.header("content-type") or "").lower()
        return "application/sdp" in ctype and bool(self.body.strip())

    def sdp_lines(self) -> list[str]:
        return [line for line in re.split(r"\r?\n", self.body) if line] if self.has_sdp() else []

    def sdp_attr(self, prefix: str) -> list[str]:
        return [line for line in self.sdp_lines() if line.startswith(prefix)]

    def label(self) -> str:
        what = self.start_line
        if self.status is not None:
            what += f" ({self.cseq_num} {self.cseq_method})"
        note = ", dropped by SIPp" if self.dropped else ""
        return f"{self.side} {self.direction} '{what}' at {self.timestamp}{note}"


BLOCK_RE = re.compile(r"-{47} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\n")
HEAD_RE = re.compile(r"(\w+) message (sent|received) (?:\((\d+) bytes\)|\[(\d+)\] bytes) ?:\n\n")


@dataclasses.dataclass
class Trace:
    side: str
    messages: list[SipMessage]
    send_losses: int  # "voluntary lost (while sending)": never sent
    recv_losses: int  # received and dropped on purpose
    notes: list[str]  # other text SIPp put in the trace


def parse_trace(path: Path, side: str) -> Trace:
    """Reads a SIPp -trace_msg file (format in the module docstring)."""
    text = path.read_bytes().decode("latin-1") if path.exists() else ""
    messages: list[SipMessage] = []
    send_losses = recv_losses = 0
    notes: list[str] = []

    def account(extra: str, last: Optional[SipMessage]) -> None:
        nonlocal send_losses, recv_losses
        send_losses += extra.count("voluntary lost (while sending)")
        n = len(re.findall(r"lost \(recv\)", extra))
        recv_losses += n
        if n and last is not None and last.direction == "received":
            last.dropped = True
        rest = re.sub(r"\w+ message (\(retrans\) )?(voluntary )?lost \((recv|while sending)\)\.", "", extra)
        if rest.strip():
            notes.append(rest.strip())

    pieces = BLOCK_RE.split(text)
    account(pieces[0], None)
    for i in range(1, len(pieces), 2):
        stamp, chunk = pieces[i], pieces[i + 1]
        m = HEAD_RE.match(chunk)
        if not m:
            account(chunk, messages[-1] if messages else None)
            continue
        size = int(m.group(3) or m.group(4))
        payload = chunk[m.end():m.end() + size]
        rest = chunk[m.end() + size:]
        # One block is one message; be tolerant of a TCP read holding several.
        for raw in split_stream(payload):
            messages.append(SipMessage(side, m.group(2), m.group(1).upper(), stamp, raw))
        account(rest, messages[-1] if messages else None)
    return Trace(side, messages, send_losses, recv_losses, notes)


def split_stream(data: str) -> list[str]:
    out = []
    while data.strip():
        data = data.lstrip("\r\n")
        end = data.find("\r\n\r\n")
        sep = 4
        if end < 0:
            end, sep = data.find("\n\n"), 2
        if end < 0:
            out.append(data)
            break
        m = re.search(r"^(?:content-length|l)\s*:\s*(\d+)", data[:end], re.I | re.M)
        length = int(m.group(1)) if m else len(data) - end - sep
        out.append(data[:end + sep + length])
        data = data[end + sep + length:]
    return out


@dataclasses.dataclass
class Call:
    side: str
    call_id: str
    messages: list[SipMessage]
    marker: Optional[str] = None  # a=x-sipp-call of the first INVITE

    def find(self, direction: str, method: Optional[str] = None, status: Optional[int] = None,
             cseq_method: Optional[str] = None) -> list[SipMessage]:
        out = []
        for msg in self.messages:
            if msg.direction != direction:
                continue
            if method is not None and (not msg.is_request or msg.method != method):
                continue
            if status is not None and msg.status != status:
                continue
            if cseq_method is not None and msg.cseq_method != cseq_method:
                continue
            out.append(msg)
        return out

    def first(self, *args, **kwargs) -> Optional[SipMessage]:
        found = self.find(*args, **kwargs)
        return found[0] if found else None

    def name(self) -> str:
        marker = f", call #{self.marker}" if self.marker else ""
        return f"{self.side} call {self.call_id}{marker}"


def group_calls(trace: Trace) -> list[Call]:
    calls: dict[str, Call] = {}
    for msg in trace.messages:
        cid = msg.call_id or "<no Call-ID>"
        calls.setdefault(cid, Call(trace.side, cid, [])).messages.append(msg)
    for call in calls.values():
        for msg in call.messages:
            if msg.method == "INVITE":
                found = msg.sdp_attr("a=x-sipp-call:")
                if found:
                    call.marker = found[0].split(":", 1)[1].strip()
                    break
    return list(calls.values())


# --------------------------------------------------------------------------------------
# Checks


class Report:
    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[tuple[str, list[str]]] = []

    def check(self, name: str, problems: Iterable[str]) -> None:
        problems = list(problems)
        if problems:
            self.failed.append((name, problems))
            log(f"  FAIL  {name}")
            for p in problems[:5]:
                log(f"          {p}")
            if len(problems) > 5:
                log(f"          ... and {len(problems) - 5} more")
        else:
            self.passed.append(name)
            log(f"  PASS  {name}")

    def fail(self, name: str, problem: str) -> None:
        self.check(name, [problem])


@dataclasses.dataclass
class Ctx:
    flow: "Flow"
    lab: Lab
    direct: bool
    uac: Trace
    uas: Trace
    uac_calls: list[Call]
    uas_calls: list[Call]
    pairs: list[tuple[Call, Call]]
    report: Report

    def each_uac(self, fn: Callable[[Call], Iterable[str]]) -> list[str]:
        return [f"{c.name()}: {p}" for c in self.uac_calls for p in fn(c)]

    def each_uas(self, fn: Callable[[Call], Iterable[str]]) -> list[str]:
        return [f"{c.name()}: {p}" for c in self.uas_calls for p in fn(c)]


def need(call: Call, direction: str, what: str, **kw) -> list[str]:
    return [] if call.find(direction, **kw) else [f"never {direction} {what}"]


def ip_token_re(ip: str) -> re.Pattern:
    # a whole address: not preceded by a digit or dot, not followed by a digit or ".<digit>"
    return re.compile(r"(?<![\d.])" + re.escape(ip) + r"(?!\d|\.\d)")


def leak_problems(messages: list[SipMessage], forbidden: list[str], what: str) -> list[str]:
    """Lines of `messages` that contain a forbidden address, outside SDP c=/m= lines."""
    pats = [(ip, ip_token_re(ip)) for ip in forbidden]
    out = []
    for msg in messages:
        head, _, _ = msg.raw.partition("\r\n\r\n")
        lines = re.split(r"\r?\n", head)
        # SDP bodies: c= and m= keep the far end's media address in bypass mode (exempt);
        # every other line (o= included) is checked. Other bodies are checked whole.
        if msg.has_sdp():
            lines += [ln for ln in msg.sdp_lines() if not ln.startswith(("c=", "m="))]
        elif msg.body:
            lines += re.split(r"\r?\n", msg.body)
        for line in lines:
            for ip, pat in pats:
                if pat.search(line):
                    out.append(f"{msg.label()} (Call-ID {msg.call_id}) has {what} address {ip}: '{line.strip()}'")
    return out


def check_topology(ctx: Ctx) -> None:
    r, lab = ctx.report, ctx.lab
    uac_msgs, uas_msgs = ctx.uac.messages, ctx.uas.messages

    # Call-IDs and tags
    uac_cids = {m.call_id for m in uac_msgs}
    r.check("every Call-ID at the UAS differs from the UAC's (the SBC makes its own per leg)",
            [f"{c.name()} uses a Call-ID seen at the UAC" for c in ctx.uas_calls if c.call_id in uac_cids])
    uac_tags = {t for m in uac_msgs for t in (m.from_tag, m.to_tag) if t}
    uas_tags = {t for m in uas_msgs for t in (m.from_tag, m.to_tag) if t}
    r.check("the From tag at the UAS differs from the UAC's, the To tag at the UAC from the UAS's",
            [f"tag '{t}' is seen at both sides" for t in sorted(uac_tags & uas_tags)])

    # Via
    def one_via(msgs: list[SipMessage], sbc_ip: str) -> list[str]:
        out = []
        for m in msgs:
            if m.direction != "received":
                continue
            if len(m.vias) != 1:
                out.append(f"{m.label()} has {len(m.vias)} Via values: {m.vias}")
            elif m.is_request and not re.match(rf"SIP/2\.0/\w+\s+{re.escape(sbc_ip)}(:\d+)?(\s|;|$)", m.vias[0]):
                out.append(f"{m.label()}: its Via is not the SBC's ({sbc_ip}): {m.vias[0]}")
        return out

    r.check(f"the UAS sees exactly one Via in every message it receives, the SBC's ({lab.sbc_core_ip}) in requests",
            one_via(uas_msgs, lab.sbc_core_ip))
    r.check(f"the UAC sees exactly one Via in every message it receives, the SBC's ({lab.sbc_access_ip}) in requests",
            one_via(uac_msgs, lab.sbc_access_ip))

    def foreign_branches(own: list[SipMessage], other: list[SipMessage], who: str) -> list[str]:
        branches = {b for m in own if m.direction == "sent" and m.is_request for b in m.branches()}
        out = []
        for m in other:
            for b in branches:
                if b in m.raw:
                    out.append(f"{m.label()} contains the {who}'s Via branch {b}")
        return out

    r.check("no Via branch of the UAC appears at the UAS", foreign_branches(uac_msgs, uas_msgs, "UAC"))
    r.check("no Via branch of the UAS appears at the UAC", foreign_branches(uas_msgs, uac_msgs, "UAS"))

    # Contact
    def contacts(msgs: list[SipMessage], sbc_ip: str) -> list[str]:
        out = []
        for m in msgs:
            if m.direction != "received":
                continue
            for c in m.all_values("contact"):
                if uri_host(c) != sbc_ip:
                    out.append(f"{m.label()}: Contact {c} is not the SBC's ({sbc_ip})")
        return out

    r.check(f"every Contact the UAS receives is the SBC's ({lab.sbc_core_ip})", contacts(uas_msgs, lab.sbc_core_ip))
    r.check(f"every Contact the UAC receives is the SBC's ({lab.sbc_access_ip})",
            contacts(uac_msgs, lab.sbc_access_ip))

    # Addresses of the other side, anywhere (SDP c=/m= excepted, see the docstring)
    r.check(f"no access-side address ({', '.join(lab.access_side())}) in any message of the UAS "
            "(SDP c=/m= excepted: media bypass)", leak_problems(uas_msgs, lab.access_side(), "access-side"))
    r.check(f"no core-side address ({', '.join(lab.core_side())}) in any message of the UAC "
            "(SDP c=/m= excepted: media bypass)", leak_problems(uac_msgs, lab.core_side(), "core-side"))

    # Media bypass: the SDP crosses unchanged but for o=, and c= is the far side's address
    problems = []
    for uac_call, uas_call in ctx.pairs:
        offer_out = uac_call.first("sent", method="INVITE")
        offer_in = uas_call.first("received", method="INVITE")
        problems += sdp_relayed(offer_out, offer_in, lab.uac_ip, f"{uac_call.name()} -> {uas_call.name()}: INVITE")
        for status in (183, 200):
            ans_out = next((m for m in uas_call.find("sent", status=status, cseq_method="INVITE") if m.has_sdp()), None)
            ans_in = next((m for m in uac_call.find("received", status=status, cseq_method="INVITE") if m.has_sdp()),
                          None)
            if ans_out is not None:
                problems += sdp_relayed(ans_out, ans_in, lab.uas_ip,
                                        f"{uas_call.name()} -> {uac_call.name()}: {status}")
    r.check("media bypass: the SDP of the INVITE and of its 183/200 crosses unchanged but for o=, "
            "and c= keeps the far side's address", problems)


def sdp_relayed(sent: Optional[SipMessage], got: Optional[SipMessage], media_ip: str, where: str) -> list[str]:
    if sent is None or not sent.has_sdp():
        return []
    if got is None or not got.has_sdp():
        return [f"{where}: the SDP did not arrive"]
    a = [ln for ln in sent.sdp_lines() if not ln.startswith("o=")]
    b = [ln for ln in got.sdp_lines() if not ln.startswith("o=")]
    out = []
    if a != b:
        diff = [f"-{x}" for x in a if x not in b] + [f"+{x}" for x in b if x not in a]
        out.append(f"{where}: the SDP changed beyond o=: {' '.join(diff) or '(order)'}")
    cs = got.sdp_attr("c=")
    if not cs or not all(ip_token_re(media_ip).search(c) for c in cs):
        out.append(f"{where}: c= is {cs}, expected the far side's media address {media_ip}")
    return out


# --- helpers for flow checks ----------------------------------------------------------


def answered(call: Call, direction_resp: str, status: int, cseq_method: str) -> list[str]:
    return need(call, direction_resp, f"a {status} for {cseq_method}", status=status, cseq_method=cseq_method)


def basic_call_checks(ctx: Ctx, bye_from: str = "caller", ack_required: bool = True) -> None:
    """ack_required=False under induced loss: every copy of an ACK may be lost (SIPp does not
    log a message it drops on sending) and the BYE may overtake it."""
    r = ctx.report
    uac_ack = (lambda c: need(c, "sent", "an ACK", method="ACK")) if ack_required else (lambda c: [])
    r.check("UAC: INVITE answered 200 with SDP" + (", ACK sent" if ack_required else ""),
            ctx.each_uac(lambda c: answered(c, "received", 200, "INVITE") + uac_ack(c)
                         + ([] if any(m.has_sdp() for m in c.find("received", status=200, cseq_method="INVITE"))
                            else ["the 200 (INVITE) has no SDP"])))
    uas_ack = (lambda c: need(c, "received", "an ACK", method="ACK")) if ack_required else (lambda c: [])
    r.check("UAS: INVITE with SDP received, 200 sent" + (", ACK received" if ack_required else ""),
            ctx.each_uas(lambda c: need(c, "received", "an INVITE", method="INVITE")
                         + ([] if any(m.has_sdp() for m in c.find("received", method="INVITE"))
                            else ["the INVITE has no SDP"])
                         + answered(c, "sent", 200, "INVITE") + uas_ack(c)))
    if bye_from == "caller":
        r.check("the caller's BYE reaches the UAS and its 200 reaches the UAC",
                ctx.each_uac(lambda c: need(c, "sent", "a BYE", method="BYE") + answered(c, "received", 200, "BYE"))
                + ctx.each_uas(lambda c: need(c, "received", "a BYE", method="BYE") + answered(c, "sent", 200, "BYE")))
    else:
        r.check("the callee's BYE reaches the UAC and its 200 reaches the UAS",
                ctx.each_uas(lambda c: need(c, "sent", "a BYE", method="BYE") + answered(c, "received", 200, "BYE"))
                + ctx.each_uac(lambda c: need(c, "received", "a BYE", method="BYE") + answered(c, "sent", 200, "BYE")
                               + [f"the caller sent a BYE too" for _ in c.find("sent", method="BYE")][:1]))


def check_basic_caller_bye(ctx: Ctx) -> None:
    basic_call_checks(ctx, "caller")


def check_basic_callee_bye(ctx: Ctx) -> None:
    basic_call_checks(ctx, "callee")


def check_basic_tcp(ctx: Ctx) -> None:
    basic_call_checks(ctx, "caller")
    r = ctx.report
    r.check("the UAC's messages went over TCP (trace and Via)",
            [f"{m.label()} went over {m.transport}" for m in ctx.uac.messages if m.transport != "TCP"]
            + [f"{m.label()}: Via {m.vias[0]}" for m in ctx.uac.messages
               if m.direction == "sent" and m.is_request and not m.vias[0].upper().startswith("SIP/2.0/TCP")])
    want = "TCP" if ctx.direct else "UDP"
    r.check(f"the UAS's messages went over {want}" + ("" if ctx.direct else " (the trunk is UDP)"),
            [f"{m.label()} went over {m.transport}" for m in ctx.uas.messages if m.transport != want]
            + [f"{m.label()}: Via {m.vias[0] if m.vias else None}" for m in ctx.uas.messages
               if m.direction == "received" and m.is_request
               and not (m.vias and m.vias[0].upper().startswith(f"SIP/2.0/{want}"))])


def check_cancel_ringing(ctx: Ctx) -> None:
    r = ctx.report

    def uac(c: Call) -> list[str]:
        out = need(c, "received", "a 180", status=180)
        inv, cancel = c.first("sent", method="INVITE"), c.first("sent", method="CANCEL")
        if cancel is None:
            return out + ["never sent a CANCEL"]
        if inv and cancel.top_branch != inv.top_branch:
            out.append(f"its CANCEL's branch {cancel.top_branch} is not the INVITE's {inv.top_branch}")
        out += answered(c, "received", 200, "CANCEL") + answered(c, "received", 487, "INVITE")
        out += [f"received {m.start_line} for the INVITE" for m in c.find("received", cseq_method="INVITE")
                if m.status and m.status >= 200 and m.status != 487][:1]
        acks = c.find("sent", method="ACK")
        if not acks:
            out.append("never sent the ACK for the 487")
        elif inv and any(a.top_branch != inv.top_branch for a in acks):
            out.append("its ACK for the 487 does not carry the INVITE's branch")
        return out

    def uas(c: Call) -> list[str]:
        inv, cancel = c.first("received", method="INVITE"), c.first("received", method="CANCEL")
        if cancel is None:
            return ["never received the CANCEL"]
        out = []
        if inv and cancel.top_branch != inv.top_branch:
            out.append(f"the CANCEL's branch {cancel.top_branch} is not its INVITE's {inv.top_branch} "
                       "(RFC 3261 9.1: a CANCEL has the INVITE's top Via)")
        if inv and cancel.cseq_num != inv.cseq_num:
            out.append(f"the CANCEL's CSeq {cancel.cseq_num} is not its INVITE's {inv.cseq_num}")
        out += answered(c, "sent", 200, "CANCEL") + answered(c, "sent", 487, "INVITE")
        ack = c.first("received", method="ACK")
        if ack is None:
            out.append("never received the ACK for its 487")
        elif inv and ack.top_branch != inv.top_branch:
            out.append(f"the ACK for the 487 has branch {ack.top_branch}, not the INVITE's {inv.top_branch} "
                       "(RFC 3261 17.1.1.3)")
        return out

    r.check("UAC: 180, CANCEL (INVITE's branch), 200 for the CANCEL, 487 for the INVITE, ACK", ctx.each_uac(uac))
    r.check("UAS: received the CANCEL (INVITE's branch and CSeq), sent 200 and 487, got the ACK", ctx.each_uas(uas))


def check_busy_486(ctx: Ctx) -> None:
    r = ctx.report

    def uac(c: Call) -> list[str]:
        inv = c.first("sent", method="INVITE")
        out = answered(c, "received", 486, "INVITE")
        out += [f"received {m.start_line}" for m in c.find("received", status=200)][:1]
        ack = c.first("sent", method="ACK")
        if ack is None:
            out.append("never sent the ACK for the 486")
        elif inv and ack.top_branch != inv.top_branch:
            out.append("its ACK does not carry the INVITE's branch")
        return out

    def uas(c: Call) -> list[str]:
        inv = c.first("received", method="INVITE")
        out = answered(c, "sent", 486, "INVITE")
        ack = c.first("received", method="ACK")
        if ack is None:
            out.append("never received the ACK for its 486")
        elif inv and ack.top_branch != inv.top_branch:
            out.append(f"the ACK has branch {ack.top_branch}, not the INVITE's {inv.top_branch} (RFC 3261 17.1.1.3)")
        return out

    r.check("UAC: 486 Busy Here received (no 200), ACK sent with the INVITE's branch", ctx.each_uac(uac))
    r.check("UAS: 486 sent, ACK received with its INVITE's branch", ctx.each_uas(uas))


def check_early_media_183(ctx: Ctx) -> None:
    basic_call_checks(ctx, "caller")

    def uac(c: Call) -> list[str]:
        early = [m for m in c.find("received", status=183, cseq_method="INVITE") if m.has_sdp()]
        if not early:
            return ["never received a 183 with SDP"]
        final = c.first("received", status=200, cseq_method="INVITE")
        if final is not None and c.messages.index(early[0]) > c.messages.index(final):
            return ["the 183 came after the 200"]
        return [] if early[0].sdp_attr("m=") else ["the 183's SDP has no m= line"]

    ctx.report.check("UAC: 183 Session Progress with SDP received before the 200", ctx.each_uac(uac))
    ctx.report.check("UAS: 183 with SDP sent",
                     ctx.each_uas(lambda c: [] if any(m.has_sdp() for m in c.find("sent", status=183))
                                  else ["never sent a 183 with SDP"]))


def directions(msgs: list[SipMessage]) -> list[str]:
    out = []
    for m in msgs:
        found = [ln[2:] for ln in m.sdp_lines() if ln in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive")]
        out.append(found[-1] if found else "sendrecv(default)")
    return out


def distinct(msgs: list[SipMessage]) -> list[SipMessage]:
    """Drops retransmissions (same start line and CSeq)."""
    seen, out = set(), []
    for m in msgs:
        key = (m.start_line, m.cseq_num, m.cseq_method)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def hold_checks(ctx: Ctx, holder: str) -> None:
    """holder: 'caller' (the UAC sends the re-INVITEs) or 'callee' (the UAS sends them)."""
    basic_call_checks(ctx, "caller")
    if holder == "caller":
        senders, receivers, who, other = ctx.uac_calls, ctx.uas_calls, "UAS", "UAC"
    else:
        senders, receivers, who, other = ctx.uas_calls, ctx.uac_calls, "UAC", "UAS"

    def receiver(c: Call) -> list[str]:
        got = distinct([m for m in c.find("received", method="INVITE") if m.to_tag])
        dirs = directions(got)
        out = [] if dirs == ["sendonly", "sendrecv"] else [
            f"received re-INVITEs with directions {dirs}, expected ['sendonly', 'sendrecv']"]
        acked = {m.cseq_num for m in c.find("received", method="ACK")}
        out += [f"no ACK received for the re-INVITE with CSeq {m.cseq_num}" for m in got if m.cseq_num not in acked]
        return out

    def sender(c: Call) -> list[str]:
        initial = c.first("sent", method="INVITE")
        initial_cseq = initial.cseq_num if initial is not None and not initial.to_tag else None
        answers = distinct([m for m in c.find("received", status=200, cseq_method="INVITE")
                            if m.cseq_num != initial_cseq])
        dirs = directions(answers)
        return [] if dirs == ["recvonly", "sendrecv"] else [
            f"the re-INVITEs were answered with directions {dirs}, expected ['recvonly', 'sendrecv']"]

    ctx.report.check(f"{who}: received the hold re-INVITE (a=sendonly) then the resume (a=sendrecv), each ACKed",
                     [f"{c.name()}: {p}" for c in receivers for p in receiver(c)])
    ctx.report.check(f"{other}: the hold was answered a=recvonly, the resume a=sendrecv",
                     [f"{c.name()}: {p}" for c in senders for p in sender(c)])


def check_hold_caller(ctx: Ctx) -> None:
    hold_checks(ctx, "caller")


def check_hold_callee(ctx: Ctx) -> None:
    hold_checks(ctx, "callee")


def norm_rack(value: Optional[str]) -> Optional[tuple[str, ...]]:
    return tuple(value.split()) if value else None


def has_100rel(msg: SipMessage) -> bool:
    return any(v.lower() == "100rel" for h in ("supported", "require") for v in msg.all_values(h))


def check_prack_100rel(ctx: Ctx) -> None:
    basic_call_checks(ctx, "caller")

    def uas(c: Call) -> list[str]:
        inv = c.first("received", method="INVITE")
        out = [] if inv and has_100rel(inv) else ["the INVITE received offers no 100rel (Supported/Require)"]
        rel = [m for m in c.find("sent", status=183) if m.header("rseq")]
        if not rel:
            return out + ["never sent a reliable 183"]
        rseq = rel[0].header("rseq")
        want = (rseq, str(inv.cseq_num if inv else 1), "INVITE")
        pracks = c.find("received", method="PRACK")
        if not pracks:
            return out + ["never received a PRACK"]
        for p in pracks:
            if norm_rack(p.header("rack")) != want:
                out.append(f"PRACK RAck '{p.header('rack')}' does not match its own RSeq: expected '{' '.join(want)}'")
        return out + answered(c, "sent", 200, "PRACK")

    def uac(c: Call) -> list[str]:
        rel = [m for m in c.find("received", status=183) if m.header("rseq")]
        if not rel:
            return ["never received a reliable 183 (with RSeq)"]
        out = []
        if not any(v.lower() == "100rel" for v in rel[0].all_values("require")):
            out.append("the reliable 183 lacks Require: 100rel")
        if not rel[0].has_sdp():
            out.append("the reliable 183 has no SDP")
        pracks = c.find("sent", method="PRACK")
        if not pracks:
            return out + ["never sent a PRACK"]
        want = (rel[0].header("rseq"), "1", "INVITE")
        if norm_rack(pracks[0].header("rack")) != want:
            out.append(f"its PRACK's RAck '{pracks[0].header('rack')}' does not match the RSeq received")
        return out + answered(c, "received", 200, "PRACK")

    ctx.report.check("UAS: 100rel offered; reliable 183 sent; the PRACK's RAck matches its own RSeq and CSeq; "
                     "200 for the PRACK", ctx.each_uas(uas))
    ctx.report.check("UAC: reliable 183 (Require: 100rel, RSeq, SDP) received; PRACK with the matching RAck "
                     "answered 200", ctx.each_uac(uac))


DTMF_CALLER = "Signal=5\r\nDuration=160\r\n"
DTMF_CALLEE = "Signal=9\r\nDuration=160\r\n"


def check_info_dtmf(ctx: Ctx) -> None:
    basic_call_checks(ctx, "caller")

    def got_info(c: Call, body: str) -> list[str]:
        infos = c.find("received", method="INFO")
        if not infos:
            return ["never received an INFO"]
        m = infos[0]
        out = []
        if (m.header("content-type") or "").lower() != "application/dtmf-relay":
            out.append(f"the INFO's Content-Type is {m.header('content-type')}")
        if m.body != body:
            out.append(f"the INFO's body is {m.body!r}, expected {body!r}")
        return out

    ctx.report.check("caller -> callee INFO: the UAS received application/dtmf-relay Signal=5 intact; "
                     "the UAC got its 200",
                     ctx.each_uas(lambda c: got_info(c, DTMF_CALLER))
                     + ctx.each_uac(lambda c: answered(c, "received", 200, "INFO")))
    ctx.report.check("callee -> caller INFO: the UAC received application/dtmf-relay Signal=9 intact; "
                     "the UAS got its 200",
                     ctx.each_uac(lambda c: got_info(c, DTMF_CALLEE))
                     + ctx.each_uas(lambda c: answered(c, "received", 200, "INFO")))


def check_loss_retrans(ctx: Ctx) -> None:
    basic_call_checks(ctx, "caller", ack_required=False)
    ctx.report.check("loss was really induced at both sides (SIPp dropped messages on purpose)",
                     ([] if ctx.uac.send_losses + ctx.uac.recv_losses else ["no message was dropped at the UAC"])
                     + ([] if ctx.uas.send_losses + ctx.uas.recv_losses else ["no message was dropped at the UAS"]))

    def repeated(trace: Trace) -> int:
        return len(trace.messages) - len({(m.direction, m.raw) for m in trace.messages})

    log(f"        dropped on purpose: UAC {ctx.uac.send_losses} sent + {ctx.uac.recv_losses} received, "
        f"UAS {ctx.uas.send_losses} sent + {ctx.uas.recv_losses} received; "
        f"retransmissions in the traces: UAC {repeated(ctx.uac)}, UAS {repeated(ctx.uas)}")


def check_options_keepalive(ctx: Ctx) -> None:
    r = ctx.report
    r.check("UAC: every OPTIONS answered 200",
            ctx.each_uac(lambda c: need(c, "sent", "an OPTIONS", method="OPTIONS")
                         + answered(c, "received", 200, "OPTIONS")))
    if ctx.direct:
        r.check("UAS (standing in for the SBC): received the OPTIONS",
                ctx.each_uas(lambda c: need(c, "received", "an OPTIONS", method="OPTIONS")))
    else:
        r.check("the OPTIONS is answered by the SBC itself: the UAS's trace is empty",
                [m.label() for m in ctx.uas.messages])


# --------------------------------------------------------------------------------------
# Flows


@dataclasses.dataclass
class Flow:
    name: str
    description: str
    checks: Callable[[Ctx], None]
    calls: int = 3
    rate: int = 5  # calls per second
    tcp: bool = False  # the UAC runs over TCP (-t t1)
    timeout: int = 30  # SIPp's global timeout (s) for the UAC; the UAS gets 15 s more
    uas_linger: int = 10  # how long the UAS may run on after the UAC exited (its timewait)
    listen_only: bool = False  # behind the SBC the UAS must see nothing (it is stopped by us)


FLOWS = {f.name: f for f in [
    Flow("basic_caller_bye", "basic call, caller BYE", check_basic_caller_bye),
    Flow("basic_callee_bye", "basic call, callee BYE", check_basic_callee_bye),
    Flow("basic_tcp", "basic call, UAC over TCP (trunk UDP)", check_basic_tcp, tcp=True),
    Flow("cancel_ringing", "CANCEL while ringing: 200 + 487 to the UAC, CANCEL at the UAS", check_cancel_ringing),
    Flow("busy_486", "486 Busy Here relayed, ACKed per leg", check_busy_486),
    Flow("early_media_183", "183 with SDP, then 200", check_early_media_183),
    Flow("hold_caller", "re-INVITE hold (sendonly) / resume (sendrecv) from the caller", check_hold_caller),
    Flow("hold_callee", "re-INVITE hold (sendonly) / resume (sendrecv) from the callee", check_hold_callee),
    Flow("prack_100rel", "100rel: reliable 183 with RSeq, PRACK with RAck, 200 PRACK, 200 INVITE",
         check_prack_100rel),
    Flow("info_dtmf", "INFO application/dtmf-relay in both directions", check_info_dtmf),
    Flow("loss_retrans", "basic call under induced loss (lost=10 % on both sides), 20 calls", check_loss_retrans,
         calls=20, rate=10, timeout=45, uas_linger=20),
    Flow("options_keepalive", "OPTIONS to the SBC answered locally; the UAS sees nothing", check_options_keepalive,
         calls=5, listen_only=True),
]}


# --------------------------------------------------------------------------------------
# Processes and ports


class Proc:
    """A child process, killed by PID when it outlives its welcome."""

    def __init__(self, name: str, argv: list[str], cwd: Path, out: Path) -> None:
        self.name, self.argv, self.out = name, argv, out
        self.stream = open(out, "wb")
        self.started = time.monotonic()
        self.popen = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self.stream,
                                      stderr=subprocess.STDOUT)
        self.pid = self.popen.pid

    def poll(self) -> Optional[int]:
        return self.popen.poll()

    def wait(self, timeout: float) -> Optional[int]:
        try:
            return self.popen.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return None

    def terminate(self, grace: float) -> tuple[Optional[int], float]:
        """SIGTERM, then SIGKILL after `grace` s. Returns (exit code after SIGTERM or None, seconds)."""
        if self.poll() is not None:
            return self.popen.returncode, 0.0
        t0 = time.monotonic()
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        rc = self.wait(grace)
        took = time.monotonic() - t0
        if rc is None:
            self.kill()
        return rc, took

    def kill(self) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait(5)

    def close(self) -> None:
        self.kill()
        self.stream.close()

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.out.read_bytes().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])


def port_in_use(ip: str, port: int, proto: str) -> bool:
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine, a listener is not
    try:
        s.bind((ip, port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def require_free(ports: list[tuple[str, int, str]]) -> None:
    busy = [f"{proto} {ip}:{port}" for ip, port, proto in ports if port_in_use(ip, port, proto)]
    if busy:
        raise Failure(f"lab port(s) already in use: {', '.join(busy)} (a stale sbcd or SIPp? "
                      "`ss -lunpt` shows who; the scenario tests need them free)")


def wait_bound(proc: Proc, ip: str, port: int, proto: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failure(f"{proc.name} exited with code {proc.popen.returncode} before binding "
                          f"{proto} {ip}:{port}:\n{proc.tail()}")
        if port_in_use(ip, port, proto):
            return
        time.sleep(0.05)
    raise Failure(f"{proc.name} did not bind {proto} {ip}:{port} within {timeout:.0f} s:\n{proc.tail()}")


def options_probe(local_ip: str, sbc_ip: str, sbc_port: int, n: int) -> bytes:
    branch = f"z9hG4bK-probe-{os.getpid()}-{n}"
    return (f"OPTIONS sip:{sbc_ip}:{sbc_port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {local_ip}:{{port}};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:probe@{local_ip}>;tag=probe{os.getpid()}\r\n"
            f"To: <sip:{sbc_ip}:{sbc_port}>\r\n"
            f"Call-ID: probe-{os.getpid()}-{n}@{local_ip}\r\n"
            f"CSeq: {n} OPTIONS\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def wait_ready(proc: Proc, lab: Lab, timeout: float, tcp: bool) -> str:
    """Until the access UDP port answers an OPTIONS with any SIP response (and, for a TCP
    flow, the access TCP port accepts a connection)."""
    deadline = time.monotonic() + timeout
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((lab.uac_ip, 0))
    port = sock.getsockname()[1]
    sock.settimeout(0.2)
    n, answer = 0, None
    try:
        while time.monotonic() < deadline and answer is None:
            if proc.poll() is not None:
                raise Failure(f"sbcd exited with code {proc.popen.returncode} before it was ready (its log is below)")
            n += 1
            sock.sendto(options_probe(lab.uac_ip, lab.sbc_access_ip, lab.sbc_port, n).replace(
                b"{port}", str(port).encode()), (lab.sbc_access_ip, lab.sbc_port))
            try:
                data, _ = sock.recvfrom(65535)
            except (socket.timeout, ConnectionRefusedError):
                continue
            if data.startswith(b"SIP/2.0 "):
                answer = data.split(b"\r\n", 1)[0].decode("latin-1")
    finally:
        sock.close()
    if answer is None:
        raise Failure(f"sbcd did not answer an OPTIONS on udp {lab.sbc_access_ip}:{lab.sbc_port} "
                      f"within {timeout:.0f} s (its log is below)")
    while tcp:
        if proc.poll() is not None:
            raise Failure(f"sbcd exited with code {proc.popen.returncode} (its log is below)")
        try:
            with socket.create_connection((lab.sbc_access_ip, lab.sbc_port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise Failure(f"sbcd does not accept TCP on {lab.sbc_access_ip}:{lab.sbc_port} "
                              f"within {timeout:.0f} s")
            time.sleep(0.1)
    return answer


def sipp_argv(flow: Flow, role: str, lab: Lab, direct: bool, tmp: Path) -> list[str]:
    scenario = HERE / flow.name / f"{role}.xml"
    argv = ["sipp", "-sf", str(scenario), "-nostdin", "-bind_local",
            "-trace_msg", "-message_file", str(tmp / f"{role}_messages.log"),
            "-trace_err", "-error_file", str(tmp / f"{role}_errors.log"),
            "-trace_screen", "-screen_file", str(tmp / f"{role}_screen.log")]
    if role == "uac":
        remote = f"{lab.uas_ip}:{lab.uas_port}" if direct else f"{lab.sbc_access_ip}:{lab.sbc_port}"
        argv += ["-i", lab.uac_ip, "-mi", lab.uac_ip, "-m", str(flow.calls), "-r", str(flow.rate),
                 "-timeout", f"{flow.timeout}s", "-timeout_error"]
        if flow.tcp:
            argv += ["-t", "t1"]
        argv.append(remote)
    else:
        argv += ["-i", lab.uas_ip, "-mi", lab.uas_ip, "-p", str(lab.uas_port)]
        if flow.tcp and direct:
            argv += ["-t", "t1"]
        if flow.listen_only and not direct:
            argv += ["-m", "1", "-timeout", f"{flow.timeout + 15}s"]  # stopped by us
        else:
            argv += ["-m", str(flow.calls), "-timeout", f"{flow.timeout + 15}s", "-timeout_error"]
    return argv


def show_file(title: str, path: Path, lines: int = 40) -> None:
    if path.exists() and path.stat().st_size:
        text = path.read_bytes().decode("utf-8", "replace").splitlines()
        log(f"  --- {title} ({path.name}, last {min(lines, len(text))} of {len(text)} lines) ---")
        for line in text[-lines:]:
            log(f"  | {line}")


# --------------------------------------------------------------------------------------
# One run


@dataclasses.dataclass
class Options:
    sbcd: Optional[Path]
    config: Optional[Path]
    direct: bool
    lab: Lab
    log_level: str
    keep: bool
    ready_timeout: float = 10.0
    stop_timeout: float = 5.0


def pair_calls(uac_calls: list[Call], uas_calls: list[Call]) -> tuple[list[tuple[Call, Call]], str]:
    by_marker = {c.marker: c for c in uas_calls if c.marker}
    if uac_calls and all(c.marker in by_marker for c in uac_calls):
        return [(c, by_marker[c.marker]) for c in uac_calls], "by the SDP call marker"
    return list(zip(uac_calls, uas_calls)), "in order (the SDP call marker did not cross)"


def run_flow(flow: Flow, opts: Options) -> bool:
    lab = opts.lab
    mode = "direct (no sbcd)" if opts.direct else f"through sbcd {opts.sbcd} --config {opts.config}"
    log(f"=== scenario {flow.name}: {flow.description} [{mode}] ===")
    t_start = time.monotonic()
    report = Report()
    tmp = Path(tempfile.mkdtemp(prefix=f"scenario-{flow.name}-"))
    procs: list[Proc] = []
    sipp_failed = False
    try:
        ports = [(lab.uas_ip, lab.uas_port, "udp")]
        if opts.direct and flow.tcp:
            ports.append((lab.uas_ip, lab.uas_port, "tcp"))
        if not opts.direct:
            ports += [(lab.sbc_access_ip, lab.sbc_port, "udp"), (lab.sbc_access_ip, lab.sbc_port, "tcp"),
                      (lab.sbc_core_ip, lab.sbc_port, "udp"), (lab.sbc_core_ip, lab.sbc_port, "tcp")]
        require_free(ports)

        sbcd = None
        if not opts.direct:
            argv = [str(opts.sbcd), "--config", str(opts.config)]
            if opts.log_level:
                argv += ["--log-level", opts.log_level]
            sbcd = Proc("sbcd", argv, tmp, tmp / "sbcd.log")
            procs.append(sbcd)
            answer = wait_ready(sbcd, lab, opts.ready_timeout, flow.tcp)
            log(f"  sbcd (pid {sbcd.pid}) ready after {time.monotonic() - sbcd.started:.2f} s "
                f"(OPTIONS answered '{answer}')")

        uas = Proc("SIPp UAS", sipp_argv(flow, "uas", lab, opts.direct, tmp), tmp, tmp / "uas_stdout.log")
        procs.append(uas)
        wait_bound(uas, lab.uas_ip, lab.uas_port, "tcp" if (flow.tcp and opts.direct) else "udp", 5.0)
        uac = Proc("SIPp UAC", sipp_argv(flow, "uac", lab, opts.direct, tmp), tmp, tmp / "uac_stdout.log")
        procs.append(uac)

        uac_rc = uac.wait(flow.timeout + 15)
        uac_took = time.monotonic() - uac.started
        if uac_rc is None:
            uac.kill()
            report.fail("SIPp UAC finished in time", f"still running after {flow.timeout + 15} s: killed")
        if flow.listen_only and not opts.direct:
            time.sleep(1.0)  # anything the SBC wrongly forwarded has arrived by now
            if uas.poll() is not None:
                report.fail("SIPp UAS listened for the whole flow", f"it exited early with code {uas.poll()}")
            uas.terminate(3.0)
            uas_rc = 0
        else:
            uas_rc = uas.wait(flow.uas_linger)
            if uas_rc is None:
                uas.kill()
                report.fail("SIPp UAS finished in time",
                            f"still running {flow.uas_linger} s after the UAC exited: killed")
        uas_took = time.monotonic() - uas.started
        if uac_rc is not None:
            report.check(f"SIPp UAC: every call succeeded (exit 0; {flow.calls} calls in {uac_took:.1f} s)",
                         [] if uac_rc == 0 else [f"exit code {uac_rc} (1: some call failed, 255: timeout or "
                                                 "fatal error)"])
        if uas_rc is not None and not (flow.listen_only and not opts.direct):
            report.check(f"SIPp UAS: every call succeeded (exit 0; {uas_took:.1f} s)",
                         [] if uas_rc == 0 else [f"exit code {uas_rc}"])
        sipp_failed = uac_rc != 0 or uas_rc != 0

        if sbcd is not None:
            rc, took = sbcd.terminate(opts.stop_timeout)
            if rc is None:
                report.fail("sbcd stops cleanly on SIGTERM",
                            f"still running {opts.stop_timeout:.0f} s after SIGTERM: killed with SIGKILL")
            else:
                report.check(f"sbcd stops cleanly on SIGTERM (exit 0 after {took:.2f} s)",
                             [] if rc == 0 else [f"exit code {rc}" + (f" (signal {-rc})" if rc < 0 else "")])

        # Traces
        uac_trace = parse_trace(tmp / "uac_messages.log", "UAC")
        uas_trace = parse_trace(tmp / "uas_messages.log", "UAS")
        uac_calls, uas_calls = group_calls(uac_trace), group_calls(uas_trace)
        pairs, how = pair_calls(uac_calls, uas_calls)
        log(f"  traces: UAC {len(uac_trace.messages)} messages in {len(uac_calls)} calls, "
            f"UAS {len(uas_trace.messages)} messages in {len(uas_calls)} calls; calls paired {how}")
        want_uas = 0 if (flow.listen_only and not opts.direct) else flow.calls
        report.check(f"{flow.calls} calls at the UAC, {want_uas} at the UAS",
                     ([] if len(uac_calls) == flow.calls else [f"{len(uac_calls)} calls at the UAC"])
                     + ([] if len(uas_calls) == want_uas else [f"{len(uas_calls)} calls at the UAS"]))
        ctx = Ctx(flow, lab, opts.direct, uac_trace, uas_trace, uac_calls, uas_calls, pairs, report)
        flow.checks(ctx)
        if not opts.direct:
            check_topology(ctx)
        elif opts.direct:
            log("  skip  topology and media-bypass assertions (--direct: no SBC in the path)")
    except Failure as e:
        report.fail("the lab ran", str(e))
    finally:
        for p in reversed(procs):
            p.close()
        if report.failed or sipp_failed:
            for role in ("uac", "uas"):
                show_file(f"SIPp {role.upper()} errors", tmp / f"{role}_errors.log", 30)
                show_file(f"SIPp {role.upper()} screen", tmp / f"{role}_screen.log", 25)
            show_file("sbcd log", tmp / "sbcd.log", 40)
        if opts.keep:
            log(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    took = time.monotonic() - t_start
    n_ok, n_fail = len(report.passed), len(report.failed)
    if n_fail:
        log(f"RESULT scenario {flow.name}: FAIL ({n_fail} of {n_ok + n_fail} checks failed, {took:.1f} s)")
        for name, problems in report.failed:
            log(f"  - {name}: {problems[0].splitlines()[0] if problems[0] else ''}")
    else:
        log(f"RESULT scenario {flow.name}: PASS ({n_ok} checks, {took:.1f} s)")
    return n_fail == 0


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sbcd", type=Path, help="the sbcd binary (build/bin/sbcd)")
    ap.add_argument("--config", type=Path, help="the lab configuration (config/lab/loopback.yaml)")
    ap.add_argument("--flow", action="append", help="flow name (repeatable), or 'all'")
    ap.add_argument("--direct", action="store_true", help="no sbcd: UAC straight to UAS; SBC assertions skipped")
    ap.add_argument("--list", action="store_true", help="list the flows")
    ap.add_argument("--log-level", default="debug", help="sbcd --log-level (default debug; '' to omit)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (traces, logs)")
    lab_args = ap.add_argument_group("lab addresses", "the defaults are config/lab/loopback.yaml's; change them "
                                     "only together with the configuration (e.g. next to another lab)")
    lab_args.add_argument("--uac-ip", default=Lab.uac_ip)
    lab_args.add_argument("--access-ip", default=Lab.sbc_access_ip, help="the SBC's access realm listener")
    lab_args.add_argument("--core-ip", default=Lab.sbc_core_ip, help="the SBC's core realm listener")
    lab_args.add_argument("--sbc-port", type=int, default=Lab.sbc_port)
    lab_args.add_argument("--uas-ip", default=Lab.uas_ip, help="the trunk")
    lab_args.add_argument("--uas-port", type=int, default=Lab.uas_port)
    args = ap.parse_args(argv)

    if args.list:
        for f in FLOWS.values():
            log(f"{f.name:20} {f.description}")
        return 0
    if not args.flow:
        ap.error("--flow is required")
    names = list(FLOWS) if "all" in args.flow else args.flow
    unknown = [n for n in names if n not in FLOWS]
    if unknown:
        ap.error(f"unknown flow(s) {', '.join(unknown)}; --list shows them")
    if shutil.which("sipp") is None:
        log("FAIL: sipp is not installed (apt-get install sip-tester)")
        return 1
    if not args.direct:
        if args.sbcd is None or args.config is None:
            ap.error("--sbcd and --config are required (or --direct)")
        if not (args.sbcd.is_file() and os.access(args.sbcd, os.X_OK)):
            log(f"FAIL: sbcd not found at {args.sbcd}: build it first (cmake --build build --target sbcd); "
                "the scenario tests run the real daemon and do not skip")
            return 1
        if not args.config.is_file():
            log(f"FAIL: the lab configuration {args.config} does not exist")
            return 1
    lab = Lab(args.uac_ip, args.access_ip, args.core_ip, args.uas_ip, args.sbc_port, args.uas_port)
    opts = Options(args.sbcd.resolve() if args.sbcd else None, args.config.resolve() if args.config else None,
                   args.direct, lab, args.log_level, args.keep)

    def on_term(signum, _frame):  # ctest timeout, Ctrl-C: clean up through the finally blocks
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    results = {}
    try:
        for name in names:
            results[name] = run_flow(FLOWS[name], opts)
    except KeyboardInterrupt as e:
        log(f"FAIL: interrupted ({e})")
        return 1
    if len(names) > 1:
        log("=== summary ===")
        for name, ok in results.items():
            log(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
