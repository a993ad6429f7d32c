#!/usr/bin/env python3
"""Hostile TCP peers against a real sbcd on real sockets (issue 14, defects 4, 5 and 6).

    hostile_tcp.py --sbcd build/bin/sbcd --case busy|flood|fds|per_source [--duration 10]

Each case starts its own sbcd on a configuration of its own (written to a temporary
directory): realm `access` on 127.0.0.171, realm `core` on 127.0.0.172, a port per case
(5471-5474) and the metrics endpoint on 127.0.0.171:947x, so that it shares no address with
the lab tests and needs no lock. Clients are 127.0.0.174 and 127.0.0.175. Every wait is
bounded; every process is killed by PID.

  busy        defect 4: tcp_header_timeout_s 2. One TCP peer sends OPTIONS to the SBC back
              to back for --duration seconds (10; the issue's figure is 30), each write
              ending halfway through a message, so no read ever ends on a message boundary.
              The connection must never be cut and every OPTIONS must get its 200 on it.
              Then a slowloris (header lines, never an end) on the same sbcd must still be
              cut within the header timeout (hostile.py checks slowloris under load too).
  flood       defect 5: tcp_max_queued_bytes 131072. A peer with a 4 KB receive buffer
              that never reads sends CRLF CRLF pings (each asks for a CRLF pong) as fast as
              it can, for up to 15 s. sbcd must close it, its RSS (VmRSS, sampled every
              50 ms) must stay within 32 MB of what it was before, the close must be counted
              in /metrics, and sbcd must still answer an OPTIONS over TCP.
  fds         defect 6: sbcd runs with RLIMIT_NOFILE 64 (prlimit) while its caps allow 1000
              connections (it must warn at start). 120 connections are opened: it runs out
              of descriptors. Over 3 s its CPU (utime+stime from /proc/<pid>/stat) must stay
              below 25% of a core (an accept loop that retries at once spins at 100%); after
              the connections close, a new connection must get its OPTIONS answered.
  per_source  defect 6: tcp_max_connections_per_source 4. Four connections from 127.0.0.174
              are served, the fifth is closed at once, a connection from 127.0.0.175 is
              served.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import socket
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Optional

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_scenario import Failure, Proc, log, require_free  # noqa: E402

ACCESS_IP, CORE_IP = "127.0.0.171", "127.0.0.172"
CLIENT_IP, OTHER_CLIENT_IP = "127.0.0.174", "127.0.0.175"
CASES = {"busy": 1, "flood": 2, "fds": 3, "per_source": 4}
RSS_LIMIT_KB = 32 * 1024  # flood: how much sbcd's RSS may grow

CONFIG = """\
log:
  level: info
metrics:
  address: {access}
  port: {metrics_port}
sip:
  timers: {{ t1_ms: 500, t2_ms: 4000, t4_ms: 5000 }}
realms:
  - name: access
    listen:
      - {{ transport: udp, address: {access}, port: {port} }}
      - {{ transport: tcp, address: {access}, port: {port} }}
    limits: {{ {limits} }}
  - name: core
    listen:
      - {{ transport: udp, address: {core}, port: {port} }}
routes:
  - name: access-to-trunk
    match: {{ source_realm: access, methods: [INVITE] }}
    forward: {{ realm: core, host: 127.0.0.173, port: 5280, transport: udp }}
    media: bypass
