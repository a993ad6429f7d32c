#!/usr/bin/env python3
"""SRTP through sbcd, end to end, judged by the decoded audio (issue 15).

    srtp_test.py --sbcd build/bin/sbcd --probe build/bin/rtp-probe --group interwork|policy|all
                 [--config config/lab/netns.yaml] [--keep] [--deadline 100]

The three-namespace lab (tools/netns/netnslab.py) with the real sbcd and its DPDK relay; the
media endpoints are build/bin/rtp-probe (send: a sine tone in PCMU, optionally SRTP; recv:
decodes, reports frequency, SNR, loss as JSON), the SIP endpoints a small Python UA
(tools/netns/sipua.py) that puts its own keys into its SDP and reads the SBC's keys out of the
SBC's SDP to hand them to the probes. Each call carries one direction (rtp-probe send on one
side, recv on the other: the relay latches onto the sender's source, so the receiver must be
the only endpoint on its side) with its own tone frequency, so crossed streams are caught too.
Calls of a group run at the same time in one sbcd.

Group "interwork" (access realm `srtp: optional`, core realm `srtp: required`):
  - caller RTP -> callee SRTP and back, one call per direction and suite
    (AES_CM_128_HMAC_SHA1_80, _32, AEAD_AES_128_GCM, AEAD_AES_256_GCM: the callee picks it);
    on the wire the SRTP leg's packets are the plain ones plus the suite's tag length;
  - SRTP <-> SRTP, both directions: every key in the SDPs differs (caller's, the SBC's two,
    the callee's), no key of one leg appears in a message of the other, and on the wire the
    payload of each packet (matched by sequence number) differs between the legs;
  - a tampered (3) and a replayed (2) SRTP packet injected from the caller's namespace with the
    sender's source: dropped (never reach the callee) and counted in the call's
    event=media_session_end (from_a_drops_srtp_auth=3, from_a_drops_srtp_replay=2) and in
    /metrics (sbc_media_drops_total{reason="srtp_auth"|"srtp_replay"}); the audio passes;
  - a re-INVITE with a new key mid-call from either side (the sender switches keys with
    --rekey-at, after its sequence number wrapped: the ROC carries over); hold (a=inactive,
    sender paused) and resume with the same keys (the SBC's keys must not change); the SBC's
    own key changing (the caller re-offers another suite, RTP -> SRTP, SRTP -> RTP: the
    receiver is swapped for one with the answer's key); an SSRC change mid-call; a sequence
    number wrap (sender from 65500): the audio continues each time, loss is reported and
    small (the SBC's SRTP drops of those calls are printed).
Group "policy" (access `srtp: required`, core `srtp: off`):
  - caller SRTP -> callee RTP and back, each suite (the SBC's offer to the callee is RTP/AVP
    without a=crypto);
  - 488 with a Warning, no INVITE at the callee and no call_start in sbcd's log for: an RTP-only
    offer, an offer whose only suite is unknown, a key that is not base64, a key of the wrong
    length.
Everywhere: no key appears in sbcd's log. It needs root, sbcd with its media plane and
build/bin/rtp-probe: without them it FAILS, never skips. Each group takes about 20 s.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import os
import re
import signal
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parents[2]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(ROOT / "tools" / "netns"))
import netnslab as L  # noqa: E402
import sipua as S  # noqa: E402
from netnslab import A  # noqa: E402

SEND_S = 6.0  # each sender's tone
RECV_S = SEND_S + 2.0  # receivers start first and listen this long
PTIME_MS = 20
TOLERANCE_HZ = 20
MIN_SNR_DB = 20.0  # G.711 of a clean tone gives well over 30 dB; a wrong key gives noise or nothing
METRICS = "http://127.0.0.1:9464/metrics"  # config/lab/netns.yaml `metrics:`


# --------------------------------------------------------------------------------------
# Config variants


def config_variant(shipped: Path, out: Path, access: dict, core: dict) -> None:
    """config/lab/netns.yaml with SRTP settings added to each realm's `media:` mapping."""
    text = shipped.read_text()
    for ip, settings in ((A.sbc_access_media, access), (A.sbc_core_media, core)):
        extra = "".join(f", {k}: {v if isinstance(v, str) else '[' + ', '.join(v) + ']'}"
                        for k, v in settings.items())
        text, n = re.subn(rf"(media:\s*\{{\s*address:\s*{re.escape(ip)}[^}}]*)\}}", rf"\g<1>{extra} }}", text)
        if n != 1:
            raise L.Failure(f"{shipped}: no realm `media: {{ address: {ip}, ... }}` to add SRTP settings to")
    out.write_text(text)


# --------------------------------------------------------------------------------------
# Calls


@dataclasses.dataclass
class Call:
    name: str
    index: int
    direction: str  # "a2b" (caller sends, callee receives) | "b2a"
    offer: str  # "avp" | "savp" | "raw" (offer_lines as given)
    offer_suites: tuple = ()  # caller's a=crypto suites, in order (savp)
    answer_suite: Optional[str] = None  # the suite the callee picks (None: it answers RTP/AVP)
    sender_args: list = dataclasses.field(default_factory=list)
    max_lost: int = 0
    min_packets_frac: float = 0.95
    expect_ssrcs: Optional[int] = None
    compare_wire: str = ""  # "tag": SRTP leg = plain + tag; "differ": payloads differ between legs
    offer_lines: tuple = ()  # for offer == "raw": the a=crypto lines
    offer_proto: str = "RTP/SAVP"
    # filled in
    tone: int = 0
    caller_port: int = 0
    callee_port: int = 0
    caller_keys: dict = dataclasses.field(default_factory=dict)  # tag -> (suite, key) offered by the caller
    a_dialog: Optional[S.Dialog] = None
    b_dialog: Optional[S.Dialog] = None
    callee_key: Optional[str] = None
    a_answer: Optional[S.Media] = None  # the SBC's answer to the caller
    b_offer: Optional[S.Media] = None  # the SBC's offer to the callee
    final: Optional[S.Msg] = None
    sender: Optional[L.Proc] = None
    receiver: Optional[L.Proc] = None
    sender_started: float = 0.0
    log: list = dataclasses.field(default_factory=list)  # what happened mid-call, for the report
    tx_args: list = dataclasses.field(default_factory=list)
    tx_role: str = ""
    tx_src: tuple = ()
    tx_dst: tuple = ()
    injected: Optional[dict] = None
    split_at: Optional[float] = None  # a second receiver takes over at this time (the SBC's key changes)
    pieces: list = dataclasses.field(default_factory=list)  # the receivers: proc, json, label, result
    rx_role: str = ""
    rx_bind: str = ""
    ok: bool = False

    def __post_init__(self) -> None:
        self.tone = 400 + 100 * self.index  # each call its own tone: a crossed stream shows
        self.caller_port = 20000 + 2 * self.index
        self.callee_port = 22000 + 2 * self.index

    @property
    def a_srtp(self) -> bool:
        return self.offer != "avp"

    def a_suite_key(self) -> tuple[str, str, str]:
        """(suite, caller's key, SBC's key) on the caller's leg, from the SBC's answer."""
        c = self.a_answer.cryptos[0]
        suite, key = self.caller_keys[c.tag]
        return suite, key, c.key

    def b_suite_key(self) -> tuple[str, str, str]:
        """(suite, SBC's key, callee's key) on the callee's leg."""
        sbc = next(c for c in self.b_offer.cryptos if c.suite == self.answer_suite)
        return self.answer_suite, sbc.key, self.callee_key


