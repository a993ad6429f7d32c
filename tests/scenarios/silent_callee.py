#!/usr/bin/env python3
"""A callee that answers 180 and then stays silent: Timer C ends the call, and no
transaction outlives it (issue 14, defect 3).

    silent_callee.py --sbcd build/bin/sbcd

A lab of its own (tests/scenarios/silent_callee/sbcd.yaml: SIPp UAC 127.0.0.61 -> sbcd
127.0.0.62:5260 | 127.0.0.63:5260 -> SIPp UAS 127.0.0.64:5280, metrics on 127.0.0.62:9474),
so it can run beside the tests that use the shared lab ports. Timer C is 3 s, T1 100 ms,
sip.max_calls 1.
  1. sbcd starts on that configuration and answers an OPTIONS;
  2. the SIPp UAS answers the INVITE with 180 and then says nothing: it must receive the
     CANCEL that Timer C makes the SBC send (and answers neither it nor the INVITE);
  3. while the call rings, a second INVITE (from this script) gets 503 with Retry-After: 30
     (the call table is full: sip.max_calls 1), counted in sbc_calls_limited_total;
  4. the SIPp UAC must get 408 (and ACK it) no sooner than Timer C after the 180, and well
     before the no-answer timeout (60 s);
  5. /metrics must show no call and no transaction left within 64*T1 (6.4 s) plus the
     transactions' own timers: `sbc_calls_active` and `sbc_sip_transactions_active` at 0;
  6. sbcd exits 0 on SIGTERM.
Without Timer C the UAC waits for the no-answer timeout (its SIPp times out first), and
without the end of the CANCELled INVITE the transaction count never returns to 0.
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


def second_invite() -> str:
    """An INVITE from another source while the call table is full: the status line and
    Retry-After of the answer (its 100 Trying skipped), or a Failure."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((LAB.uac_ip, 0))
        port = sock.getsockname()[1]
        branch = f"z9hG4bK-second-{os.getpid()}"
        msg = (f"INVITE sip:second@{LAB.sbc_access_ip}:{LAB.sbc_port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {LAB.uac_ip}:{port};branch={branch};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:second@{LAB.uac_ip}>;tag=second\r\n"
               f"To: <sip:second@{LAB.sbc_access_ip}>\r\nCall-ID: second-{os.getpid()}@{LAB.uac_ip}\r\n"
               f"CSeq: 1 INVITE\r\nContact: <sip:second@{LAB.uac_ip}:{port}>\r\nContent-Length: 0\r\n\r\n")
        sock.sendto(msg.encode(), (LAB.sbc_access_ip, LAB.sbc_port))
        sock.settimeout(5)
        while True:
            try:
                data = sock.recv(65535).decode("latin-1")
            except socket.timeout:
                raise Failure("no final answer to a second INVITE while the call table was full")
            status = data.split("\r\n", 1)[0]
            if status.startswith("SIP/2.0 1"):
                continue
            retry = re.search(r"^Retry-After: *([^\r]*)", data, re.M | re.I)
            if int(status.split()[1]) >= 300:
                # ACK the final answer (same branch, RFC 3261 17.1.1.3)
                to = re.search(r"^To: *([^\r]*)", data, re.M | re.I)
                to_value = to.group(1) if to else f"<sip:second@{LAB.sbc_access_ip}>"
                ack = (f"ACK sip:second@{LAB.sbc_access_ip}:{LAB.sbc_port} SIP/2.0\r\n"
                       f"Via: SIP/2.0/UDP {LAB.uac_ip}:{port};branch={branch};rport\r\n"
                       f"Max-Forwards: 70\r\nFrom: <sip:second@{LAB.uac_ip}>;tag=second\r\n"
                       f"To: {to_value}\r\n"
                       f"Call-ID: second-{os.getpid()}@{LAB.uac_ip}\r\nCSeq: 1 ACK\r\n"
                       f"Content-Length: 0\r\n\r\n")
                sock.sendto(ack.encode(), (LAB.sbc_access_ip, LAB.sbc_port))
            return f"{status} / Retry-After: {retry.group(1) if retry else None}"
    finally:
        sock.close()


def sipp(role: str, tmp: Path) -> list[str]:
    argv = ["sipp", "-sf", str(HERE / "silent_callee" / f"{role}.xml"), "-nostdin", "-bind_local",
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
        sbcd = Proc("sbcd", [sbcd_path, "--config", str(HERE / "silent_callee" / "sbcd.yaml")], tmp,
                    tmp / "sbcd.log")
        procs.append(sbcd)
        rs.wait_ready(sbcd, LAB, 15, tcp=False)
        uas = Proc("uas", sipp("uas", tmp), tmp, tmp / "uas.out")
        procs.append(uas)
        rs.wait_bound(uas, LAB.uas_ip, LAB.uas_port, "udp", 10)
        t0 = time.monotonic()
        uac = Proc("uac", sipp("uac", tmp), tmp, tmp / "uac.out")
        procs.append(uac)
        # The call is up (ringing) once /metrics shows it: then the table is full.
        while metric(scrape(), "sbc_calls_active") < 1:
            if time.monotonic() - t0 > TIMER_C or uac.poll() is not None:
                raise Failure("the call did not show in sbc_calls_active while it rang")
            time.sleep(0.1)
        answer = second_invite()
        if answer != "SIP/2.0 503 Service Unavailable / Retry-After: 30":
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
    with tempfile.TemporaryDirectory(prefix="sbc-silent-callee-") as d:
        try:
            run(str(Path(args.sbcd).resolve()), Path(d))
        except Failure as e:
            log(f"FAIL {e}")
            return 1
    log("PASS silent callee: Timer C")
    return 0


if __name__ == "__main__":
    sys.exit(main())