"""


class Sbcd:
    """sbcd on a configuration of the case's own, optionally under a descriptor limit."""

    def __init__(self, binary: str, work: Path, case: str, limits: str,
                 nofile: Optional[int] = None) -> None:
        n = CASES[case]
        self.port, self.metrics_port = 5470 + n, 9470 + n
        require_free([(ACCESS_IP, self.port, "udp"), (ACCESS_IP, self.port, "tcp"),
                      (CORE_IP, self.port, "udp"), (ACCESS_IP, self.metrics_port, "tcp")])
        cfg = work / f"{case}.yaml"
        cfg.write_text(CONFIG.format(access=ACCESS_IP, core=CORE_IP, port=self.port,
                                     metrics_port=self.metrics_port, limits=limits))
        argv = [binary, "--config", str(cfg)]
        if nofile is not None:
            argv = ["prlimit", f"--nofile={nofile}:{nofile}", "--"] + argv  # execs: same PID
        self.proc = Proc("sbcd", argv, work, work / f"{case}-sbcd.log")
        self.pid = self.proc.pid
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"sbcd exited with {self.proc.popen.returncode}:\n{self.proc.tail()}")
            if "event=ready" in self.log():
                return
            time.sleep(0.05)
        raise Failure(f"sbcd not ready within 10 s:\n{self.proc.tail()}")

    def log(self) -> str:
        try:
            return self.proc.out.read_text(errors="replace")
        except OSError:
            return ""

    def rss_kb(self) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise Failure("no VmRSS in /proc/<pid>/status")

    def cpu_ticks(self) -> int:
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)

    def metric(self, name: str, labels: str) -> Optional[float]:
        url = f"http://{ACCESS_IP}:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=3) as r:
            text = r.read().decode()
        m = re.search(r"^" + re.escape(name + "{" + labels + "}") + r" (\S+)$", text, re.M)
        return float(m.group(1)) if m else None

    def stop(self) -> None:
        rc, _ = self.proc.terminate(5)
        self.proc.close()
        if rc != 0:
            raise Failure(f"sbcd did not exit 0 on SIGTERM (rc={rc}):\n{self.proc.tail()}")


def options(port: int, local: tuple[str, int], n: int, tag: str) -> bytes:
    ip, lport = local
    return (f"OPTIONS sip:{ACCESS_IP}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP {ip}:{lport};branch=z9hG4bK-{tag}-{os.getpid()}-{n}\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:{tag}@{ip}>;tag={tag}{n}\r\n"
            f"To: <sip:{ACCESS_IP}:{port}>\r\n"
            f"Call-ID: {tag}-{os.getpid()}-{n}@{ip}\r\n"
            f"CSeq: {n} OPTIONS\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def connect(port: int, source: str = CLIENT_IP, rcvbuf: Optional[int] = None) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((source, 0))
    s.settimeout(3)
    s.connect((ACCESS_IP, port))
    return s


def read_until_closed(s: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """What arrives within `timeout`, and whether the peer closed (EOF or reset)."""
    data, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, OSError):
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def ask(port: int, source: str, n: int, tag: str, timeout: float = 3) -> Optional[str]:
    """The status line of the answer to an OPTIONS on a new connection, or None."""
    try:
        s = connect(port, source)
    except OSError:
        return None
    try:
        s.sendall(options(port, s.getsockname(), n, tag))
        data, deadline = b"", time.monotonic() + timeout
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                break
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0].decode(errors="replace") if data else None
    except OSError:
        return None
    finally:
        s.close()


def case_busy(binary: str, work: Path, duration: float) -> None:
    sbcd = Sbcd(binary, work, "busy", "tcp_header_timeout_s: 2")
    try:
        s = connect(sbcd.port)
        s.setblocking(False)
        local = s.getsockname()
        sent = answered = 0
        buf, closed = b"", False
        pending = b""  # the first half of the next message, sent with the next write
        t0 = time.monotonic()
        while time.monotonic() - t0 < duration and not closed:
            sent += 1
            m = options(sbcd.port, local, sent, "busy")
            half = len(m) // 2
            _send_all(s, pending + m[:half])
            pending = m[half:]
            # Read answers for 50 ms: each of sbcd's reads ends mid-message.
            end = time.monotonic() + 0.05
            while time.monotonic() < end:
                r, _, _ = select.select([s], [], [], max(0.0, end - time.monotonic()))
                if not r:
                    break
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    closed = True
                    break
                buf += chunk
            answered = buf.count(b"SIP/2.0 200 ")
        elapsed = time.monotonic() - t0
        if closed:
            raise Failure(f"busy peer cut after {elapsed:.1f} s ({answered}/{sent} answered); "
                          f"header timeout 2 s:\n{sbcd.proc.tail(10)}")
        _send_all(s, pending)
        deadline = time.monotonic() + 5
        while answered < sent and time.monotonic() < deadline:
            r, _, _ = select.select([s], [], [], 0.2)
            if r:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                answered = buf.count(b"SIP/2.0 200 ")
        if answered != sent:
            raise Failure(f"{answered} of {sent} OPTIONS answered with 200")
        log(f"busy: {sent} OPTIONS split across writes over {elapsed:.1f} s "
            f"({elapsed / 2:.1f} header timeouts), all answered, connection kept")
        s.close()
        # A real slowloris on the same sbcd is still cut within the header timeout.
        slow = connect(sbcd.port)
        slow.sendall(b"OPTIONS sip:" + ACCESS_IP.encode() + b" SIP/2.0\r\n")
        t1, cut = time.monotonic(), False
        for i in range(8):
            try:
                slow.sendall(f"X-Slow-{i}: a\r\n".encode())
            except OSError:
                cut = True
                break
            _, cut = read_until_closed(slow, 0.5)
            if cut:
                break
        took = time.monotonic() - t1
        if not cut or took > 4.5:
            raise Failure(f"slowloris not cut within the 2 s header timeout (cut={cut}, {took:.1f} s)")
        log(f"busy: a slowloris on the same sbcd was cut after {took:.1f} s")
    finally:
        sbcd.stop()


