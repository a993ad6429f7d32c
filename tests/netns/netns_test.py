#!/usr/bin/env python3
"""End-to-end tests of the media relay in the three-namespace lab (tools/netns/netnslab.py).

    netns_test.py --case basic|hold|nat|spoof|bye --sbcd build/bin/sbcd --config config/lab/netns.yaml
    netns_test.py --case all --relay mock ...   # the lab's stand-in relay: checks the tests themselves

Each case builds its own namespaces (sbc-caller/sbc-sbc/sbc-callee-<pid>), starts the real
sbcd in sbc-sbc with the shipped config (relay: anchor, DPDK af_packet on the media veths),
captures on the caller's and the callee's media interfaces, runs SIPp calls that play the
G.711 capture of sip-tester (each stream with its own SSRC), and checks what arrived where.
Every case also checks, for all the RTP it saw: the caller only ever received RTP from
10.10.2.1 and the callee from 10.10.4.1, each sent only to those, and no packet on a media
link names an address of the other side.

  basic  one call, RTP both ways: every packet arrives (loss 0 on veths) from the SBC's media
         address, with valid checksums; the relay's counters (when logged) agree.
  hold   re-INVITE a=sendonly (hold), then a=sendrecv (resume): after the resume both sides'
         RTP flows again, completely. What the caller sends during the hold is reported.
  nat    the caller is behind NAT: an iptables SNAT rule in its namespace moves its RTP source
         port from the SDP's to 16000. The relay must latch: the callee's RTP reaches the
         caller at port 16000 (none at the SDP port), all of it.
  spoof  while the call runs, a third party (10.10.2.66:40000, a second address on the
         caller's link) and the caller's address from another port (10.10.2.10:7000) send RTP
         to the anchored port: none of it reaches the callee, the callee's RTP still goes to
         the real caller only (no hijack), and the relay counts the drops (unexpected_source).
  bye    after the BYE, RTP sent to the old anchored ports from the old sources (both sides)
         is not relayed.
  overload  a call with RTP both ways (11 s) is up; then SIPp offers new calls at 3x a
         calls-per-second cap (overload.calls_per_second: 100, on a route of their own with
         media bypassed, to a second UAS) for 6 s: every load call completes or gets 503 with
         Retry-After, the cap refuses part of them, and every RTP packet of the established
         call still arrives, both ways.

They need root and fail (never skip) without it, without sbcd, or with an sbcd that has no
media plane. Exit status 0 only if every check passed.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(ROOT / "tools" / "netns"))
import netnslab as L  # noqa: E402
from netnslab import A  # noqa: E402

PACKETS = 100  # 2 s of 20 ms G.711 per stream
TALK_MS = PACKETS * 20 + 800
SSRC = {
    "caller": 0xCA110001, "callee": 0xCA11EE01,
    "caller_hold": 0xCA110002, "caller_resume": 0xCA110003, "callee_resume": 0xCA11EE03,
    "spoof_other_host": 0x5B00F001, "spoof_other_port": 0x5B00F002,
    "after_bye_caller": 0xB7E00001, "after_bye_callee": 0xB7E00002,
}
NAT_PORT = 16000
SPOOF_PACKETS = 25


def basic_plan(**params) -> L.CallPlan:
    p = {"TALK_MS": TALK_MS}
    p.update(params)
    return L.CallPlan("uac_call.xml", "uas_call.xml",
                      {"PCAP_UAC": (PACKETS, SSRC["caller"]), "PCAP_UAS": (PACKETS, SSRC["callee"])}, p,
                      calls=1, rate=1, limit=1, timeout_s=40)


def common_checks(rep: L.Report, caps: L.Captures, lab: L.Lab) -> None:
    L.check_sources(rep, caps, lab.relay)
    L.check_no_direct(rep, caps)


def two_way(caps: L.Captures) -> tuple[L.Stream, L.Stream]:
    return (caps.stream("caller -> callee", SSRC["caller"], "caller", PACKETS),
            caps.stream("callee -> caller", SSRC["callee"], "callee", PACKETS))


# --------------------------------------------------------------------------------------


def case_basic(lab: L.Lab, rep: L.Report) -> None:
    out = L.place_calls(lab, basic_plan(), rep)
    caps, stats = L.finish(lab, rep)
    common_checks(rep, caps, lab)
    a, b = two_way(caps)
    L.check_streams(rep, [a, b])
    L.check_relay_counts(rep, stats, a.received, b.received)
    L.summary("basic call", [("caller -> callee", a.sent, stats.from_a, a.received),
                             ("callee -> caller", b.sent, stats.from_b, b.received)], (out.placed, out.answered))


def case_hold(lab: L.Lab, rep: L.Report) -> None:
    plan = L.CallPlan("uac_hold.xml", "uas_hold.xml", {
        "PCAP_UAC_TALK": (PACKETS, SSRC["caller"]), "PCAP_UAS_TALK": (PACKETS, SSRC["callee"]),
        "PCAP_UAC_HOLD": (PACKETS, SSRC["caller_hold"]),
        "PCAP_UAC_RESUME": (PACKETS, SSRC["caller_resume"]), "PCAP_UAS_RESUME": (PACKETS, SSRC["callee_resume"]),
    }, {"PHASE_MS": TALK_MS}, calls=1, rate=1, limit=1, timeout_s=50)
    out = L.place_calls(lab, plan, rep)
    caps, stats = L.finish(lab, rep)
    common_checks(rep, caps, lab)
    talk = [caps.stream("before hold, caller -> callee", SSRC["caller"], "caller", PACKETS),
            caps.stream("before hold, callee -> caller", SSRC["callee"], "callee", PACKETS)]
    resume = [caps.stream("after resume, caller -> callee", SSRC["caller_resume"], "caller", PACKETS),
              caps.stream("after resume, callee -> caller", SSRC["callee_resume"], "callee", PACKETS)]
    held = caps.stream("on hold (a=sendonly), caller -> callee", SSRC["caller_hold"], "caller", PACKETS)
    L.check_streams(rep, talk + resume)
    L.log(f"  info  {held.label}: {held.sent} sent, {held.received} relayed to the callee "
          "(sendonly allows the caller to send; not asserted)")
    L.summary("hold / resume", [(s.label, s.sent, None, s.received) for s in talk + [held] + resume],
              (out.placed, out.answered))


def case_nat(lab: L.Lab, rep: L.Report) -> None:
    sdp_port = lab.media_port("caller")
    # The caller's own NAT: its RTP leaves from NAT_PORT, while its SDP says sdp_port.
    L.run(["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "media0", "-p", "udp", "--sport", str(sdp_port),
           "-j", "SNAT", "--to-source", f"{A.caller_media}:{NAT_PORT}"], lab.ns["caller"])
    L.log(f"  caller NAT: RTP from {A.caller_media}:{sdp_port} (its SDP) leaves as {A.caller_media}:{NAT_PORT}")
    # The callee starts talking 500 ms after the ACK: the caller's first packets have reached
    # the relay by then, so every packet of the callee can follow the latched address.
    out = L.place_calls(lab, basic_plan(UAS_DELAY_MS=500, TALK_MS=TALK_MS + 500), rep)
    caps, stats = L.finish(lab, rep)
    common_checks(rep, caps, lab)
    a, b = two_way(caps)
    rep.check(f"the NAT rule works: the caller's RTP left from port {NAT_PORT} (not {sdp_port}, its SDP port)",
              [] if a.sent_from == {(A.caller_media, NAT_PORT)} else
              [f"it left from {L.fmt_addrs(a.sent_from)}: the test's NAT is broken, not the relay"])
    rep.check(f"latching: the callee's RTP reached the caller at its real source port {NAT_PORT}, "
              f"never at the SDP port {sdp_port}",
              [] if b.received_at == {(A.caller_media, NAT_PORT)} else
              [f"it arrived at {L.fmt_addrs(b.received_at)}"])
    L.check_streams(rep, [a, b])
    caller_latches = [src for side, src in stats.latched if side.upper() == "A"]
    if caller_latches:
        rep.check(f"the relay says it latched the caller at {A.caller_media}:{NAT_PORT} "
                  f"(event=media_latched from=A: {', '.join(caller_latches)})",
                  [] if caller_latches[-1] == f"{A.caller_media}:{NAT_PORT}" else
                  [f"its last latch for the caller is {caller_latches[-1]}"])
    L.summary("caller behind NAT", [("caller -> callee", a.sent, stats.from_a, a.received),
                                    ("callee -> caller", b.sent, stats.from_b, b.received)],
              (out.placed, out.answered))


def case_spoof(lab: L.Lab, rep: L.Report) -> None:
    L.run(["ip", "addr", "add", f"{A.caller_spoof}/24", "dev", "media0"], lab.ns["caller"])
    sent: dict = {}

    def during(lab: L.Lab) -> None:
        port = lab.anchored_port("caller")
        time.sleep(0.5)  # the relay has latched the caller by now
        target = f"{A.sbc_access_media}:{port}"
        L.log(f"  spoofing {target} (the caller's anchored port) from {A.caller_spoof}:40000 and "
              f"{A.caller_media}:7000, {SPOOF_PACKETS} packets each, while the call runs")
        threads = []
        for key, src in (("spoof_other_host", f"{A.caller_spoof}:40000"),
                         ("spoof_other_port", f"{A.caller_media}:7000")):
            t = threading.Thread(target=lambda k=key, s=src: sent.__setitem__(
                k, lab.send_rtp("caller", s, target, SPOOF_PACKETS, SSRC[k])))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()

    out = L.place_calls(lab, basic_plan(), rep, during=during)
    caps, stats = L.finish(lab, rep)
    common_checks(rep, caps, lab)
    a, b = two_way(caps)
    spoofs = [caps.stream(f"spoofed from {src}", SSRC[key], "caller", SPOOF_PACKETS)
              for key, src in (("spoof_other_host", f"{A.caller_spoof}:40000"),
                               ("spoof_other_port", f"{A.caller_media}:7000"))]
    for s in spoofs:
        on_wire = sum(1 for p in caps.caller if p.rtp() and p.rtp()[2] == s.ssrc and p.dst == A.sbc_access_media)
        rep.check(f"{s.label}: {on_wire} packets on the caller's link (the injection worked)",
                  [] if on_wire == SPOOF_PACKETS else [f"{on_wire} of {SPOOF_PACKETS}: the test's injection failed"])
        got = sum(1 for p in caps.callee if p.rtp() and p.rtp()[2] == s.ssrc)
        rep.check(f"{s.label}: none reached the callee", [] if got == 0 else [f"{got} packets relayed to the callee"])
    hijacked = [p for p in caps.caller if p.src == A.sbc_access_media and p.dst != A.caller_media]
    rep.check("no hijack: the relay sent nothing to the spoofing address",
              [f"{len(hijacked)} packets to {L.fmt_addrs({(p.dst, p.dport) for p in hijacked})}"] if hijacked else [])
    strays = [p for p in caps.caller
              if p.src == A.sbc_access_media and (p.dst, p.dport) != (A.caller_media, lab.media_port("caller"))]
    rep.check(f"the callee's RTP kept going to the caller's real address {A.caller_media}:{lab.media_port('caller')}",
              [f"{len(strays)} packets to {L.fmt_addrs({(p.dst, p.dport) for p in strays})}"] if strays else [])
    L.check_streams(rep, [a, b])
    want = SPOOF_PACKETS * len(spoofs)
    dropped = stats.drops("unexpected_source")
    rep.check(f"the relay counted the spoofed packets as dropped (unexpected_source: {dropped}, {want} sent)",
              ["sbcd does not expose the count: the lab reads drop_unexpected_source=N on its "
               "event=media_stopped line (or from_a_drops_unexpected_source=N per call)"]
              if dropped is None else ([] if dropped >= want else [f"{dropped} counted, {want} sent"]))
    L.summary("spoofed source at the anchored port",
              [("caller -> callee", a.sent, stats.from_a, a.received),
               ("callee -> caller", b.sent, stats.from_b, b.received)]
              + [(s.label.replace("spoofed from ", "spoof "), SPOOF_PACKETS, None,
                  sum(1 for p in caps.callee if p.rtp() and p.rtp()[2] == s.ssrc)) for s in spoofs],
              (out.placed, out.answered))


def case_bye(lab: L.Lab, rep: L.Report) -> None:
    ports: dict = {}

    def during(lab: L.Lab) -> None:
        ports["caller"] = lab.anchored_port("caller")
        ports["callee"] = lab.anchored_port("callee")

    out = L.place_calls(lab, basic_plan(), rep, during=during)
    if lab.mock is not None:
        lab.mock.send_signal(signal.SIGUSR1)  # the stand-in for sbcd deleting the session on BYE
    time.sleep(0.5)
    c_src, e_src = f"{A.caller_media}:{lab.media_port('caller')}", f"{A.callee_media}:{lab.media_port('callee')}"
    c_dst, e_dst = f"{A.sbc_access_media}:{ports['caller']}", f"{A.sbc_core_media}:{ports['callee']}"
    L.log(f"  after the BYE: {PACKETS // 2} packets {c_src} -> {c_dst} and {e_src} -> {e_dst} (the old ports)")
    threads = [threading.Thread(target=lab.send_rtp, args=("caller", c_src, c_dst, PACKETS // 2,
                                                          SSRC["after_bye_caller"])),
               threading.Thread(target=lab.send_rtp, args=("callee", e_src, e_dst, PACKETS // 2,
                                                          SSRC["after_bye_callee"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    caps, stats = L.finish(lab, rep)
    common_checks(rep, caps, lab)
    a, b = two_way(caps)
    L.check_streams(rep, [a, b])
    late_a = caps.stream("after BYE, caller -> callee", SSRC["after_bye_caller"], "caller", PACKETS // 2)
    late_b = caps.stream("after BYE, callee -> caller", SSRC["after_bye_callee"], "callee", PACKETS // 2)
    for s in (late_a, late_b):
        receiver = "callee" if s.sender == "caller" else "caller"
        rep.check(f"{s.label}: {s.sent} sent to the old port, none relayed to the {receiver}",
                  ([] if s.sent == PACKETS // 2 else [f"only {s.sent} on the wire: the test's sender failed"])
                  + ([] if s.received == 0 else [f"{s.received} relayed: the session outlived the BYE"]))
    no_session = stats.drops("no_session")
    if no_session is not None:
        L.log(f"  info  the relay counted {no_session} packet(s) for no session")
    if stats.exposed():
        L.log(f"  info  the relay ended {stats.sessions_ended} session(s)")
    L.summary("after BYE", [("call, caller -> callee", a.sent, stats.from_a, a.received),
                            ("call, callee -> caller", b.sent, stats.from_b, b.received)],
              (out.placed, out.answered))
    L.log(f"  after the BYE: {late_a.sent} + {late_b.sent} packets sent to the old ports, "
          f"{late_a.received + late_b.received} relayed (0 expected)")


# The overload case: a call with RTP is up, then SIPp offers new calls at 3x a calls-per-second
# cap for LOAD_SECONDS (to a route of their own, media bypassed, to a second SIPp UAS).
LOAD_CAP = 100
LOAD_SECONDS = 6
LOAD_UAS_PORT = 5090
LOAD_UAC_PORT = 5062
OVERLOAD_PACKETS = 50 * (LOAD_SECONDS + 5)  # the call's RTP outlasts the load


def overload_config(shipped: Path, out: Path) -> Path:
    """The shipped lab config plus a route for the load (first: the first match wins) and the
    overload caps."""
    text = shipped.read_text()
    route = ("  - name: load\n"
             "    match: { source_realm: access, user_prefix: load }\n"
             f"    forward: {{ realm: core, host: {A.callee_sig}, port: {LOAD_UAS_PORT}, transport: udp }}\n"
             "    media: bypass\n")
    if "\nroutes:\n" not in text:
        raise L.Failure(f"{shipped}: no top-level routes: for the overload case to extend")
    text = text.replace("\nroutes:\n", "\nroutes:\n" + route, 1)
    text += f"\noverload:\n  calls_per_second: {LOAD_CAP}\n  calls_per_second_burst: 10\n  retry_after_s: 2\n"
    out.write_text(text)
    return out


def config_for(case: str, shipped: Path) -> Path:
    """The configuration a case runs with: the shipped one, extended for the overload case."""
    if case != "overload":
        return shipped
    out = Path(tempfile.gettempdir()) / f"sbc-netns-overload-{os.getpid()}.yaml"
    atexit.register(lambda: out.unlink(missing_ok=True))
    return overload_config(shipped, out)


def scrape_sbc(lab: L.Lab) -> dict:
    text = L.run(["python3", "-c", "import urllib.request;print(urllib.request.urlopen("
                  "'http://127.0.0.1:9464/metrics', timeout=5).read().decode())"], lab.ns["sbc"], check=False)
    out: dict = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            base = key.partition("{")[0]
            try:
                out[base] = out.get(base, 0.0) + float(value)
            except ValueError:
                pass
    return out


def case_overload(lab: L.Lab, rep: L.Report) -> None:
    load: dict = {}

    def during(lab: L.Lab) -> None:
        time.sleep(1.0)  # the call is answered and its RTP flows both ways
        scenarios = ROOT / "tests" / "scenarios"
        uas = lab.start("SIPp load UAS", "callee", [
            "sipp", "-sf", str(scenarios / "basic_caller_bye" / "uas.xml"), "-i", A.callee_sig, "-p", str(LOAD_UAS_PORT),
            "-nostdin", "-bind_local", "-buff_size", "1048576", "-timeout", f"{LOAD_SECONDS + 30}s",
            "-trace_err", "-error_file", str(lab.work / "load_uas_errors.log")], "load_uas_stdout.log")
        L.wait_for(lambda: f"{A.callee_sig}:{LOAD_UAS_PORT} " in L.run(["ss", "-Hlun"], lab.ns["callee"], check=False),
                   10, "the load UAS to bind its port", uas)
        rate = LOAD_CAP * 3
        L.log(f"  load: {rate} calls/s (3x the cap of {LOAD_CAP}/s) for {LOAD_SECONDS} s while the call's RTP flows")
        uac = lab.start("SIPp load UAC", "caller", [
            "sipp", "-sf", str(scenarios / "overload" / "uac_or_503.xml"), "-s", "load", "-i", A.caller_sig,
            "-p", str(LOAD_UAC_PORT), "-mi", A.caller_sig, "-nostdin", "-bind_local", "-buff_size", "1048576",
            "-m", str(rate * LOAD_SECONDS), "-r", str(rate), "-d", "200", "-timeout", f"{LOAD_SECONDS + 20}s", "-timeout_error",
            "-trace_err", "-error_file", str(lab.work / "load_uac_errors.log"),
            f"{A.sbc_access_sig}:{A.sip_port}"], "load_uac_stdout.log")
        load["rc"] = uac.wait(LOAD_SECONDS + 25)
        load["calls"] = rate * LOAD_SECONDS
        uas.stop(signal.SIGTERM, 2)
        load["metrics"] = scrape_sbc(lab)

    plan = L.CallPlan("uac_call.xml", "uas_call.xml",
                      {"PCAP_UAC": (OVERLOAD_PACKETS, SSRC["caller"]), "PCAP_UAS": (OVERLOAD_PACKETS, SSRC["callee"])},
                      {"TALK_MS": OVERLOAD_PACKETS * 20 + 800}, calls=1, rate=1, limit=1, timeout_s=60)
    out = L.place_calls(lab, plan, rep, during=during)
    rep.check(f"the load: every one of its {load.get('calls')} calls completed or got 503 with Retry-After",
              [] if load.get("rc") == 0 else [f"its SIPp exited {load.get('rc')} (see load_uac_stdout.log)"])
    m = load.get("metrics", {})
    refused = m.get("sbc_calls_refused_overload_total", 0.0)
    rep.check("the cap refused part of the load with 503 (sbc_calls_refused_overload_total)",
              [] if refused > 0 else [f"{refused:.0f} refused"])
    caps, stats = L.finish(lab, rep)
    common_checks(rep, caps, lab)
    a = caps.stream("caller -> callee", SSRC["caller"], "caller", OVERLOAD_PACKETS)
    b = caps.stream("callee -> caller", SSRC["callee"], "callee", OVERLOAD_PACKETS)
    L.check_streams(rep, [a, b])
    L.summary("RTP of a call established before the load, through 3x the CPS cap",
              [("caller -> callee", a.sent, stats.from_a, a.received),
               ("callee -> caller", b.sent, stats.from_b, b.received)], (out.placed, out.answered))
    L.log(f"  FIGURES netns overload: load {load.get('calls')} calls at {LOAD_CAP * 3}/s, refused 503={refused:.0f}; "
          f"RTP caller->callee {a.received}/{a.sent}, callee->caller {b.received}/{b.sent}")


CASES = {
    "basic": (case_basic, "a call with RTP both ways"),
    "hold": (case_hold, "hold (a=sendonly) and resume (a=sendrecv) by re-INVITE"),
    "nat": (case_nat, "a caller behind NAT: latching follows its real source port"),
    "spoof": (case_spoof, "spoofed RTP at the anchored port is dropped and counted"),
    "bye": (case_bye, "no relaying after the BYE"),
    "overload": (case_overload, "RTP of an established call keeps flowing while new calls at 3x the CPS cap are shed"),
}


# Faults of the lab's stand-in relay (tools/netns/mockrelay.py --fault) and the checks that
# must catch each: words found in the names or problems of the failed checks.
FAULTS = [
    ("basic", "drop-first", ["lost"]),
    ("nat", "no-latch", ["latching"]),
    # (whether the callee's packets also follow the spoofer depends on the interleaving)
    ("spoof", "relatch", ["none reached the callee"]),
    ("spoof", "no-latch", ["none reached the callee", "counted the spoofed packets"]),
    ("bye", "keep-after-bye", ["none relayed"]),
]


def selftest(args) -> int:
    """The tests check themselves, with no relay needed: with the stand-in relay every case
    passes; with each fault of the stand-in, the checks meant for it fail; with bypassed
    media (RTP straight between the endpoints), the source and no-direct checks fail."""
    results = []

    def one(case: str, relay: str, fault: str = "") -> tuple[bool, list]:
        fn, what = CASES[case]
        opts = L.Options(sbcd=args.sbcd.resolve(), config=config_for(case, args.config.resolve()), relay=relay,
                         keep=args.keep, mock_fault=fault)
        label = f"selftest {case}, relay {relay}" + (f" with fault {fault} (FAIL expected)" if fault else "")
        if relay == "bypass":
            label += " (FAIL expected)"
        ok = L.run_lab(opts, label, fn, args.deadline)
        failed = L.LAST_REPORT.failed if L.LAST_REPORT else []
        return ok, [f"{name} {' '.join(problems)}" for name, problems in failed]

    for case in CASES:
        ok, _ = one(case, "mock")
        results.append((f"{case}: passes with a relay that does its job", ok))
    for case, fault, words in FAULTS:
        ok, failed = one(case, "mock", fault)
        caught = not ok and all(any(w in f for f in failed) for w in words)
        results.append((f"{case}: catches a relay with fault '{fault}'", caught))
    ok, failed = one("basic", "bypass")
    want = ["came from the SBC", "went to the SBC", "names an address outside"]
    caught = not ok and all(any(w in f for f in failed) for w in want) and \
        all(any(w in f for w in want) for f in failed)
    results.append(("basic: bypassed media fails the source and no-direct checks, and only them", caught))
    L.log("=== selftest ===")
    for name, good in results:
        L.log(f"  {'PASS' if good else 'FAIL'}  {name}")
    bad = sum(1 for _, g in results if not g)
    L.log(f"RESULT netns selftest: {'PASS' if not bad else 'FAIL'} ({len(results) - bad} of {len(results)})")
    return 0 if not bad else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", required=True, choices=list(CASES) + ["all", "selftest"])
    ap.add_argument("--sbcd", type=Path, required=True)
    ap.add_argument("--config", type=Path, default=ROOT / "config" / "lab" / "netns.yaml")
    ap.add_argument("--relay", default="anchor", choices=["anchor", "mock"],
                    help="anchor: the product (default); mock: the lab's stand-in relay, to check the tests")
    ap.add_argument("--mock-fault", default="", choices=["", "no-latch", "relatch", "keep-after-bye", "drop-first"],
                    help="with --relay mock: a faulty stand-in, to see the checks fail")
    ap.add_argument("--deadline", type=int, default=100, help="seconds a case may take (then it fails)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if args.case == "selftest":
        return selftest(args)
    names = list(CASES) if args.case == "all" else [args.case]
    results = {}
    for name in names:
        fn, what = CASES[name]
        opts = L.Options(sbcd=args.sbcd.resolve(), config=config_for(name, args.config.resolve()), relay=args.relay,
                         keep=args.keep, mock_fault=args.mock_fault)
        results[name] = L.run_lab(opts, f"netns_{name}: {what}", fn, args.deadline)
    if len(names) > 1:
        L.log("=== summary ===")
        for name, ok in results.items():
            L.log(f"  {'PASS' if ok else 'FAIL'}  netns_{name}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