class Calls:
    """The lab's two SIP endpoints and the calls between them."""

    def __init__(self, lab: L.Lab):
        self.lab = lab
        self.caller = S.Endpoint("caller", lab.ns["caller"], A.caller_sig, A.sip_port,
                                 (A.sbc_access_sig, A.sip_port), "alice")
        self.callee = S.Endpoint("callee", lab.ns["callee"], A.callee_sig, A.callee_sip_port,
                                 (A.sbc_core_sig, A.sip_port), "bob")
        self.pump = S.Pump(self.caller, self.callee)
        self.pending: Optional[Call] = None
        self.callee.on_invite = self._answer_invite
        self.invites_at_callee = 0

    def close(self) -> None:
        self.caller.close()
        self.callee.close()

    def _answer_invite(self, req: S.Msg, offer: Optional[S.Media]) -> tuple[int, str, str]:
        self.invites_at_callee += 1
        c = self.pending
        if c is None or offer is None:
            return 480, "", ""
        c.b_offer = offer
        if c.answer_suite is None:
            return 200, S.build_sdp(A.callee_media, c.callee_port), c.name
        pick = next((x for x in offer.cryptos if x.suite == c.answer_suite), None)
        if pick is None or not offer.srtp:
            return 488, "", c.name
        c.callee_key = S.new_key(c.answer_suite)
        return 200, S.build_sdp(A.callee_media, c.callee_port, offer.proto,
                                (S.Crypto(pick.tag, pick.suite, c.callee_key),)), c.name

    def _reanswer(self, c: Call, d: S.Dialog, offer: S.Media) -> tuple[int, str]:
        """The callee's answer to a re-offer: its current key (for the suite it chose, under
        whatever tag the SBC gives it now) and the direction that answers the offer's."""
        d.sdp_version += 1
        direction = S.ANSWER_DIRECTION[offer.direction]
        if c.answer_suite is None:
            return 200, S.build_sdp(A.callee_media, c.callee_port, direction=direction, version=d.sdp_version)
        pick = next((x for x in offer.cryptos if x.suite == c.answer_suite), None)
        if pick is None or not offer.srtp:
            return 488, ""
        return 200, S.build_sdp(A.callee_media, c.callee_port, offer.proto,
                                (S.Crypto(pick.tag, pick.suite, c.callee_key),), direction, d.sdp_version)

    def offer_sdp(self, c: Call, version: int = 1, direction: str = "sendrecv") -> str:
        if c.offer == "avp":
            return S.build_sdp(A.caller_media, c.caller_port, version=version, direction=direction)
        if c.offer == "raw":
            return S.build_sdp(A.caller_media, c.caller_port, c.offer_proto, c.offer_lines, direction, version)
        if not c.caller_keys:
            c.caller_keys = {i + 1: (s, S.new_key(s)) for i, s in enumerate(c.offer_suites)}
        cryptos = [S.Crypto(tag, s, k) for tag, (s, k) in c.caller_keys.items()]
        return S.build_sdp(A.caller_media, c.caller_port, "RTP/SAVP", cryptos, direction, version)

    def place(self, c: Call) -> S.Msg:
        """The call's INVITE from the caller through sbcd to the callee, answered and ACKed."""
        self.pending = c
        before = self.invites_at_callee
        d = self.caller.invite("bob", self.offer_sdp(c), label=c.name)
        c.a_dialog = d
        r = self.pump.transaction(self.caller, d, "INVITE")
        c.final = r
        if r.status == 200:
            c.a_answer = d.remote_sdp
            self.pump.run(lambda: any(x.label == c.name and x.established for x in self.callee.dialogs.values()),
                          5, f"the ACK of {c.name} at the callee")
            c.b_dialog = next(x for x in self.callee.dialogs.values() if x.label == c.name)
            c.b_dialog.answerer = lambda d, offer, c=c: self._reanswer(c, d, offer)
        elif self.invites_at_callee == before:
            self.pump.settle(0.3)  # an INVITE that reached the callee late would show now
        self.pending = None
        return r

    def reinvite_from_caller(self, c: Call, sdp: str) -> S.Msg:
        r = self.pump.transaction(self.caller, c.a_dialog, "INVITE", sdp)
        if r.status == 200:
            c.a_answer = c.a_dialog.remote_sdp
        return r

    def reinvite_from_callee(self, c: Call, sdp: str) -> S.Msg:
        d = c.b_dialog
        d.local_sdp = sdp
        return self.pump.transaction(self.callee, d, "INVITE", sdp)

    def bye(self, c: Call) -> S.Msg:
        return self.pump.transaction(self.caller, c.a_dialog, "BYE")


# --------------------------------------------------------------------------------------
# rtp-probe


def probe_key(suite: Optional[str], key: Optional[str]) -> list[str]:
    return ["--srtp", f"{suite}:{key}"] if suite else []