def _send_all(s: socket.socket, data: bytes) -> None:
    view, deadline = memoryview(data), time.monotonic() + 3
    while view and time.monotonic() < deadline:
        _, w, _ = select.select([], [s], [], 0.1)
        if w:
            view = view[s.send(view):]
    if view:
        raise Failure("could not send to sbcd within 3 s")


def case_flood(binary: str, work: Path) -> None:
    sbcd = Sbcd(binary, work, "flood", "tcp_max_queued_bytes: 131072")
    try:
        time.sleep(0.3)  # let start-up allocations settle before the baseline
        before = sbcd.rss_kb()
        s = connect(sbcd.port, rcvbuf=4096)
        s.setblocking(False)
        pings = b"\r\n\r\n" * 16384
        peak, sent, closed = before, 0, False
        t0 = time.monotonic()
        last_sample = 0.0
        while time.monotonic() - t0 < 15:
            try:
                sent += s.send(pings)
            except BlockingIOError:
                select.select([], [s], [], 0.01)
            except (ConnectionResetError, BrokenPipeError):
                closed = True
            if not closed:
                # Not reading: only notice whether sbcd closed (a FIN is seen as readable; a
                # reset fails the next send).
                r, _, _ = select.select([s], [], [], 0)
                if r:
                    try:
                        if s.recv(1, socket.MSG_PEEK) == b"":
                            closed = True
                    except (ConnectionResetError, OSError):
                        closed = True
            if time.monotonic() - last_sample >= 0.05:
                peak, last_sample = max(peak, sbcd.rss_kb()), time.monotonic()
            if closed or peak - before > RSS_LIMIT_KB:
                break  # an unbounded queue: stop before it takes the machine's memory
        took = time.monotonic() - t0
        peak = max(peak, sbcd.rss_kb())
        s.close()
        log(f"flood: {sent} bytes of pings in {took:.1f} s; sbcd VmRSS {before} kB before, "
            f"peak {peak} kB (+{peak - before} kB); closed by sbcd: {closed}")
        if peak - before > RSS_LIMIT_KB:
            raise Failure(f"sbcd RSS grew by {peak - before} kB (limit {RSS_LIMIT_KB} kB) "
                          f"in {took:.1f} s of pings; closed: {closed}")
        if not closed:
            raise Failure(f"the non-reading flooder was not closed within 15 s "
                          f"(RSS {before} -> {peak} kB)")
        overflows = sbcd.metric("sbc_tcp_events_total", 'event="queue_overflow"')
        if not overflows or overflows < 1:
            raise Failure(f"sbc_tcp_events_total{{event=\"queue_overflow\"}} is {overflows}")
        status = ask(sbcd.port, CLIENT_IP, 1, "after-flood")
        if not status or not status.startswith("SIP/2.0 200"):
            raise Failure(f"OPTIONS over TCP after the flood got {status!r}")
        log("flood: queue overflow counted in /metrics; sbcd still answers over TCP")
    finally:
        sbcd.stop()


