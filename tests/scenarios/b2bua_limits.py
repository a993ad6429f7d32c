#!/usr/bin/env python3
"""The B2BUA's limits on real sockets (issue 14): a callee that answers 180 and then stays
silent is ended by Timer C and no transaction outlives the call (defect 3); the call table's
cap refuses with 503 + Retry-After, counted (defect 8); an INVITE with 500 m= lines is
refused with 488 and a Warning (defect 7).

    b2bua_limits.py --sbcd build/bin/sbcd

A lab of its own (tests/scenarios/b2bua_limits/sbcd.yaml: SIPp UAC 127.0.0.61 -> sbcd
127.0.0.62:5260 | 127.0.0.63:5260 -> SIPp UAS 127.0.0.64:5280, metrics on 127.0.0.62:9474),
so it can run beside the tests that use the shared lab ports. Timer C is 3 s, T1 100 ms,
sip.max_calls 1.
  1. sbcd starts on that configuration and answers an OPTIONS;
  2. an INVITE with 500 m= lines (from this script) gets 488 with a Warning that says why;
  3. the SIPp UAS answers the SIPp UAC's INVITE with 180 and then says nothing: it must
     receive the CANCEL that Timer C makes the SBC send (and answers neither it nor the
     INVITE); while the call rings, a second INVITE (from this script) gets 503 with
     Retry-After: 30 (the call table is full: sip.max_calls 1), counted in
     sbc_calls_limited_total{table="calls"};
  4. the SIPp UAC must get 408 (and ACK it) no sooner than Timer C after its INVITE, and
     well before the no-answer timeout (60 s);
  5. /metrics must show no call and no transaction left within 64*T1 (6.4 s) plus the
     transactions' own timers: `sbc_calls_active` and `sbc_sip_transactions_active` at 0;
  6. sbcd exits 0 on SIGTERM.
Without Timer C the UAC waits for the no-answer timeout (its SIPp times out first), and
without the end of the CANCELled INVITE the transaction count never returns to 0; without
the caps the 500-line INVITE and the second one are routed to the callee.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run_scenario as rs  # noqa: E402  (process and port helpers)

from run_scenario import Failure, Lab, Proc, log  # noqa: E402

LAB = Lab(uac_ip="127.0.0.61", sbc_access_ip="127.0.0.62", sbc_core_ip="127.0.0.63",
          uas_ip="127.0.0.64", sbc_port=5260, uas_port=5280)
METRICS = "http://127.0.0.62:9474/metrics"
TIMER_C = 3.0


def metric(body: str, name: str) -> float:
    """The sum of every series of `name` in a Prometheus text body."""
    total, seen = 0.0, False
    for line in body.splitlines():
        m = re.match(rf"^{re.escape(name)}(\{{[^}}]*\}})? ([0-9.eE+-]+)$", line)
        if m:
            total += float(m.group(2))
            seen = True
    if not seen:
        raise Failure(f"{name} is not in /metrics")
    return total


def scrape() -> str:
    with urllib.request.urlopen(METRICS, timeout=3) as r:
        return r.read().decode()


def invite(name: str, body: str = "") -> str:
    """An INVITE of our own (from another source than SIPp) and the SBC's final answer to
    it, ACKed: its status line, Retry-After and Warning, or a Failure."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((LAB.uac_ip, 0))
        port = sock.getsockname()[1]
        branch = f"z9hG4bK-{name}-{os.getpid()}"
        head = (f"Via: SIP/2.0/UDP {LAB.uac_ip}:{port};branch={branch};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:{name}@{LAB.uac_ip}>;tag={name}\r\n")
        call = f"Call-ID: {name}-{os.getpid()}@{LAB.uac_ip}\r\n"
        typ = "Content-Type: application/sdp\r\n" if body else ""
        msg = (f"INVITE sip:{name}@{LAB.sbc_access_ip}:{LAB.sbc_port} SIP/2.0\r\n{head}"
               f"To: <sip:{name}@{LAB.sbc_access_ip}>\r\n{call}CSeq: 1 INVITE\r\n"
               f"Contact: <sip:{name}@{LAB.uac_ip}:{port}>\r\n{typ}"
               f"Content-Length: {len(body)}\r\n\r\n{body}")
        sock.sendto(msg.encode(), (LAB.sbc_access_ip, LAB.sbc_port))
        sock.settimeout(5)
        while True:
            try:
                data = sock.recv(65535).decode("latin-1")
            except socket.timeout:
                raise Failure(f"no final answer to the INVITE '{name}'")
            status = data.split("\r\n", 1)[0]
            if status.startswith("SIP/2.0 1"):
                continue

            def header(h: str) -> str | None:
                m = re.search(rf"^{h}: *([^\r]*)", data, re.M | re.I)
                return m.group(1) if m else None

            # ACK the final answer (same branch, RFC 3261 17.1.1.3)
            to = header("To") or f"<sip:{name}@{LAB.sbc_access_ip}>"
            ack = (f"ACK sip:{name}@{LAB.sbc_access_ip}:{LAB.sbc_port} SIP/2.0\r\n{head}"
                   f"To: {to}\r\n{call}CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")
            sock.sendto(ack.encode(), (LAB.sbc_access_ip, LAB.sbc_port))
            return f"{status} / Retry-After: {header('Retry-After')} / Warning: {header('Warning')}"
    finally:
        sock.close()