def start_probes(lab: L.Lab, probe: Path, c: Call) -> None:
    """Receiver first (it binds its port), then the sender, each in its endpoint's namespace."""
    if c.direction == "a2b":
        tx_role, tx_ip, tx_port = "caller", A.caller_media, c.caller_port
        rx_role, rx_ip, rx_port = "callee", A.callee_media, c.callee_port
        to = (c.a_answer.ip, c.a_answer.port)
        tx_srtp = (c.a_suite_key()[0], c.a_suite_key()[1]) if c.a_srtp else (None, None)
        rx_srtp = (c.b_suite_key()[0], c.b_suite_key()[1]) if c.answer_suite else (None, None)
    else:
        tx_role, tx_ip, tx_port = "callee", A.callee_media, c.callee_port
        rx_role, rx_ip, rx_port = "caller", A.caller_media, c.caller_port
        to = (c.b_offer.ip, c.b_offer.port)
        tx_srtp = (c.b_suite_key()[0], c.b_suite_key()[2]) if c.answer_suite else (None, None)
        rx_srtp = (c.a_suite_key()[0], c.a_suite_key()[2]) if c.a_srtp else (None, None)
    c.rx_role, c.rx_bind = rx_role, f"{rx_ip}:{rx_port}"
    start_receiver(lab, probe, c, rx_srtp, RECV_S)
    c.tx_args = ([str(probe), "send", "--to", f"{to[0]}:{to[1]}", "--bind", f"{tx_ip}:{tx_port}", "--codec", "pcmu",
                  "--ptime", str(PTIME_MS), "--tone", str(c.tone), "--duration", str(SEND_S)]
                 + probe_key(*tx_srtp) + c.sender_args)
    c.tx_role = tx_role
    c.tx_src = (tx_ip, tx_port)
    c.tx_dst = to


def start_receiver(lab: L.Lab, probe: Path, c: Call, srtp: tuple, duration: float) -> None:
    """rtp-probe recv on the receiving side; a call whose receiving key changes mid-call gets
    a second one, started on the same port with the new key (Call.split_at)."""
    n = len(c.pieces)
    tag = c.name if n == 0 else f"{c.name}-{n + 1}"
    json_path = lab.work / f"recv-{tag}.json"
    proc = lab.start(f"rtp-probe recv ({tag})", c.rx_role,
                     [str(probe), "recv", "--bind", c.rx_bind, "--codec", "pcmu", "--duration", f"{duration:.2f}",
                      "--expect-tone", str(c.tone), "--tolerance", str(TOLERANCE_HZ), "--min-snr", str(MIN_SNR_DB),
                      "--idle", f"{duration:.2f}", "--json", str(json_path)] + probe_key(*srtp), f"recv-{tag}.log")
    c.pieces.append({"proc": proc, "json": json_path, "label": tag, "srtp": srtp[0] or "plain"})
    if n == 0:
        c.receiver = proc


def align_to_wire(lab: L.Lab, calls: list[Call]) -> None:
    """Sets each call's sender_started (monotonic clock) to when its first packet was on the
    sender's link (pcap timestamps are wall-clock)."""
    first: dict[tuple, float] = {}
    for role in ("caller", "callee"):
        for p in L.read_pcap(lab.cap_files[role]):
            if p.rtp() and (p.src, p.sport) not in first:
                first[(p.src, p.sport)] = p.ts
    offset = time.monotonic() - time.time()
    for c in calls:
        ts = first.get(tuple(c.tx_src))
        if ts is not None:
            c.sender_started = ts + offset


def start_sender(lab: L.Lab, c: Call) -> None:
    c.sender = lab.start(f"rtp-probe send ({c.name})", c.tx_role, c.tx_args, f"send-{c.name}.log")
    c.sender_started = time.monotonic()


def read_result(piece: dict) -> Optional[dict]:
    texts = []
    if piece["json"].exists():
        texts.append(piece["json"].read_text())
    texts += reversed(piece["proc"].text().splitlines())
    for t in texts:
        t = t.strip()
        if t.startswith("{"):
            try:
                return json.loads(t.splitlines()[0])
            except ValueError:
                continue
    return None


def check_audio(rep: L.Report, c: Call, piece: dict) -> None:
    rc = piece["proc"].poll()
    r = piece["result"] = read_result(piece)
    what = (f"{piece['label']}: the {'callee' if c.direction == 'a2b' else 'caller'} decoded the {c.tone} Hz tone"
            f" ({piece['srtp']})")
    if r is None:
        tail = " | ".join(piece["proc"].text().splitlines()[-3:])
        rep.fail(what, f"rtp-probe recv gave no JSON (exit {rc}): {tail}")
        return
    expected = int(SEND_S * 1000 / PTIME_MS)
    pause = _pause_s(c.sender_args)
    expected -= int(pause * 1000 / PTIME_MS)
    if c.split_at:  # each receiver hears its part of the call
        first = int(c.split_at * 1000 / PTIME_MS)
        expected = first if piece is c.pieces[0] else expected - first
    problems = []
    freq, snr = r.get("frequency_hz"), r.get("snr_db")
    packets, lost = r.get("packets", 0), r.get("lost")
    if rc != 0 or r.get("pass") is not True:
        problems.append(f"rtp-probe recv exit {rc}, pass={r.get('pass')}")
    if not isinstance(freq, (int, float)) or abs(freq - c.tone) > TOLERANCE_HZ:
        problems.append(f"frequency {freq} Hz, want {c.tone} +- {TOLERANCE_HZ}")
    if not isinstance(snr, (int, float)) or snr < MIN_SNR_DB:
        problems.append(f"SNR {snr} dB, want >= {MIN_SNR_DB}")
    if packets < c.min_packets_frac * expected:
        problems.append(f"{packets} packets, want >= {c.min_packets_frac * expected:.0f} of {expected} sent")
    if lost is None or lost > c.max_lost:
        problems.append(f"lost {lost}, allowed {c.max_lost}")
    if c.expect_ssrcs is not None:
        ssrcs = r.get("ssrcs")
        n = len(ssrcs) if isinstance(ssrcs, list) else ssrcs
        if n != c.expect_ssrcs:
            problems.append(f"SSRCs seen {ssrcs}, want {c.expect_ssrcs}")
    if r.get("duplicates"):
        problems.append(f"{r.get('duplicates')} duplicates (a replayed packet got through?)")
    rejected = (r.get("srtp_auth_failures") or 0) + (r.get("srtp_replays") or 0)
    if rejected:  # the SBC re-protects with its own unchanged key: nothing may fail at the probe
        problems.append(f"{rejected} SRTP packets rejected by the receiver (auth {r.get('srtp_auth_failures')}, "
                        f"replay {r.get('srtp_replays')})")
    rep.check(f"{what}: {freq} Hz, SNR {snr} dB, {packets} packets, lost {lost}, jitter {r.get('jitter_ms')} ms"
              f"{', SSRCs ' + str(r.get('ssrcs')) if c.expect_ssrcs else ''}"
              f"{', ' + '; '.join(c.log) if c.log else ''}", problems)


def _pause_s(args: list) -> float:
    if "--pause" in args:
        start, end = args[args.index("--pause") + 1].split("-")
        return float(end) - float(start)
    return 0.0


# --------------------------------------------------------------------------------------
# sbcd's log and metrics