def case_fds(binary: str, work: Path) -> None:
    # In a sanitizer build, UBSan's vptr check probes memory through a pipe: with no
    # descriptor left it cannot, and reports boost::system's error categories as invalid
    # objects (a false positive that -fno-sanitize-recover makes fatal). That check only.
    supp = work / "ubsan.supp"
    supp.write_text("vptr:*boost/system/*\n")
    os.environ["UBSAN_OPTIONS"] = ":".join(
        filter(None, [os.environ.get("UBSAN_OPTIONS", ""), f"suppressions={supp}"]))
    sbcd = Sbcd(binary, work, "fds",
                "tcp_max_connections: 1000, tcp_max_connections_per_source: 1000", nofile=64)
    try:
        if "event=descriptor_limit_too_low" not in sbcd.log():
            raise Failure("sbcd did not warn that its caps do not fit RLIMIT_NOFILE 64")
        conns = []
        for _ in range(120):
            try:
                conns.append(connect(sbcd.port))
            except OSError:
                break  # the backlog is full: as exhausted as it gets
        time.sleep(0.5)  # let sbcd accept what it can and hit EMFILE
        hz = os.sysconf("SC_CLK_TCK")
        c0, t0 = sbcd.cpu_ticks(), time.monotonic()
        time.sleep(3)
        cpu = (sbcd.cpu_ticks() - c0) / hz / (time.monotonic() - t0)
        errors = sbcd.log().count("event=tcp_accept_error")
        log(f"fds: {len(conns)} connections open, sbcd CPU {cpu * 100:.1f}% of a core over 3 s "
            f"while out of descriptors; {errors} accept error line(s) logged (rate-limited)")
        if errors == 0:
            raise Failure("sbcd never ran out of descriptors: the test proves nothing")
        if cpu > 0.25:
            raise Failure(f"sbcd spins while out of descriptors: {cpu * 100:.0f}% CPU")
        for c in conns:
            c.close()
        status, deadline, n = None, time.monotonic() + 10, 0
        while time.monotonic() < deadline:
            n += 1
            status = ask(sbcd.port, OTHER_CLIENT_IP, n, "recover", timeout=1)
            if status and status.startswith("SIP/2.0 200"):
                break
            time.sleep(0.2)
        if not status or not status.startswith("SIP/2.0 200"):
            raise Failure(f"service did not recover after the connections closed: {status!r}")
        log(f"fds: service recovered (OPTIONS over a new connection answered, attempt {n})")
    finally:
        sbcd.stop()


def case_per_source(binary: str, work: Path) -> None:
    sbcd = Sbcd(binary, work, "per_source", "tcp_max_connections_per_source: 4")
    try:
        conns = [connect(sbcd.port) for _ in range(4)]
        for i, c in enumerate(conns):
            c.sendall(options(sbcd.port, c.getsockname(), i + 1, "src"))
            data, closed = read_until_closed(c, 1.0)
            if not data.startswith(b"SIP/2.0 200"):
                raise Failure(f"connection {i + 1} of 4 from {CLIENT_IP} not served: {data[:40]!r}")
        fifth = connect(sbcd.port)
        try:
            fifth.sendall(options(sbcd.port, fifth.getsockname(), 5, "src"))
        except OSError:
            pass
        data, closed = read_until_closed(fifth, 2.0)
        if not closed or data:
            raise Failure(f"the fifth connection from {CLIENT_IP} was not refused "
                          f"(closed={closed}, got {data[:40]!r})")
        status = ask(sbcd.port, OTHER_CLIENT_IP, 6, "other")
        if not status or not status.startswith("SIP/2.0 200"):
            raise Failure(f"a connection from {OTHER_CLIENT_IP} was not served: {status!r}")
        refused = sbcd.metric("sbc_tcp_events_total", 'event="refused_per_source"')
        if refused != 1:
            raise Failure(f"sbc_tcp_events_total{{event=\"refused_per_source\"}} is {refused}, not 1")
        log(f"per_source: 4 connections from {CLIENT_IP} served, the 5th refused (counted), "
            f"{OTHER_CLIENT_IP} served")
        for c in conns + [fifth]:
            c.close()
    finally:
        sbcd.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sbcd", required=True)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--duration", type=float, default=10.0,
                    help="busy: seconds of back-to-back messages (the issue asks 30)")
    args = ap.parse_args()
    args.sbcd = os.path.abspath(args.sbcd)  # sbcd runs in the temporary directory
    if not os.access(args.sbcd, os.X_OK):
        log(f"FAIL: no sbcd at {args.sbcd}")
        return 1
    with tempfile.TemporaryDirectory(prefix=f"hostile-tcp-{args.case}-") as tmp:
        work = Path(tmp)
        try:
            if args.case == "busy":
                case_busy(args.sbcd, work, args.duration)
            elif args.case == "flood":
                case_flood(args.sbcd, work)
            elif args.case == "fds":
                case_fds(args.sbcd, work)
            else:
                case_per_source(args.sbcd, work)
        except Failure as e:
            log(f"FAIL ({args.case}): {e}")
            return 1
    log(f"PASS ({args.case})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