def many_lines(n: int) -> str:
    sdp = f"v=0\r\no=x 1 1 IN IP4 {LAB.uac_ip}\r\ns=-\r\nc=IN IP4 {LAB.uac_ip}\r\nt=0 0\r\n"
    return sdp + "".join(f"m=audio {6000 + 2 * i} RTP/AVP 0\r\n" for i in range(n))


def sipp(role: str, tmp: Path) -> list[str]:
    argv = ["sipp", "-sf", str(HERE / "b2bua_limits" / f"{role}.xml"), "-nostdin", "-bind_local",
            "-trace_msg", "-message_file", str(tmp / f"{role}_messages.log"),
            "-trace_err", "-error_file", str(tmp / f"{role}_errors.log"), "-m", "1"]
    if role == "uac":
        return argv + ["-i", LAB.uac_ip, "-mi", LAB.uac_ip, "-timeout", "20s", "-timeout_error",
                       f"{LAB.sbc_access_ip}:{LAB.sbc_port}"]
    return argv + ["-i", LAB.uas_ip, "-mi", LAB.uas_ip, "-p", str(LAB.uas_port), "-timeout", "25s",
                   "-timeout_error"]


def run(sbcd_path: str, tmp: Path) -> None:
    rs.require_free([(LAB.sbc_access_ip, LAB.sbc_port, "udp"), (LAB.sbc_core_ip, LAB.sbc_port, "udp"),
                     (LAB.uas_ip, LAB.uas_port, "udp"), (LAB.sbc_access_ip, 9474, "tcp")])
    procs: list[Proc] = []
    try:
        sbcd = Proc("sbcd", [sbcd_path, "--config", str(HERE / "b2bua_limits" / "sbcd.yaml")], tmp,
                    tmp / "sbcd.log")
        procs.append(sbcd)
        rs.wait_ready(sbcd, LAB, 15, tcp=False)
        uas = Proc("uas", sipp("uas", tmp), tmp, tmp / "uas.out")
        procs.append(uas)
        rs.wait_bound(uas, LAB.uas_ip, LAB.uas_port, "udp", 10)
        # Defect 7 on real sockets: an INVITE with 500 m= lines is refused, and says why.
        answer = invite("many", many_lines(500))
        want = ('SIP/2.0 488 Not Acceptable Here / Retry-After: None / Warning: 399 '
                f'{LAB.sbc_access_ip} "Too many media streams: 500 m= lines, at most 8"')
        if answer != want:
            raise Failure(f"an INVITE with 500 m= lines got: {answer}")
        log(f"ok   an INVITE with 500 m= lines: {answer}")
        t0 = time.monotonic()
        uac = Proc("uac", sipp("uac", tmp), tmp, tmp / "uac.out")
        procs.append(uac)
        # The call is up (ringing) once /metrics shows it: then the table is full.
        while metric(scrape(), "sbc_calls_active") < 1:
            if time.monotonic() - t0 > TIMER_C or uac.poll() is not None:
                raise Failure("the call did not show in sbc_calls_active while it rang")
            time.sleep(0.1)
        answer = invite("second")
        if answer != "SIP/2.0 503 Service Unavailable / Retry-After: 30 / Warning: None":
            raise Failure(f"a second INVITE while the call table was full got: {answer}")
        log(f"ok   a second INVITE while the table was full: {answer}")
        rc = uac.wait(30)
        took = time.monotonic() - t0
        if rc != 0:
            rs.show_file("UAC errors", tmp / "uac_errors.log")
            rs.show_file("UAC messages", tmp / "uac_messages.log")
            raise Failure(f"the caller did not get its 408 (SIPp UAC exit {rc} after {took:.1f} s)")
        log(f"ok   the caller got 408 and ACKed it, {took:.1f} s after its INVITE")
        if took < TIMER_C:
            raise Failure(f"the 408 came after {took:.1f} s, before Timer C ({TIMER_C} s)")
        if took > 20:
            raise Failure(f"the 408 took {took:.1f} s: that is not Timer C")
        rc = uas.wait(10)
        if rc != 0:
            rs.show_file("UAS errors", tmp / "uas_errors.log")
            rs.show_file("UAS messages", tmp / "uas_messages.log")
            raise Failure(f"the callee did not get the CANCEL (SIPp UAS exit {rc})")
        log("ok   the callee got the CANCEL (and answered nothing)")
        # 64*T1 = 6.4 s for the INVITE, Timer F for the CANCEL, Timer H/I for the 408:
        # all within 10 s here; the deadline leaves room on a loaded machine.
        deadline = time.monotonic() + 20
        while True:
            body = scrape()
            calls = metric(body, "sbc_calls_active")
            txns = metric(body, "sbc_sip_transactions_active")
            if calls == 0 and txns == 0:
                break
            if time.monotonic() > deadline:
                raise Failure(f"{txns:.0f} transaction(s) and {calls:.0f} call(s) still active "
                              f"{time.monotonic() - t0:.1f} s after the INVITE")
            time.sleep(0.5)
        log(f"ok   no call and no transaction left {time.monotonic() - t0:.1f} s after the INVITE")
        if not re.search(r'^sbc_calls_total\{realm="access",result="failed"\} 1$', body, re.M):
            raise Failure("sbc_calls_total{realm=\"access\",result=\"failed\"} is not 1")
        log("ok   the call counted as failed")
        if not re.search(r'^sbc_calls_limited_total\{realm="access",table="calls"\} 1$', body, re.M):
            raise Failure("sbc_calls_limited_total{realm=\"access\",table=\"calls\"} is not 1")
        log("ok   the refusal counted in sbc_calls_limited_total")
        rc, _ = sbcd.terminate(5)
        if rc != 0:
            raise Failure(f"sbcd exited with {rc} on SIGTERM:\n{sbcd.tail()}")
        if "event=timer_c" not in (tmp / "sbcd.log").read_text(errors="replace"):
            raise Failure("sbcd did not log event=timer_c")
    except Failure:
        for p in procs:
            if p.name == "sbcd":
                log(f"  --- sbcd log ---\n{p.tail(40)}")
        raise
    finally:
        for p in procs:
            p.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sbcd", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sbc-b2bua-limits-") as d:
        try:
            run(str(Path(args.sbcd).resolve()), Path(d))
        except Failure as e:
            log(f"FAIL {e}")
            return 1
    log("PASS b2bua limits: Timer C, call cap, m= line cap")
    return 0


if __name__ == "__main__":
    sys.exit(main())