def sbc_calls(log_text: str) -> dict[str, str]:
    """call_id_in -> sbcd's call id, from event=call_start."""
    out = {}
    for m in re.finditer(r'event=call_start call=(\S+) .*?call_id_in="([^"]*)"', log_text):
        out[m.group(2)] = m.group(1)
    return out


def session_end(log_text: str, call: str) -> dict[str, str]:
    for line in log_text.splitlines():
        if "event=media_session_end" in line and re.search(rf"\bcall={re.escape(call)}\b", line):
            return {k: v.strip('"') for k, v in L.KV_RE.findall(line)}
    return {}


def metric_sum(text: str, name: str, labels: dict) -> Optional[float]:
    total, seen = 0.0, False
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        body = line[len(name) + 1:line.index("}")]
        got = dict(re.findall(r'(\w+)="([^"]*)"', body))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(line.split()[-1])
            seen = True
    return total if seen else None


def scrape(lab: L.Lab) -> str:
    return L.run(["curl", "-s", "--max-time", "5", METRICS], lab.ns["sbc"], check=False, timeout=10)


# --------------------------------------------------------------------------------------
# Wire checks (captures of both media links)


def rtp_payload_offset(p: bytes) -> int:
    """Where the payload starts: after the CSRCs and the header extension (rtp-probe puts a
    send-time extension in every packet; SRTP leaves the header in the clear)."""
    off = 12 + 4 * (p[0] & 0x0F)
    if p[0] & 0x10 and len(p) >= off + 4:
        off += 4 + 4 * int.from_bytes(p[off + 2:off + 4], "big")
    return min(off, len(p))


def leg_packets(caps: L.Captures, c: Call) -> tuple[dict, dict]:
    """{seq: payload} of the call's stream as sent (sender's link) and as received."""
    if c.direction == "a2b":
        sent = [p for p in caps.caller if p.src == A.caller_media and p.sport == c.caller_port and p.rtp()]
        got = [p for p in caps.callee if p.dst == A.callee_media and p.dport == c.callee_port and p.rtp()]
    else:
        sent = [p for p in caps.callee if p.src == A.callee_media and p.sport == c.callee_port and p.rtp()]
        got = [p for p in caps.caller if p.dst == A.caller_media and p.dport == c.caller_port and p.rtp()]
    return ({p.rtp()[1]: p.payload for p in sent}, {p.rtp()[1]: p.payload for p in got})


def check_wire(rep: L.Report, caps: L.Captures, c: Call) -> None:
    sent, got = leg_packets(caps, c)
    common = sorted(set(sent) & set(got))
    problems = [] if len(common) >= 0.9 * len(sent) and sent else \
        [f"only {len(common)} of {len(sent)} sent packets found on the other leg by sequence number"]
    same = [s for s in common if sent[s][rtp_payload_offset(sent[s]):] == got[s][rtp_payload_offset(got[s]):]]
    if same:
        problems.append(f"{len(same)} of {len(common)} packets carry the same payload bytes on both legs "
                        f"(e.g. seq {same[0]}): not re-protected")
    a_suite = c.a_suite_key()[0] if c.a_srtp else None
    b_suite = c.answer_suite
    tx_suite, rx_suite = (a_suite, b_suite) if c.direction == "a2b" else (b_suite, a_suite)
    tag = {"sent": S.SUITE_TAG_BYTES[tx_suite] if tx_suite else 0,
           "received": S.SUITE_TAG_BYTES[rx_suite] if rx_suite else 0}
    want = tag["received"] - tag["sent"]
    bad_len = [s for s in common if len(got[s]) - len(sent[s]) != want]
    if bad_len:
        s = bad_len[0]
        problems.append(f"{len(bad_len)} packets: length {len(sent[s])} sent, {len(got[s])} received "
                        f"(want a difference of {want}: the tag lengths {tag['sent']} -> {tag['received']})")
    rep.check(f"{c.name}: on the wire {len(common)} packets matched by sequence number; payload bytes differ "
              f"between the legs in every one; lengths differ by {want} (tags {tag['sent']} -> {tag['received']})",
              problems)


# --------------------------------------------------------------------------------------
# Key checks


def sdp_keys(msgs: list) -> set[str]:
    out = set()
    for m in msgs:
        text = m.decode("utf-8", "replace") if isinstance(m, bytes) else m.raw.decode("utf-8", "replace")
        out |= set(re.findall(r"inline:([A-Za-z0-9+/=]+)", text))
    return out


def _hex(key: str) -> str:
    try:
        return base64.b64decode(key + "=" * (-len(key) % 4)).hex()
    except ValueError:
        return ""


def check_keys(rep: L.Report, calls: Calls, log_text: str) -> None:
    a_keys = sdp_keys(calls.caller.sent) | sdp_keys(calls.caller.received)
    b_keys = sdp_keys(calls.callee.sent) | sdp_keys(calls.callee.received)
    crossed = a_keys & b_keys
    rep.check(f"no SRTP key crosses legs: {len(a_keys)} keys in the caller leg's SDPs, {len(b_keys)} in the "
              "callee leg's, none in both", [f"{len(crossed)} keys appear on both legs"] if crossed else
              ([] if a_keys or b_keys else ["no key seen at all"]))
    lower = log_text.lower()
    leaked = [k for k in a_keys | b_keys if k in log_text or (_hex(k) and _hex(k) in lower)]
    rep.check(f"no key material in sbcd's log ({len(a_keys | b_keys)} keys looked for, base64 and hex)",
              [f"{len(leaked)} keys found in sbcd.log"] if leaked else [])


def check_distinct_keys(rep: L.Report, c: Call) -> None:
    a_suite, caller_key, sbc_a = c.a_suite_key()
    b_suite, sbc_b, callee_key = c.b_suite_key()
    keys = {"caller": caller_key, "SBC to caller": sbc_a, "SBC to callee": sbc_b, "callee": callee_key}
    dup = [f"{x} = {y}" for i, x in enumerate(keys) for y in list(keys)[i + 1:] if keys[x] == keys[y]]
    others = [x.key for x in c.b_offer.cryptos if x.suite != c.answer_suite]
    rep.check(f"{c.name}: four different keys in the SDPs (caller {a_suite}, SBC's answer, SBC's offer "
              f"{b_suite} ({len(c.b_offer.cryptos)} a=crypto lines, one key each), callee)",
              dup + ([] if len(set(others + [sbc_b])) == len(others) + 1 else ["the SBC's offer repeats a key"]))


# --------------------------------------------------------------------------------------
# Cases


def suite_short(s: str) -> str:
    return {"AES_CM_128_HMAC_SHA1_80": "cm80", "AES_CM_128_HMAC_SHA1_32": "cm32",
            "AEAD_AES_128_GCM": "gcm128", "AEAD_AES_256_GCM": "gcm256"}[s]


def interwork_calls() -> list[Call]:
    calls: list[Call] = []

    def add(**kw) -> Call:
        c = Call(index=len(calls), **kw)
        calls.append(c)
        return c

    for suite in S.SUITES:
        for d in ("a2b", "b2a"):
            add(name=f"rtp-srtp-{suite_short(suite)}-{d}", direction=d, offer="avp", answer_suite=suite,
                compare_wire="tag")
    for d in ("a2b", "b2a"):
        add(name=f"srtp-srtp-{d}", direction=d, offer="savp", offer_suites=S.SUITES,
            answer_suite="AES_CM_128_HMAC_SHA1_80", compare_wire="differ")
    cm80 = ("AES_CM_128_HMAC_SHA1_80",)
    add(name="tamper-replay", direction="a2b", offer="savp", offer_suites=cm80, answer_suite=cm80[0])
    # re-keying: the sender switches at REKEY_S; the re-INVITE goes out just before. The
    # sequence number wraps at 2.7 s, before: the new key's contexts must start at ROC 1
    # (RFC 3711 3.3.1: the ROC survives a re-key), else every packet after fails
    add(name="rekey-caller", direction="a2b", offer="savp", offer_suites=cm80, answer_suite=cm80[0], max_lost=10,
        sender_args=["--seq", "65400"])
    add(name="rekey-callee", direction="b2a", offer="savp", offer_suites=cm80, answer_suite=cm80[0], max_lost=10,
        sender_args=["--seq", "65400"])
    add(name="hold-resume", direction="a2b", offer="savp", offer_suites=cm80, answer_suite=cm80[0],
        sender_args=["--pause", "2-4"], max_lost=10, min_packets_frac=0.9)
    # the SBC's own key toward the caller changes mid-call (a new suite, or RTP <-> SRTP): the
    # caller's receiver is replaced at SPLIT_S by one with the key from the re-INVITE's answer
    add(name="suite-change-b2a", direction="b2a", offer="savp", offer_suites=cm80, answer_suite=cm80[0],
        split_at=SPLIT_S, max_lost=5, min_packets_frac=0.65)
    add(name="rtp-to-srtp-b2a", direction="b2a", offer="avp", answer_suite=cm80[0], split_at=SPLIT_S,
        max_lost=5, min_packets_frac=0.65)
    add(name="srtp-to-rtp-b2a", direction="b2a", offer="savp", offer_suites=cm80, answer_suite=cm80[0],
        split_at=SPLIT_S, max_lost=5, min_packets_frac=0.65)
    for d in ("a2b", "b2a"):
        add(name=f"ssrc-change-{d}", direction=d, offer="savp", offer_suites=cm80, answer_suite=cm80[0],
            sender_args=["--change-ssrc-at", "3", str(0x5EC0_0000 + 17 + len(calls))], max_lost=5, expect_ssrcs=2)
        add(name=f"seq-wrap-{d}", direction=d, offer="savp", offer_suites=cm80, answer_suite=cm80[0],
            sender_args=["--seq", "65500"], max_lost=0)
    return calls


def policy_calls() -> list[Call]:
    calls: list[Call] = []
    for suite in S.SUITES:
        for d in ("a2b", "b2a"):
            calls.append(Call(name=f"srtp-rtp-{suite_short(suite)}-{d}", index=len(calls), direction=d,
                              offer="savp", offer_suites=(suite,), answer_suite=None, compare_wire="tag"))
    return calls


REKEY_S = 3.0
SPLIT_S = 3.0
SWAP_LOSS = 50  # packets allowed to pass while one rtp-probe recv stops and the next starts (a loaded machine)


def body_interwork(lab: L.Lab, rep: L.Report, probe: Path) -> None:
    calls = interwork_calls()
    ua = Calls(lab)
    try:
        run_calls(lab, rep, probe, ua, calls, schedule_interwork)
    except S.SipError as e:
        raise L.Failure(f"SIP: {e}") from e
    finally:
        ua.close()


def schedule_interwork(lab: L.Lab, rep: L.Report, ua: Calls, calls: list[Call]) -> list[tuple[Call, float, Callable]]:
    ev = []
    by = {c.name: c for c in calls}

    # rekey: new caller key (re-INVITE from the caller), the sender switches at REKEY_S
    c = by.get("rekey-caller")
    if c is not None:
        suite = c.a_suite_key()[0]
        new = S.new_key(suite)
        c.sender_args += ["--rekey-at", str(REKEY_S), f"{suite}:{new}"]

        def rekey_caller(c=c, new=new, suite=suite) -> None:
            old_sbc = c.a_answer.cryptos[0].key
            old_b = c.b_dialog.remote_sdp
            c.caller_keys = {c.a_answer.cryptos[0].tag: (suite, new)}
            r = ua.reinvite_from_caller(c, ua.offer_sdp(c, version=2))
            c.log.append(f"re-INVITE with a new caller key: {r.status}")
            problems = [] if r.status == 200 else [f"re-INVITE answered {r.status}"]
            if r.status == 200:
                if c.a_answer.cryptos[0].key != old_sbc:
                    problems.append("the SBC's own key toward the caller changed (suite unchanged: it must stay)")
                nb = c.b_dialog.remote_sdp
                if nb is old_b:
                    c.log.append("the re-INVITE did not reach the callee")
                elif c.answer_suite and not any(x.key == c.b_suite_key()[1] for x in nb.cryptos):
                    problems.append("the SBC's key toward the callee changed in the re-offer")
            rep.check(f"{c.name}: re-INVITE with a new key at {REKEY_S} s answered 200, the SBC's own keys unchanged",
                      problems)

        ev.append((c, REKEY_S - 0.01, rekey_caller))

    c = by.get("rekey-callee")
    if c is not None:
        suite = c.answer_suite
        new_b = S.new_key(suite)
        c.sender_args += ["--rekey-at", str(REKEY_S), f"{suite}:{new_b}"]

        def rekey_callee(c=c, new=new_b, suite=suite) -> None:
            tag = next(x.tag for x in c.b_offer.cryptos if x.suite == suite)
            old_sbc_b = c.b_suite_key()[1]
            c.callee_key = new
            c.b_dialog.sdp_version += 1
            r = ua.reinvite_from_callee(c, S.build_sdp(A.callee_media, c.callee_port, "RTP/SAVP",
                                                       (S.Crypto(tag, suite, new),), version=c.b_dialog.sdp_version))
            c.log.append(f"callee's re-INVITE with a new key: {r.status}")
            problems = [] if r.status == 200 else [f"re-INVITE answered {r.status}"]
            if r.status == 200 and c.b_dialog.remote_sdp is not None:
                ans = c.b_dialog.remote_sdp
                if not ans.cryptos or ans.cryptos[0].key != old_sbc_b:
                    problems.append("the SBC's own key toward the callee changed (suite unchanged: it must stay)")
            rep.check(f"{c.name}: the callee's re-INVITE with a new key at {REKEY_S} s answered 200, the SBC's key "
                      "unchanged", problems)

        ev.append((c, REKEY_S - 0.01, rekey_callee))

    # hold (a=inactive, the sender pauses 2..4 s) and resume, same keys
    c = by.get("hold-resume")
    if c is not None:

        def hold(c=c, direction="inactive", version=2) -> None:
            old_a = c.a_answer.cryptos[0].key
            old_b = c.b_suite_key()[1]
            r = ua.reinvite_from_caller(c, ua.offer_sdp(c, version=version, direction=direction))
            c.log.append(f"{direction} re-INVITE: {r.status}")
            problems = [] if r.status == 200 else [f"answered {r.status}"]
            if r.status == 200:
                if c.a_answer.cryptos[0].key != old_a:
                    problems.append("the SBC's key toward the caller changed")
                nb = c.b_dialog.offers_received[-1] if c.b_dialog.offers_received else None
                if nb is not None and not any(x.key == old_b for x in nb.cryptos):
                    problems.append("the SBC's key toward the callee changed")
                if nb is not None and len(c.b_dialog.offers_received) < 2:
                    problems.append("the re-INVITE did not reach the callee")
            rep.check(f"{c.name}: re-INVITE a={direction} answered 200, the SBC's keys on both legs unchanged", problems)

        ev.append((c, 2.0, hold))
        ev.append((c, 3.95, lambda c=c: hold(c, "sendrecv", 3)))

    # the caller re-offers: GCM instead of AES-CM / SRTP instead of RTP / RTP instead of SRTP
    for name, offer, suites in (("suite-change-b2a", "savp", ("AEAD_AES_128_GCM",)),
                                ("rtp-to-srtp-b2a", "savp", ("AES_CM_128_HMAC_SHA1_80",)),
                                ("srtp-to-rtp-b2a", "avp", ())):
        if name in by:
            ev.append((by[name], SPLIT_S, lambda c=by[name], offer=offer, suites=suites:
                       switch_caller(lab, rep, ua, c, offer, suites)))

    # tamper and replay at 2.5 s
    c = by.get("tamper-replay")
    if c is not None:
        ev.append((c, 2.5, lambda c=c: inject(lab, rep, c)))
    return ev


def switch_caller(lab: L.Lab, rep: L.Report, ua: Calls, c: Call, offer: str, suites: tuple) -> None:
    """The caller re-offers with another suite or profile; its receiver is replaced by one that
    uses what the SBC answered (the callee's leg and its sender are unchanged)."""
    old = c.a_answer
    first = c.pieces[0]["proc"]
    first.send_signal(signal.SIGTERM)  # it reports what it got so far and exits
    if first.wait(3.0) is None:
        rep.fail(f"{c.name}: the first rtp-probe recv stops on SIGTERM", "still running after 3 s")
    c.offer, c.offer_suites, c.caller_keys = offer, suites, {}
    r = ua.reinvite_from_caller(c, ua.offer_sdp(c, version=2))
    new = c.a_answer
    problems = [] if r.status == 200 else [f"answered {r.status}: {r.h('warning') or r.start}"]
    if r.status == 200:
        if offer == "avp" and (new.srtp or new.cryptos):
            problems.append(f"answer {new.proto} with {len(new.cryptos)} a=crypto to an RTP/AVP re-offer")
        if offer == "savp":
            if not new.srtp or len(new.cryptos) != 1 or new.cryptos[0].suite != suites[0]:
                problems.append(f"answer {new.proto} {[x.suite for x in new.cryptos]}, want RTP/SAVP {suites[0]}")
            elif old.cryptos and new.cryptos[0].key == old.cryptos[0].key:
                problems.append("the SBC kept its old key for a new suite")
    rep.check(f"{c.name}: re-INVITE ({'RTP/AVP' if offer == 'avp' else 'RTP/SAVP ' + suites[0]}) answered 200 with "
              f"{new.proto} {' '.join(x.suite for x in new.cryptos)}", problems)
    c.log.append(f"re-offer {offer} {'/'.join(suites)}: {r.status}")
    if r.status == 200:
        srtp = (new.cryptos[0].suite, new.cryptos[0].key) if new.srtp and new.cryptos else (None, None)
        start_receiver(lab, lab.probe, c, srtp, SEND_S - SPLIT_S + 1.5)


def inject(lab: L.Lab, rep: L.Report, c: Call) -> None:
    """3 tampered packets (a sequence number ahead, a payload byte flipped: new to the replay
    window, so they meet the authentication check) and 2 exact copies of packets the relay has
    already taken, sent from the sender's own source (so latching does not drop them first)."""
    pkts = [p for p in L.read_pcap(lab.cap_files["caller"])
            if p.src == A.caller_media and p.sport == c.caller_port and p.rtp()]
    if len(pkts) < 10:
        rep.fail(f"{c.name}: injected tampered and replayed packets", f"only {len(pkts)} packets captured so far")
        return
    base = pkts[-1].payload
    seq = int.from_bytes(base[2:4], "big")
    for i in range(3):
        t = bytearray(base)
        t[2:4] = ((seq + 1000 + i) & 0xFFFF).to_bytes(2, "big")
        t[rtp_payload_offset(base) + 5] ^= 0x5A  # inside the encrypted payload
        S.raw_udp_send(lab.ns["caller"], c.tx_src, c.tx_dst, bytes(t))
    for p in pkts[-3:-1]:
        S.raw_udp_send(lab.ns["caller"], c.tx_src, c.tx_dst, p.payload)
    c.injected = {"tampered_seqs": [(seq + 1000 + i) & 0xFFFF for i in range(3)],
                  "replayed_seqs": [p.rtp()[1] for p in pkts[-3:-1]]}
    c.log.append("3 tampered + 2 replayed injected at 2.5 s")


def body_policy(lab: L.Lab, rep: L.Report, probe: Path) -> None:
    ua = Calls(lab)
    try:
        refusals(lab, rep, ua)
        run_calls(lab, rep, probe, ua, policy_calls(), None)
    except S.SipError as e:
        raise L.Failure(f"SIP: {e}") from e
    finally:
        ua.close()


def refusals(lab: L.Lab, rep: L.Report, ua: Calls) -> None:
    cm80 = "AES_CM_128_HMAC_SHA1_80"
    cases = [
        Call(name="488-rtp-offer-into-required", index=40, direction="a2b", offer="avp"),
        Call(name="488-unknown-suite", index=41, direction="a2b", offer="raw",
             offer_lines=(f"a=crypto:1 AES_CM_256_NOT_A_SUITE inline:{base64.b64encode(os.urandom(30)).decode()}",)),
        Call(name="488-key-not-base64", index=42, direction="a2b", offer="raw",
             offer_lines=(f"a=crypto:1 {cm80} inline:@@not*base64!!%%not*base64!!%%not*b",)),
        Call(name="488-key-wrong-length", index=43, direction="a2b", offer="raw",
             offer_lines=(f"a=crypto:1 {cm80} inline:{base64.b64encode(os.urandom(20)).decode()}",)),
    ]
    # what the Warning's text must say (docs: srtp-design, "Warning: 399 <sbc-host> ...")
    why = {cases[0].name: "SRTP required", cases[1].name: "no usable SRTP crypto suite",
           cases[2].name: "no usable SRTP crypto suite", cases[3].name: "no usable SRTP crypto suite"}
    host_warning = re.compile(r'^399 \S+ "(.+)"$')
    for c in cases:
        before = ua.invites_at_callee
        r = ua.place(c)
        warnings = r.all("warning")
        problems = [] if r.status == 488 else [f"answered {r.status} {r.start}"]
        if not warnings:
            problems.append("no Warning header")
        elif not host_warning.match(warnings[0]):
            problems.append(f"Warning is not `399 <host> \"<text>\"`: {warnings[0]}")
        elif why[c.name].lower() not in warnings[0].lower():
            problems.append(f"the Warning does not say \"{why[c.name]}\"")
        for line in c.offer_lines:  # the offered key (or garbage) is never echoed
            key = line.split("inline:", 1)[1]
            if warnings and key[:8] in warnings[0]:
                problems.append("the Warning repeats the offered key")
        if ua.invites_at_callee != before:
            problems.append("an INVITE reached the callee")
        if r.status == 200:
            ua.bye(c)
        rep.check(f"{c.name}: {r.status} with Warning: {warnings[0] if warnings else '-'}; no INVITE at the callee",
                  problems)
    lab.refusals = cases


def run_calls(lab: L.Lab, rep: L.Report, probe: Path, ua: Calls, calls: list[Call],
              schedule: Optional[Callable]) -> None:
    # 1. set every call up (one at a time: the callee knows which call an INVITE belongs to)
    t0 = time.monotonic()
    for c in calls:
        r = ua.place(c)
        problems = [] if r.status == 200 else [f"answered {r.status}: {r.h('warning') or r.start}"]
        if r.status == 200:
            a, b = c.a_answer, c.b_offer
            if c.a_srtp and (not a.srtp or len(a.cryptos) != 1 or a.cryptos[0].tag not in c.caller_keys):
                problems.append(f"the SBC's answer to the caller: {a.proto} with {len(a.cryptos)} a=crypto "
                                f"(want RTP/SAVP and one a=crypto with a tag the caller offered)")
            if not c.a_srtp and (a.srtp or a.cryptos):
                problems.append(f"the SBC's answer to an RTP/AVP offer is {a.proto} with {len(a.cryptos)} a=crypto")
            if c.answer_suite and not b.srtp:
                problems.append(f"the SBC's offer to the callee is {b.proto} (the core realm requires SRTP)")
            if c.answer_suite is None and (b.srtp or b.cryptos):
                problems.append(f"the SBC's offer to the callee is {b.proto} with {len(b.cryptos)} a=crypto "
                                "(the core realm has SRTP off)")
            if a.ip != A.sbc_access_media or b.ip != A.sbc_core_media:
                problems.append(f"media not anchored: caller sees {a.ip}, callee sees {b.ip}")
        c.ok = rep.check(f"{c.name}: call set up ({'RTP/SAVP ' + '/'.join(suite_short(s) for s in c.offer_suites) if c.a_srtp else 'RTP/AVP'}"
                         f" -> {'RTP/SAVP ' + suite_short(c.answer_suite) if c.answer_suite else 'RTP/AVP'}), SDPs as "
                         "the policies say", problems)
    # calls whose SDPs are not what the policies say cannot carry media the probes can judge
    for c in calls:
        if not c.ok and c.final is not None and c.final.status == 200:
            ua.bye(c)
    live = [c for c in calls if c.ok]
    L.log(f"  {len(live)} calls set up in {time.monotonic() - t0:.2f} s")
    lab.probe = probe
    events = schedule(lab, rep, ua, live) if schedule else []
    # 2. media: receivers, then senders
    for c in live:
        start_probes(lab, probe, c)
    time.sleep(0.3)
    for c in live:
        if c.receiver.poll() is not None:
            rep.fail(f"{c.name}: rtp-probe recv runs", f"exited {c.receiver.poll()}: {c.receiver.text()[-300:]}")
    for c in live:
        start_sender(lab, c)
    # The events are timed from each sender's first packet on the wire (a process takes a
    # while to start): a re-INVITE just before the sender's own switch loses next to nothing.
    ua.pump.settle(0.5)
    align_to_wire(lab, live)
    # 3. mid-call events, in time order
    pending = sorted(((c.sender_started + t, c.name, f) for c, t, f in events), key=lambda e: e[0])
    for due, name, f in pending:
        ua.pump.run(lambda due=due: time.monotonic() >= due, max(0.0, due - time.monotonic()) + 1, "an event")
        try:
            f()
        except (S.SipError, LookupError, ValueError) as e:
            rep.fail(f"{name}: mid-call signaling", f"{type(e).__name__}: {e}")
    if any(c.name == "tamper-replay" for c in live):
        time.sleep(0.2)
        text = scrape(lab)
        lab.metrics_mid = text
    # 4. wait for the probes (the SIP endpoints keep answering meanwhile)
    end = time.monotonic() + RECV_S + 10
    ua.pump.run(lambda: all(p["proc"].poll() is not None for c in live for p in c.pieces)
                and all(c.sender.poll() is not None for c in live),
                max(1.0, end - time.monotonic()), "every rtp-probe to finish")
    for c in live:
        src = c.sender.poll()
        if src != 0:
            rep.fail(f"{c.name}: rtp-probe send exits 0", f"exit {src}: {' | '.join(c.sender.text().splitlines()[-3:])}")
        for piece in c.pieces:
            check_audio(rep, c, piece)
        if c.split_at:
            got = [(p.get("result") or {}).get("packets", 0) for p in c.pieces]
            sent = int(SEND_S * 1000 / PTIME_MS)
            rep.check(f"{c.name}: the receivers before and after the re-INVITE got {' + '.join(map(str, got))} = "
                      f"{sum(got)} of {sent} packets (the rest went by while the receiver was swapped)",
                      [] if len(got) == 2 and sum(got) >= sent - SWAP_LOSS else
                      [f"{sent - sum(got)} missing (allowed {SWAP_LOSS}), {len(got)} receivers"])
    # 5. hang up
    byes = {c.name: ua.bye(c) for c in live}
    try:
        ua.pump.run(lambda: all(c.b_dialog.ended for c in live), 5, "the BYEs at the callee")
    except S.SipError:
        pass
    for c in live:
        r = byes[c.name]
        rep.check(f"{c.name}: BYE answered 200 and reached the callee",
                  ([] if r.status == 200 else [f"answered {r.status}"]) +
                  ([] if c.b_dialog.ended else ["the callee got no BYE within 5 s"]))
    lab.calls, lab.ua = calls, ua
    # 6. what sbcd and the wire say
    caps, _ = L.finish(lab, rep)
    log_text = lab.relay_log_text
    ids = sbc_calls(log_text)
    for c in live:
        if c.compare_wire:
            check_wire(rep, caps, c)
        if c.compare_wire == "differ":
            check_distinct_keys(rep, c)
        if c.name == "tamper-replay":
            check_tamper(rep, caps, c, log_text, ids, getattr(lab, "metrics_mid", ""))
        elif c.max_lost and c.a_dialog.call_id in ids:  # where the loss of a re-keyed call went
            kv = session_end(log_text, ids[c.a_dialog.call_id])
            drops = {k: v for k, v in kv.items() if "drops_srtp" in k and v != "0"}
            L.log(f"  info  {c.name}: sbcd's SRTP drops for call {ids[c.a_dialog.call_id]}: {drops or 'none'}")
    for c in getattr(lab, "refusals", []):
        rep.check(f"{c.name}: no call in sbcd's log (no event=call_start for its Call-ID)",
                  [f"event=call_start call={ids[c.a_dialog.call_id]}"] if c.a_dialog.call_id in ids else [])
    check_keys(rep, ua, log_text)
    L.check_sources(rep, caps, lab.relay)
    L.check_no_direct(rep, caps)


def check_tamper(rep: L.Report, caps: L.Captures, c: Call, log_text: str, ids: dict, metrics: str) -> None:
    inj = c.injected
    if inj is None:
        rep.fail(f"{c.name}: the injected packets were dropped and counted", "nothing was injected")
        return
    got = [p.rtp()[1] for p in caps.callee if p.dst == A.callee_media and p.dport == c.callee_port and p.rtp()]
    dup = {s for s in got if got.count(s) > 1}
    tam = set(inj["tampered_seqs"]) & set(got)
    rep.check(f"{c.name}: none of the injected packets reached the callee (no duplicate of replayed seqs "
              f"{inj['replayed_seqs']}, no tampered seq {inj['tampered_seqs']})",
              ([f"duplicates on the callee's link: {sorted(dup)[:5]}"] if dup else [])
              + ([f"tampered seqs relayed: {sorted(tam)}"] if tam else []))
    call = ids.get(c.a_dialog.call_id)
    kv = session_end(log_text, call) if call else {}
    auth, replay = kv.get("from_a_drops_srtp_auth"), kv.get("from_a_drops_srtp_replay")
    rep.check(f"{c.name}: sbcd's event=media_session_end for call {call} counts from_a_drops_srtp_auth={auth} "
              f"(want 3), from_a_drops_srtp_replay={replay} (want 2)",
              ([] if kv else [f"no event=media_session_end for call {call}"])
              + ([] if auth == "3" else [f"srtp_auth drops {auth}"])
              + ([] if replay == "2" else [f"srtp_replay drops {replay}"]))
    m_auth = metric_sum(metrics, "sbc_media_drops_total", {"reason": "srtp_auth"})
    m_replay = metric_sum(metrics, "sbc_media_drops_total", {"reason": "srtp_replay"})
    rep.check(f'{c.name}: /metrics mid-call: sbc_media_drops_total{{reason="srtp_auth"}} {m_auth} (>= 3), '
              f'{{reason="srtp_replay"}} {m_replay} (>= 2)',
              ([] if (m_auth or 0) >= 3 else [f"srtp_auth {m_auth}"])
              + ([] if (m_replay or 0) >= 2 else [f"srtp_replay {m_replay}"]))


# --------------------------------------------------------------------------------------


GROUPS = {
    # name: (access media settings, core media settings, body, title)
    "interwork": ({"srtp": "optional"}, {"srtp": "required"}, body_interwork,
                  "SRTP interworking: RTP<->SRTP per suite, SRTP<->SRTP, tamper/replay, re-key, hold, SSRC, wrap"),
    "policy": ({"srtp": "required"}, {"srtp": "off"}, body_policy,
               "SRTP policy: SRTP<->RTP per suite, 488 for RTP into required, unknown suite, bad keys"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sbcd", type=Path, required=True)
    ap.add_argument("--probe", type=Path, required=True, help="build/bin/rtp-probe")
    ap.add_argument("--config", type=Path, default=ROOT / "config" / "lab" / "netns.yaml")
    ap.add_argument("--group", choices=sorted(GROUPS) + ["all"], default="all")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (captures, logs, probe JSON)")
    ap.add_argument("--deadline", type=int, default=100, help="bound per group, seconds")
    args = ap.parse_args()
    groups = sorted(GROUPS) if args.group == "all" else [args.group]
    ok = True
    for g in groups:
        access, core, body, title = GROUPS[g]
        if not (args.probe.is_file() and os.access(args.probe, os.X_OK)):
            L.log(f"RESULT {title}: FAIL ({args.probe} not found: build the rtp-probe target; it does not skip)")
            ok = False
            continue
        fd, cfg = tempfile.mkstemp(prefix=f"sbc-srtp-{g}-", suffix=".yaml")
        os.close(fd)
        try:
            config_variant(args.config, Path(cfg), access, core)
            opts = L.Options(sbcd=args.sbcd.resolve(), config=Path(cfg), relay="anchor", keep=args.keep)
            ok &= L.run_lab(opts, f"{g}: {title} [access srtp: {access['srtp']}, core srtp: {core['srtp']}]",
                            lambda lab, rep, body=body: body(lab, rep, args.probe.resolve()),
                            deadline_s=args.deadline, extra_tools=[("curl", "curl")])
        finally:
            os.unlink(cfg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
