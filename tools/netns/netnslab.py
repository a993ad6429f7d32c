"""The three-namespace lab: building blocks shared by tools/lab-netns and tests/netns.

Topology (names carry a per-run suffix, the PID of the run, so two runs never clash):

  sbc-caller-<run>              sbc-sbc-<run>                        sbc-callee-<run>
  sig0   10.10.1.10/24 ------ acc-sig    10.10.1.1/24   SIP (kernel)
  media0 10.10.2.10/24 ------ acc-media  10.10.2.1      RTP (DPDK af_packet, no kernel IP)
                              core-sig   10.10.3.1/24   SIP (kernel) ------ sig0   10.10.3.10/24
                              core-media 10.10.4.1      RTP (DPDK)   ------ media0 10.10.4.10/24

The caller and the callee have no link to each other. Relay modes (Lab.relay):
  anchor  the product: sbcd with its media_plane owns acc-media/core-media (config as shipped).
  mock    sbcd for signaling with `media: bypass` and no media_plane; the SBC media veths get
          kernel IPs and tools/netns/mockrelay.py relays RTP on them (latching, source check,
          counters, the log lines sbcd is expected to print). SIPp advertises the mock's
          addresses in its SDP (what anchoring would write), so the whole lab, the captures and
          every check run as they will with the real relay. Validates the lab, not the relay.
  bypass  sbcd with `media: bypass`; the SBC namespace routes between the two media links, so
          RTP flows endpoint to endpoint (what bypass means): the checks must catch it.

Every process is started with `ip netns exec`, gets SIGKILL if this process dies (prctl
PDEATHSIG), and is stopped by its PID. Namespaces left by a run that was killed (SIGKILL)
are removed, with the processes still inside them, by the next run (reap_stale()).
"""

from __future__ import annotations

import ctypes
import dataclasses
import ipaddress
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCENARIOS = HERE / "scenarios"
G711_PCAP = Path("/usr/share/sip-tester/g711a.pcap")
NS_PREFIX = "sbc-"
ROLES = ("caller", "sbc", "callee")


# --------------------------------------------------------------------------------------
# Addresses


@dataclasses.dataclass(frozen=True)
class Addr:
    caller_sig: str = "10.10.1.10"
    sbc_access_sig: str = "10.10.1.1"
    caller_media: str = "10.10.2.10"
    sbc_access_media: str = "10.10.2.1"
    sbc_core_sig: str = "10.10.3.1"
    callee_sig: str = "10.10.3.10"
    sbc_core_media: str = "10.10.4.1"
    callee_media: str = "10.10.4.10"
    caller_spoof: str = "10.10.2.66"  # a second source on the caller's media link (spoof test)
    sip_port: int = 5060
    callee_sip_port: int = 5080
    media_port: int = 6000  # SIPp -mp on both endpoints
    access_media_net: str = "10.10.2.0/24"
    core_media_net: str = "10.10.4.0/24"
    # mock relay ports (the first of each realm's range in config/lab/netns.yaml)
    mock_access_port: int = 30000
    mock_core_port: int = 31000


A = Addr()
# Fixed MACs: the lab knows whom each frame was for (testpmd --eth-peer needs them).
MAC = {
    ("caller", "media0"): "02:5b:c0:02:00:10",
    ("sbc", "acc-media"): "02:5b:c0:02:00:01",
    ("sbc", "core-media"): "02:5b:c0:04:00:01",
    ("callee", "media0"): "02:5b:c0:04:00:10",
}


class Failure(Exception):
    """Ends the run: the message says what went wrong and what to do."""


def log(msg: str = "") -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------------------
# Preconditions: the lab never skips, it fails and says why.

NEEDED_TOOLS = {
    "ip": "iproute2",
    "sipp": "sip-tester",
    "tcpdump": "tcpdump",
    "ethtool": "ethtool",
    "iptables": "iptables",
    "ss": "iproute2",
}


def require_root_and_tools(extra: Iterable[tuple[str, str]] = ()) -> None:
    if os.geteuid() != 0:
        raise Failure("the namespace lab needs root (network namespaces, veth pairs, DPDK af_packet, "
                      "raw sockets): run it as root. It does not skip.")
    missing = [f"{tool} (Debian package {pkg})" for tool, pkg in list(NEEDED_TOOLS.items()) + list(extra)
               if shutil.which(tool) is None]
    if missing:
        raise Failure("missing: " + ", ".join(missing) + ". Install them with `tools/lab deps`.")
    if not G711_PCAP.is_file():
        raise Failure(f"{G711_PCAP} is missing (Debian package sip-tester)")


# --------------------------------------------------------------------------------------
# Processes


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG (1): the child gets SIGKILL when this process dies, even by SIGKILL
    # (a ctest timeout). It survives the execve of `ip netns exec` into the real program.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


class Proc:
    """A process started in a namespace, its output in a file, stopped by its PID."""

    def __init__(self, name: str, ns: Optional[str], argv: list[str], out: Path, cwd: Optional[Path] = None,
                 stdin=subprocess.DEVNULL):
        self.name = name
        self.argv = (["ip", "netns", "exec", ns] if ns else []) + argv
        self.out = out
        self.started = time.monotonic()
        self._fh = open(out, "wb")
        self.popen = subprocess.Popen(self.argv, stdin=stdin, stdout=self._fh, stderr=subprocess.STDOUT,
                                      cwd=str(cwd) if cwd else None, start_new_session=True,
                                      preexec_fn=_die_with_parent)
        self.pid = self.popen.pid

    def poll(self) -> Optional[int]:
        return self.popen.poll()

    def wait(self, timeout: float) -> Optional[int]:
        try:
            return self.popen.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return None

    def send_signal(self, sig: int) -> None:
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, sig: int = signal.SIGTERM, grace: float = 5.0) -> tuple[Optional[int], bool]:
        """Signals the process and waits; SIGKILL after `grace`. Returns (exit code, killed)."""
        if self.popen.poll() is not None:
            return self.popen.returncode, False
        self.send_signal(sig)
        rc = self.wait(grace)
        if rc is None:
            self.send_signal(signal.SIGKILL)
            self.wait(5)
            return self.popen.returncode, True
        return rc, False

    def close(self) -> None:
        if self.popen.poll() is None:
            self.stop(signal.SIGTERM, 2.0)
        try:
            self._fh.close()
        except Exception:
            pass

    def text(self) -> str:
        try:
            return self.out.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""


def run(argv: list[str], ns: Optional[str] = None, check: bool = True, timeout: float = 20.0) -> str:
    full = (["ip", "netns", "exec", ns] if ns else []) + argv
    r = subprocess.run(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    out = r.stdout.decode("utf-8", "replace")
    if check and r.returncode != 0:
        raise Failure(f"`{' '.join(full)}` failed (exit {r.returncode}): {out.strip()}")
    return out


def wait_for(cond: Callable[[], bool], timeout: float, what: str, proc: Optional[Proc] = None,
             interval: float = 0.05) -> float:
    start = time.monotonic()
    while True:
        if cond():
            return time.monotonic() - start
        if proc is not None and proc.poll() is not None:
            tail = "\n".join(proc.text().splitlines()[-15:])
            raise Failure(f"{proc.name} exited (code {proc.poll()}) before {what}; its last output:\n{tail}")
        if time.monotonic() - start > timeout:
            raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------
# Namespaces left behind by killed runs


def lab_namespaces() -> list[str]:
    out = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in out.splitlines()
            if line.strip() and re.match(rf"^{NS_PREFIX}({'|'.join(ROLES)})-\d+$", line.split()[0])]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def delete_namespace(ns: str) -> None:
    """Stops the processes still inside `ns` (by PID), then deletes it and its veths."""
    pids = [int(p) for p in run(["ip", "netns", "pids", ns], check=False).split() if p.isdigit()]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 3
    while pids and time.monotonic() < deadline and any(_pid_alive(p) for p in pids):
        time.sleep(0.05)
    run(["ip", "netns", "delete", ns], check=False)


def reap_stale(verbose: bool = True) -> list[str]:
    """Removes the namespaces of lab runs whose process is gone."""
    removed = []
    for ns in lab_namespaces():
        owner = int(ns.rsplit("-", 1)[1])
        if owner != os.getpid() and not _pid_alive(owner):
            delete_namespace(ns)
            removed.append(ns)
    if removed and verbose:
        log(f"  removed namespaces left by killed runs: {', '.join(removed)}")
    return removed


# --------------------------------------------------------------------------------------
# pcap reading (stdlib): Ethernet (and Linux cooked) captures from tcpdump


@dataclasses.dataclass
class Pkt:
    ts: float
    src: str
    dst: str
    proto: int
    sport: int = 0
    dport: int = 0
    payload: bytes = b""
    ip_ok: bool = True
    udp_ok: bool = True  # checksum valid, or 0 (none)

    def rtp(self) -> Optional[tuple[int, int, int]]:
        """(payload type, sequence, SSRC) when this is an RTP (not RTCP) packet."""
        p = self.payload
        if self.proto != 17 or len(p) < 12 or p[0] >> 6 != 2:
            return None
        pt = p[1] & 0x7F
        if 72 <= pt <= 76:  # RTCP SR/RR/SDES/BYE/APP
            return None
        return pt, struct.unpack(">H", p[2:4])[0], struct.unpack(">I", p[8:12])[0]


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def read_pcap(path: Path) -> list[Pkt]:
    """IPv4 packets of a pcap file; tolerates a last record still being written."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise Failure(f"{path}: not a pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(end + "I", data[20:24])[0]
    out: list[Pkt] = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break
        frame = data[off:off + incl]
        off += incl
        ts = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:  # Ethernet
            if len(frame) < 14:
                continue
            etype = struct.unpack(">H", frame[12:14])[0]
            l3 = frame[14:]
            if etype == 0x8100 and len(frame) >= 18:
                etype = struct.unpack(">H", frame[16:18])[0]
                l3 = frame[18:]
        elif linktype == 113:  # Linux cooked v1
            etype = struct.unpack(">H", frame[14:16])[0]
            l3 = frame[16:]
        elif linktype == 276:  # Linux cooked v2
            etype = struct.unpack(">H", frame[0:2])[0]
            l3 = frame[20:]
        elif linktype in (101, 228):  # raw IP
            etype, l3 = 0x0800, frame
        else:
            raise Failure(f"{path}: link type {linktype} not supported")
        if etype != 0x0800 or len(l3) < 20 or l3[0] >> 4 != 4:
            continue
        ihl = (l3[0] & 0x0F) * 4
        total = struct.unpack(">H", l3[2:4])[0]
        ip = l3[:max(ihl, min(total, len(l3)))]
        src, dst = str(ipaddress.IPv4Address(l3[12:16])), str(ipaddress.IPv4Address(l3[16:20]))
        proto = l3[9]
        pkt = Pkt(ts, src, dst, proto, ip_ok=_csum(l3[:ihl]) == 0xFFFF)
        if proto == 17 and len(ip) >= ihl + 8:
            udp = ip[ihl:]
            sport, dport, ulen, usum = struct.unpack(">HHHH", udp[:8])
            pkt.sport, pkt.dport = sport, dport
            pkt.payload = bytes(udp[8:ulen]) if ulen <= len(udp) else bytes(udp[8:])
            if usum != 0 and ulen <= len(udp):
                pseudo = l3[12:20] + struct.pack(">BBH", 0, 17, ulen)
                pkt.udp_ok = _csum(pseudo + bytes(udp[:ulen])) == 0xFFFF
        out.append(pkt)
    return out


def make_rtp_pcap(out: Path, count: int, ssrc: int, src: Path = G711_PCAP, ptime_ms: int = 20) -> int:
    """Writes the first `count` RTP packets of the G.711 capture SIPp ships (repeating it if
    `count` is larger), one every `ptime_ms`, with `ssrc` as their SSRC and a continuous
    sequence, so that each stream of a run can be told apart on the wire. SIPp replaces the
    addresses and ports when it plays it. Returns the number of packets."""
    data = src.read_bytes()
    end = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    header = data[:24]
    frames = []
    off = 24
    while off + 16 <= len(data):
        _s, _u, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        frames.append((data[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    body = bytearray()
    linktype = struct.unpack(end + "I", data[20:24])[0]
    l2 = 14 if linktype == 1 else 0
    t0 = 1_700_000_000
    for i in range(count):
        frame, _orig = frames[i % len(frames)]
        frame = bytearray(frame)
        ihl = (frame[l2] & 0x0F) * 4
        rtp = l2 + ihl + 8
        struct.pack_into(">H", frame, rtp + 2, (1000 + i) & 0xFFFF)
        struct.pack_into(">I", frame, rtp + 4, (160 * i) & 0xFFFFFFFF)
        struct.pack_into(">I", frame, rtp + 8, ssrc)
        struct.pack_into(">H", frame, l2 + ihl + 6, 0)  # SIPp computes the UDP checksum
        us = i * ptime_ms * 1000
        body += struct.pack(end + "IIII", t0 + us // 1_000_000, us % 1_000_000, len(frame), len(frame))
        body += frame
    out.write_bytes(header + bytes(body))
    return count


# --------------------------------------------------------------------------------------
# Relay counters, read from key=value log lines (sbcd's, or the mock relay's)

DROP_REASONS = ("malformed", "no_session", "unexpected_source", "no_route", "tx_full",
                "srtp_auth", "srtp_replay", "srtp_error")


@dataclasses.dataclass
class RelayStats:
    """What the relay said about itself in sbcd's log (or the mock relay's, which writes the
    same lines). Read:
      event=media_stopped rx_packets=N relayed=N arp_replies=N ... drop_<reason>=N
          (sbcd at SIGTERM: totals since start)
      event=media_latched call=ID stream=N from=A|B source=IP:PORT   (sbcd, per latch)
      event=media_session_end call=ID stream=N from_a_packets=N from_b_packets=N
          from_a_drops_<reason>=N from_b_drops_<reason>=N            (PROPOSED: per call,
          when its session is deleted; the same keys on event=call_end are read too)
    Absent keys stay None: "not exposed"."""
    sessions_ended: int = 0
    from_a: Optional[int] = None  # caller -> callee, summed over sessions
    from_b: Optional[int] = None
    drops_by_session: dict = dataclasses.field(default_factory=dict)  # reason -> sum
    latched: list = dataclasses.field(default_factory=list)  # ("A"|"B", "ip:port")
    totals: dict = dataclasses.field(default_factory=dict)  # keys of the last event=media_stopped

    def drops(self, reason: str) -> Optional[int]:
        if f"drop_{reason}" in self.totals:
            return self.totals[f"drop_{reason}"]
        return self.drops_by_session.get(reason)

    def relayed_total(self) -> Optional[int]:
        if "relayed" in self.totals:
            return self.totals["relayed"]
        if self.from_a is not None or self.from_b is not None:
            return (self.from_a or 0) + (self.from_b or 0)
        return None

    def exposed(self) -> bool:
        return bool(self.totals) or self.sessions_ended > 0


KV_RE = re.compile(r'(\w+)=("[^"]*"|\S+)')


def parse_relay_stats(text: str) -> RelayStats:
    st = RelayStats()
    for line in text.splitlines():
        kv = {k: v.strip('"') for k, v in KV_RE.findall(line)}
        event = kv.get("event")
        if event == "media_latched" and "source" in kv:
            st.latched.append((kv.get("from", "?"), kv["source"]))
        elif event in ("media_session_end", "call_end") and ("from_a_packets" in kv or "from_b_packets" in kv):
            st.sessions_ended += 1
            for side in ("a", "b"):
                v = kv.get(f"from_{side}_packets")
                if v is not None and v.isdigit():
                    if side == "a":
                        st.from_a = (st.from_a or 0) + int(v)
                    else:
                        st.from_b = (st.from_b or 0) + int(v)
                for reason in DROP_REASONS:
                    d = kv.get(f"from_{side}_drops_{reason}")
                    if d is not None and d.isdigit():
                        st.drops_by_session[reason] = st.drops_by_session.get(reason, 0) + int(d)
        elif event == "media_stopped":
            st.totals = {k: int(v) for k, v in kv.items() if v.isdigit()}
    return st


# --------------------------------------------------------------------------------------
# Config derivation


def derive_config(shipped: Path, out: Path, relay: str, run_id: str) -> None:
    """The shipped config/lab/netns.yaml for this run: its own DPDK --file-prefix; for the
    mock and bypass relays, no media_plane section and `media: bypass` routes."""
    text = shipped.read_text()
    text, n = re.subn(r"(--file-prefix\s*,\s*)\"?sbc-netns\"?", rf"\g<1>sbc-netns-{run_id}", text)
    if relay == "anchor" and n == 0 and re.search(r"^media_plane:", text, re.M):
        raise Failure(f"{shipped}: media_plane.eal has no `--file-prefix, sbc-netns` for the lab to make unique")
    if relay != "anchor":
        lines, keep, skipping = text.splitlines(keepends=True), [], False
        for line in lines:
            if re.match(r"^media_plane\s*:", line):
                skipping = True
                continue
            if skipping and re.match(r"^\S", line) and not line.startswith("#"):
                skipping = False
            if not skipping:
                keep.append(line)
        text = "".join(keep)
        text = re.sub(r"^(\s+)media:\s*anchor\s*$", r"\1media: bypass", text, flags=re.M)
    out.write_text(text)


# --------------------------------------------------------------------------------------
# Scenario templates


def render(template: str, out: Path, params: dict[str, object]) -> Path:
    """tools/netns/scenarios/<template> with every @NAME@ replaced."""
    text = (SCENARIOS / template).read_text()
    for k, v in params.items():
        text = text.replace(f"@{k}@", str(v))
    left = sorted(set(re.findall(r"@([A-Z0-9_]+)@", text)))
    if left:
        raise Failure(f"scenario {template}: no value for {', '.join(left)}")
    out.write_text(text)
    return out


# --------------------------------------------------------------------------------------
# The lab


@dataclasses.dataclass
class Options:
    sbcd: Optional[Path]
    config: Path
    relay: str = "anchor"  # anchor | mock | bypass
    keep: bool = False
    static_neigh: bool = False  # write the SBC media MACs into the endpoints' ARP caches
    ready_timeout: float = 30.0
    log_level: str = "info"
    mock_fault: str = ""  # mockrelay.py --fault: shows that the checks catch a faulty relay


class Lab:
    def __init__(self, opts: Options, workdir: Path, run_id: Optional[str] = None):
        self.opts = opts
        self.relay = opts.relay
        self.run_id = run_id or str(os.getpid())
        self.ns = {role: f"{NS_PREFIX}{role}-{self.run_id}" for role in ROLES}
        self.work = workdir
        self.procs: list[Proc] = []
        self.created: list[str] = []
        self.sbcd: Optional[Proc] = None
        self.mock: Optional[Proc] = None
        self.captures: dict[str, Proc] = {}
        self.cap_files: dict[str, Path] = {}
        self.config_path = workdir / "sbcd.yaml"
        self.sbcd_rc: Optional[int] = None
        self.relay_log_text = ""

    # -- topology ------------------------------------------------------------------------

    def up(self) -> None:
        reap_stale()
        for role in ROLES:
            if self.ns[role] in lab_namespaces():
                raise Failure(f"namespace {self.ns[role]} exists already (a run with this id is active)")
        for role in ROLES:
            run(["ip", "netns", "add", self.ns[role]])
            self.created.append(self.ns[role])
        c, s, e = self.ns["caller"], self.ns["sbc"], self.ns["callee"]
        # veth pairs created straight into their namespaces: no name ever lives in the root one
        self._veth(s, "acc-sig", c, "sig0")
        self._veth(s, "acc-media", c, "media0")
        self._veth(s, "core-sig", e, "sig0")
        self._veth(s, "core-media", e, "media0")
        for ns in (c, s, e):
            # no IPv6 (router solicitations, DAD) on the lab links: the captures hold only the lab
            run(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"], ns)
            run(["sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"], ns)
            run(["ip", "link", "set", "lo", "up"], ns)
        for (role, dev), mac in MAC.items():
            run(["ip", "link", "set", dev, "address", mac], self.ns[role])
        run(["ip", "addr", "add", f"{A.caller_sig}/24", "dev", "sig0"], c)
        run(["ip", "addr", "add", f"{A.caller_media}/24", "dev", "media0"], c)
        run(["ip", "addr", "add", f"{A.sbc_access_sig}/24", "dev", "acc-sig"], s)
        run(["ip", "addr", "add", f"{A.sbc_core_sig}/24", "dev", "core-sig"], s)
        run(["ip", "addr", "add", f"{A.callee_sig}/24", "dev", "sig0"], e)
        run(["ip", "addr", "add", f"{A.callee_media}/24", "dev", "media0"], e)
        if self.relay in ("mock", "bypass"):
            # The kernel of the SBC namespace owns the media addresses (no DPDK).
            run(["ip", "addr", "add", f"{A.sbc_access_media}/24", "dev", "acc-media"], s)
            run(["ip", "addr", "add", f"{A.sbc_core_media}/24", "dev", "core-media"], s)
        if self.relay == "bypass":
            # The "temporary direct link": the SBC namespace routes between the media links,
            # so the endpoints' RTP goes straight to each other's addresses.
            run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], s)
        for ns, devs in ((c, ("sig0", "media0")), (s, ("acc-sig", "acc-media", "core-sig", "core-media")),
                         (e, ("sig0", "media0"))):
            for dev in devs:
                run(["ip", "link", "set", dev, "up"], ns)
        if self.relay == "bypass":
            run(["ip", "route", "add", A.core_media_net, "via", A.sbc_access_media], c)
            run(["ip", "route", "add", A.access_media_net, "via", A.sbc_core_media], e)
        # Endpoints compute full UDP checksums (no offload): what they send is what a real
        # phone sends, and a relay that forwards it with a wrong checksum is caught.
        for ns in (c, e):
            run(["ethtool", "-K", "media0", "tx", "off"], ns)
        # The SBC ends: no offload either: the DPDK relay (af_packet) gets finished frames,
        # and the mock relay's kernel sockets put full checksums on the wire.
        for dev in ("acc-media", "core-media"):
            run(["ethtool", "-K", dev, "tx", "off"], s)
        if self.opts.static_neigh:
            run(["ip", "neigh", "replace", A.sbc_access_media, "lladdr", MAC[("sbc", "acc-media")],
                 "dev", "media0", "nud", "permanent"], c)
            run(["ip", "neigh", "replace", A.sbc_core_media, "lladdr", MAC[("sbc", "core-media")],
                 "dev", "media0", "nud", "permanent"], e)

    def _veth(self, ns1: str, dev1: str, ns2: str, dev2: str) -> None:
        run(["ip", "link", "add", dev1, "netns", ns1, "type", "veth", "peer", "name", dev2, "netns", ns2])

    def down(self) -> None:
        for p in reversed(self.procs):
            p.close()
        for ns in reversed(self.created):
            delete_namespace(ns)
        self.created.clear()

    # -- processes -----------------------------------------------------------------------

    def start(self, name: str, role: Optional[str], argv: list[str], out: str, cwd: Optional[Path] = None) -> Proc:
        p = Proc(name, self.ns[role] if role else None, argv, self.work / out, cwd=cwd or self.work)
        self.procs.append(p)
        return p

    def start_relay(self) -> None:
        """sbcd in the SBC namespace (and the mock relay when asked), ready to take calls."""
        if self.opts.sbcd is None or not (self.opts.sbcd.is_file() and os.access(self.opts.sbcd, os.X_OK)):
            raise Failure(f"sbcd not found at {self.opts.sbcd}: build it first (tools/lab build); "
                          "the netns lab runs the real daemon and does not skip")
        derive_config(self.opts.config, self.config_path, self.relay, self.run_id)
        check = subprocess.run([str(self.opts.sbcd), "--check-config", str(self.config_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        if check.returncode != 0:
            why = check.stdout.decode("utf-8", "replace").strip()
            hint = ""
            if self.relay == "anchor" and "media_plane" in why:
                hint = ("\n  This sbcd has no media plane yet (it refuses the media_plane section). "
                        "`--relay mock` runs the lab with a stand-in relay meanwhile.")
            raise Failure(f"sbcd refuses the lab configuration {self.config_path} (from {self.opts.config}):\n"
                          f"  {why}{hint}")
        argv = [str(self.opts.sbcd), "--config", str(self.config_path)]
        if self.opts.log_level:
            argv += ["--log-level", self.opts.log_level]
        self.sbcd = self.start("sbcd", "sbc", argv, "sbcd.log")
        took = wait_for(lambda: "event=ready" in self.sbcd.text(), self.opts.ready_timeout,
                        "sbcd to log event=ready", self.sbcd)
        log(f"  sbcd (pid {self.sbcd.pid}) ready in {took:.2f} s in {self.ns['sbc']} "
            f"(relay: {self.relay}, config {self.config_path.name} from {self.opts.config})")
        if self.relay == "mock":
            self.mock = self.start("mock relay", "sbc", [
                sys.executable, str(HERE / "mockrelay.py"),
                "--a", f"{A.sbc_access_media}:{A.mock_access_port}",
                "--b", f"{A.sbc_core_media}:{A.mock_core_port}",
                "--a-peer", f"{A.caller_media}:{self.media_port('caller')}",
                "--b-peer", f"{A.callee_media}:{self.media_port('callee')}"]
                + (["--fault", self.opts.mock_fault] if self.opts.mock_fault else []), "mockrelay.log")
            wait_for(lambda: "event=ready" in self.mock.text(), 10, "the mock relay to be ready", self.mock)
            log(f"  mock relay (pid {self.mock.pid}) on {A.sbc_access_media}:{A.mock_access_port} | "
                f"{A.sbc_core_media}:{A.mock_core_port}")

    def start_captures(self, max_packets: int = 2_000_000) -> None:
        for role in ("caller", "callee"):
            path = self.work / f"{role}-media0.pcap"
            p = self.start(f"tcpdump ({role})", role,
                           ["tcpdump", "-i", "media0", "-n", "-U", "--immediate-mode", "-s", "0", "-Z", "root", "-c", str(max_packets),
                            "-w", str(path)], f"tcpdump-{role}.log")
            self.captures[role] = p
            self.cap_files[role] = path
        for role, p in self.captures.items():
            wait_for(lambda p=p: "listening on" in p.text(), 10, f"tcpdump on {role} media0", p)

    def stop_captures(self) -> None:
        """Stops tcpdump (SIGINT) and checks that it wrote every packet its filter took:
        --immediate-mode hands each packet over at once, none stays in the ring."""
        time.sleep(0.3)  # the last relayed packets are on the wire by now
        for role, p in self.captures.items():
            p.stop(signal.SIGINT, 5)
            text = p.text()
            got = re.search(r"(\d+) packets? captured", text)
            seen = re.search(r"(\d+) packets? received by filter", text)
            lost = re.search(r"(\d+) packets? dropped by kernel", text)
            if got and seen and (int(got.group(1)) != int(seen.group(1)) or (lost and int(lost.group(1)))):
                raise Failure(f"tcpdump on the {role}'s media0 missed packets: {' / '.join(text.split(chr(10))[1:4])}")

    def stop_relay(self) -> Optional[int]:
        """SIGTERM to sbcd (and the mock); returns sbcd's exit code (None: had to be killed)."""
        rc = None
        if self.mock is not None:
            self.mock.stop(signal.SIGTERM, 5)
        if self.sbcd is not None:
            rc, killed = self.sbcd.stop(signal.SIGTERM, 10)
            rc = None if killed else rc
            self.sbcd_rc = rc
        text = self.sbcd.text() if self.sbcd else ""
        if self.mock is not None:
            text += "\n" + self.mock.text()
        self.relay_log_text = text
        return rc

    def relay_stats(self) -> RelayStats:
        return parse_relay_stats(self.relay_log_text)

    # -- ARP: the relay must answer for its media addresses ------------------------------

    def arp_probe(self, role: str, target: str, timeout: float = 3.0) -> Optional[str]:
        out = run([sys.executable, str(HERE / "nettools.py"), "arp-probe", "--dev", "media0", "--target", target,
                   "--timeout", str(timeout)], self.ns[role], check=False, timeout=timeout + 10)
        m = re.search(r"is-at ([0-9a-f:]{17})", out)
        return m.group(1) if m else None

    def preflight_arp(self) -> None:
        if self.relay == "bypass":
            return
        for role, target in (("caller", A.sbc_access_media), ("callee", A.sbc_core_media)):
            mac = self.arp_probe(role, target)
            if mac is None:
                raise Failure(f"nobody answers ARP for {target} on the {role}'s media link: the relay must "
                              "answer ARP for its media addresses (the DPDK port has no kernel IP). "
                              "--static-neigh works around it for a look at the rest.")
            log(f"  ARP: {target} is-at {mac} (seen from the {role})")

    # -- SIPp ----------------------------------------------------------------------------

    def sdp_params(self) -> dict[str, object]:
        """What each SIPp writes into its SDP c=/m=. With a real relay (anchor) and in bypass
        mode: its own media address and port. With the mock relay: the mock's address on the
        other side, the address anchoring would have written into the SDP the peer receives.
        The m= port is always SIPp's [media_port] (SIPp plays its capture from the port of
        that keyword, and it must stand on the m= line): in mock mode each SIPp's -mp is the
        mock's port on the other side (media_port())."""
        if self.relay == "mock":
            return {"UAC_SDP_IP": A.sbc_core_media, "UAC_SDP_PORT": "[media_port]",
                    "UAS_SDP_IP": A.sbc_access_media, "UAS_SDP_PORT": "[media_port]"}
        return {"UAC_SDP_IP": A.caller_media, "UAC_SDP_PORT": "[media_port]",
                "UAS_SDP_IP": A.callee_media, "UAS_SDP_PORT": "[media_port]"}

    def media_port(self, role: str) -> int:
        """The RTP port SIPp binds and sends from (-mp) on the caller or the callee."""
        if self.relay == "mock":
            return A.mock_core_port if role == "caller" else A.mock_access_port
        return A.media_port

    def start_uas(self, scenario: Path, calls: int, timeout_s: int) -> Proc:
        argv = ["sipp", "-sf", str(scenario), "-i", A.callee_sig, "-p", str(A.callee_sip_port),
                "-mi", A.callee_media, "-mp", str(self.media_port("callee")), "-m", str(calls), "-nostdin", "-bind_local",
                "-trace_msg", "-message_file", str(self.work / "uas_messages.log"),
                "-trace_err", "-error_file", str(self.work / "uas_errors.log"),
                "-trace_screen", "-screen_file", str(self.work / "uas_screen.log"),
                "-timeout", f"{timeout_s}s", "-timeout_error"]
        p = self.start("SIPp UAS", "callee", argv, "uas_stdout.log")
        wait_for(lambda: f"{A.callee_sig}:{A.callee_sip_port} " in run(["ss", "-Hlun"], self.ns["callee"],
                                                                          check=False),
                 10, "SIPp UAS to bind its port", p)
        return p

    def start_uac(self, scenario: Path, calls: int, rate: float, limit: int, timeout_s: int) -> Proc:
        argv = ["sipp", "-sf", str(scenario), "-i", A.caller_sig, "-p", str(A.sip_port),
                "-mi", A.caller_media, "-mp", str(self.media_port("caller")), "-m", str(calls), "-r", str(rate),
                "-l", str(limit), "-nostdin", "-bind_local",
                "-trace_msg", "-message_file", str(self.work / "uac_messages.log"),
                "-trace_err", "-error_file", str(self.work / "uac_errors.log"),
                "-trace_screen", "-screen_file", str(self.work / "uac_screen.log"),
                "-trace_stat", "-stf", str(self.work / "uac_stats.csv"),
                "-timeout", f"{timeout_s}s", "-timeout_error", f"{A.sbc_access_sig}:{A.sip_port}"]
        return self.start("SIPp UAC", "caller", argv, "uac_stdout.log")

    def uac_counts(self) -> tuple[Optional[int], Optional[int]]:
        """(successful, failed) calls from the UAC's -trace_stat CSV."""
        path = self.work / "uac_stats.csv"
        if not path.exists():
            return None, None
        rows = [r.split(";") for r in path.read_text().splitlines() if r.strip()]
        if len(rows) < 2:
            return None, None
        head, last = rows[0], rows[-1]
        try:
            return int(last[head.index("SuccessfulCall(C)")]), int(last[head.index("FailedCall(C)")])
        except (ValueError, IndexError):
            return None, None

    # -- reading captures mid-run ------------------------------------------------------------

    def anchored_port(self, role: str, timeout: float = 10.0) -> int:
        """The SBC media port the caller (or callee) sends its RTP to, read off its capture."""
        me = A.caller_media if role == "caller" else A.callee_media
        sbc = A.sbc_access_media if role == "caller" else A.sbc_core_media
        found: list[int] = []

        def look() -> bool:
            for p in read_pcap(self.cap_files[role]):
                if p.src == me and p.dst == sbc and p.rtp():
                    found.append(p.dport)
                    return True
            return False

        wait_for(look, timeout, f"the {role}'s first RTP packet to {sbc}", interval=0.1)
        return found[0]

    def send_rtp(self, role: str, src: str, dst: str, count: int, ssrc: int, interval_ms: int = 20) -> str:
        return run([sys.executable, str(HERE / "nettools.py"), "send-rtp", "--src", src, "--dst", dst,
                    "--count", str(count), "--ssrc", hex(ssrc), "--interval-ms", str(interval_ms)],
                   self.ns[role], timeout=count * interval_ms / 1000 + 15)

    def show_logs(self, lines: int = 25) -> None:
        for name in ("sbcd.log", "mockrelay.log", "uac_errors.log", "uas_errors.log", "uac_screen.log",
                     "uas_screen.log"):
            path = self.work / name
            if path.exists() and path.stat().st_size:
                text = path.read_bytes().decode("utf-8", "replace").splitlines()
                log(f"  --- {name} (last {min(lines, len(text))} of {len(text)} lines) ---")
                for line in text[-lines:]:
                    log(f"  | {line}")


# --------------------------------------------------------------------------------------
# What the captures say


@dataclasses.dataclass
class Stream:
    """One RTP stream (an SSRC the lab gave a pcap) seen on the sender's and the receiver's
    media interfaces."""
    label: str
    ssrc: int
    sender: str  # "caller" / "callee"
    expected: Optional[int]  # packets the sender was told to play
    sent: int = 0
    received: int = 0
    received_from: set = dataclasses.field(default_factory=set)  # (ip, port) at the receiver
    received_at: set = dataclasses.field(default_factory=set)  # receiver's (ip, port)
    sent_to: set = dataclasses.field(default_factory=set)  # (ip, port) at the sender
    sent_from: set = dataclasses.field(default_factory=set)
    bad_checksums: int = 0
    seqs_received: list = dataclasses.field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.sent - self.received


class Captures:
    def __init__(self, lab: Lab):
        self.caller = read_pcap(lab.cap_files["caller"])
        self.callee = read_pcap(lab.cap_files["callee"])

    def pkts(self, role: str) -> list[Pkt]:
        return self.caller if role == "caller" else self.callee

    def stream(self, label: str, ssrc: int, sender: str, expected: Optional[int]) -> Stream:
        receiver = "callee" if sender == "caller" else "caller"
        me = A.caller_media if sender == "caller" else A.callee_media
        peer = A.callee_media if sender == "caller" else A.caller_media
        s = Stream(label, ssrc, sender, expected)
        for p in self.pkts(sender):
            r = p.rtp()
            if r and r[2] == ssrc and p.src == me:
                s.sent += 1
                s.sent_to.add((p.dst, p.dport))
                s.sent_from.add((p.src, p.sport))
        for p in self.pkts(receiver):
            r = p.rtp()
            if r and r[2] == ssrc and p.dst == peer:
                s.received += 1
                s.received_from.add((p.src, p.sport))
                s.received_at.add((p.dst, p.dport))
                s.seqs_received.append(r[1])
                if not (p.ip_ok and p.udp_ok):
                    s.bad_checksums += 1
        return s

    def rtp_to(self, role: str) -> list[Pkt]:
        me = A.caller_media if role == "caller" else A.callee_media
        return [p for p in self.pkts(role) if p.dst == me and p.rtp()]

    def rtp_from(self, role: str) -> list[Pkt]:
        me = A.caller_media if role == "caller" else A.callee_media
        return [p for p in self.pkts(role) if p.src == me and p.rtp()]


# --------------------------------------------------------------------------------------
# Checks


class Report:
    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[tuple[str, list[str]]] = []

    def check(self, name: str, problems: list[str], limit: int = 5) -> bool:
        if problems:
            self.failed.append((name, problems))
            log(f"  FAIL  {name}")
            for p in problems[:limit]:
                log(f"        - {p}")
            if len(problems) > limit:
                log(f"        ... and {len(problems) - limit} more")
            return False
        self.passed.append(name)
        log(f"  PASS  {name}")
        return True

    def fail(self, name: str, why: str) -> None:
        self.check(name, [why])

    @property
    def ok(self) -> bool:
        return not self.failed


def fmt_addrs(addrs: Iterable[tuple[str, int]], limit: int = 4) -> str:
    items = sorted(addrs)
    text = ", ".join(f"{ip}:{port}" for ip, port in items[:limit])
    return text + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def check_sources(rep: Report, caps: Captures, relay: str) -> None:
    """Every RTP packet an endpoint received came from the SBC's media address on its side,
    and every one it sent went to it."""
    for role, sbc in (("callee", A.sbc_core_media), ("caller", A.sbc_access_media)):
        got = caps.rtp_to(role)
        bad = [p for p in got if p.src != sbc]
        rep.check(f"every RTP packet the {role} received came from the SBC ({sbc}): {len(got)} packets",
                  [f"{len(bad)} of {len(got)} came from elsewhere: "
                   f"{fmt_addrs({(p.src, p.sport) for p in bad})}"] if bad else
                  ([] if got else [f"the {role} received no RTP at all"]))
        sent = caps.rtp_from(role)
        bad = [p for p in sent if p.dst != sbc]
        rep.check(f"every RTP packet the {role} sent went to the SBC ({sbc}): {len(sent)} packets",
                  [f"{len(bad)} of {len(sent)} went elsewhere: {fmt_addrs({(p.dst, p.dport) for p in bad})} "
                   "(the SDP it received did not carry the SBC's media address)"] if bad else
                  ([] if sent else [f"the {role} sent no RTP at all"]))


def check_no_direct(rep: Report, caps: Captures) -> None:
    """No packet between the endpoints: on each endpoint's media link, every IPv4 address is
    in that link's subnet (the other side's addresses never appear, as source or destination)."""
    for role, net, other in (("caller", A.access_media_net, "callee"), ("callee", A.core_media_net, "caller")):
        subnet = ipaddress.ip_network(net)
        bad = [p for p in caps.pkts(role)
               if ipaddress.ip_address(p.src) not in subnet or ipaddress.ip_address(p.dst) not in subnet]
        rep.check(f"no packet on the {role}'s media link names an address outside {net} "
                  f"(nothing went directly to or from the {other})",
                  [f"{len(bad)} packets, e.g. " + "; ".join(f"{p.src}:{p.sport} -> {p.dst}:{p.dport}"
                                                             for p in bad[:3])] if bad else [])


def check_streams(rep: Report, streams: list[Stream], max_loss: int = 0, require_expected: bool = True) -> None:
    for s in streams:
        receiver = "callee" if s.sender == "caller" else "caller"
        problems = []
        if require_expected and s.expected is not None and s.sent != s.expected:
            problems.append(f"the {s.sender} sent {s.sent} packets, {s.expected} expected (SIPp did not play "
                            "the whole capture: the call ended early?)")
        if s.received > s.sent:
            problems.append(f"{s.received} received for {s.sent} sent: duplicates")
        elif s.sent - s.received > max_loss:
            problems.append(f"{s.sent - s.received} of {s.sent} lost (allowed {max_loss})")
        rep.check(f"{s.label}: {s.sent} sent by the {s.sender}, {s.received} received by the {receiver}", problems)
        if s.received:
            rep.check(f"{s.label}: IPv4 and UDP checksums of what the {receiver} received are valid",
                      [f"{s.bad_checksums} of {s.received} packets have a bad checksum "
                       "(a kernel socket would drop them)"] if s.bad_checksums else [])


def summary(title: str, rows: list[tuple[str, int, Optional[int], int]], calls: tuple) -> None:
    placed, answered = calls
    log("")
    log(f"  {title}")
    log(f"  calls placed: {placed}   answered: {answered if answered is not None else '?'}")
    log(f"  {'RTP':<22}{'sent':>8}{'relayed':>10}{'received':>10}{'lost':>8}{'loss':>9}")
    for name, sent, relayed, received in rows:
        lost = sent - received
        pct = f"{100.0 * lost / sent:.2f}%" if sent else "-"
        rel = str(relayed) if relayed is not None else "n/a"
        log(f"  {name:<22}{sent:>8}{rel:>10}{received:>10}{lost:>8}{pct:>9}")
    log("")


# --------------------------------------------------------------------------------------
# One run: build, relay, captures, calls, checks, teardown


@dataclasses.dataclass
class CallPlan:
    """SIPp calls for a run. `pcaps` maps a scenario placeholder to (packets, SSRC): each
    becomes a copy of the G.711 capture with that many packets and that SSRC."""
    uac: str
    uas: str
    pcaps: dict
    params: dict = dataclasses.field(default_factory=dict)
    calls: int = 1
    rate: float = 1.0
    limit: int = 10
    timeout_s: int = 60


@dataclasses.dataclass
class CallOutcome:
    placed: int
    answered: Optional[int]
    uac_rc: Optional[int]
    uas_rc: Optional[int]
    packets: dict  # placeholder -> packets per play


def place_calls(lab: Lab, plan: CallPlan, rep: Report,
                during: Optional[Callable[[Lab], None]] = None) -> CallOutcome:
    """Runs the SIPp UAS (callee) and UAC (caller) of `plan` to the end."""
    params = dict(lab.sdp_params())
    params.setdefault("UAS_DELAY_MS", 0)
    params.update(plan.params)
    packets = {}
    for name, (count, ssrc) in plan.pcaps.items():
        path = lab.work / f"{name.lower()}.pcap"
        packets[name] = make_rtp_pcap(path, count, ssrc)
        params[name] = path
    uas_xml = render(plan.uas, lab.work / "uas.xml", params)
    uac_xml = render(plan.uac, lab.work / "uac.xml", params)
    uas = lab.start_uas(uas_xml, plan.calls, plan.timeout_s + 10)
    uac = lab.start_uac(uac_xml, plan.calls, plan.rate, plan.limit, plan.timeout_s)
    log(f"  SIPp: {plan.calls} call(s) {A.caller_sig} (media {A.caller_media}) -> sbcd {A.sbc_access_sig}:"
        f"{A.sip_port} | {A.sbc_core_sig} -> {A.callee_sig}:{A.callee_sip_port} (media {A.callee_media})")
    if during is not None:
        during(lab)
    uac_rc = uac.wait(plan.timeout_s + 15)
    if uac_rc is None:
        uac.stop(signal.SIGKILL, 2)
        rep.fail("SIPp UAC finished in time", f"still running after {plan.timeout_s + 15} s: killed")
    uas_rc = uas.wait(10)
    if uas_rc is None:
        uas.stop(signal.SIGKILL, 2)
        rep.fail("SIPp UAS finished in time", "still running 10 s after the UAC: killed")
    ok, failed = lab.uac_counts()
    if uac_rc is not None:
        rep.check(f"SIPp UAC: {plan.calls} call(s) placed, {ok if ok is not None else '?'} answered and hung up "
                  f"(exit {uac_rc})",
                  [] if uac_rc == 0 and ok == plan.calls else
                  [f"exit code {uac_rc}, {ok} successful, {failed} failed (1: a call failed, 255: timeout)"])
    if uas_rc is not None:
        rep.check(f"SIPp UAS: every call answered (exit {uas_rc})", [] if uas_rc == 0 else [f"exit code {uas_rc}"])
    return CallOutcome(plan.calls, ok, uac_rc, uas_rc, packets)


def finish(lab: Lab, rep: Report) -> tuple[Captures, RelayStats]:
    """Stops the captures and sbcd (SIGTERM: it must exit 0) and reads what they saw."""
    lab.stop_captures()
    rc = lab.stop_relay()
    rep.check(f"sbcd stops cleanly on SIGTERM (exit {rc})",
              [] if rc == 0 else ["it had to be killed" if rc is None else f"exit code {rc}"])
    return Captures(lab), lab.relay_stats()


def check_relay_counts(rep: Report, stats: RelayStats, a_received: int, b_received: int) -> None:
    """When the relay exposes per-direction counters, they agree with the captures."""
    if stats.from_a is None and stats.from_b is None:
        log("  info  relay counters per direction not exposed (event=media_session_end ... from_a_packets=N); "
            "relayed = received on the captures")
        return
    rep.check(f"the relay's counters agree with the captures (relayed caller->callee {stats.from_a}, "
              f"callee->caller {stats.from_b})",
              ([] if stats.from_a == a_received else
               [f"caller->callee: relay says {stats.from_a}, the callee received {a_received}"])
              + ([] if stats.from_b == b_received else
                 [f"callee->caller: relay says {stats.from_b}, the caller received {b_received}"]))


LAST_REPORT: Optional[Report] = None  # the checks of the last run_lab(), for self-tests


def run_lab(opts: Options, title: str, body: Callable[[Lab, Report], None], deadline_s: int = 150,
            extra_tools: Iterable[tuple[str, str]] = ()) -> bool:
    """Builds the lab, starts sbcd (and the mock relay) and the captures, checks ARP, runs
    `body`, and always tears everything down (also on Ctrl-C, SIGTERM and the deadline).
    Prints one PASS/FAIL line per check and a RESULT line; True when every check passed."""
    import tempfile

    log(f"=== netns lab: {title} [relay: {opts.relay}] ===")
    t0 = time.monotonic()
    rep = Report()
    work = Path(tempfile.mkdtemp(prefix="sbc-netns-"))
    lab = Lab(opts, work)

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def deadline(_signum, _frame):
        raise Failure(f"the run took longer than its bound of {deadline_s} s")

    old = {s: signal.signal(s, interrupted) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    old_alarm = signal.signal(signal.SIGALRM, deadline)
    signal.alarm(deadline_s)
    try:
        require_root_and_tools(extra_tools)
        lab.up()
        log(f"  namespaces {lab.ns['caller']} | {lab.ns['sbc']} | {lab.ns['callee']}; work dir {work}")
        lab.start_relay()
        lab.start_captures()
        lab.preflight_arp()
        body(lab, rep)
    except Failure as e:
        rep.fail("the lab ran", str(e))
    except KeyboardInterrupt as e:
        rep.fail("the lab ran", f"interrupted ({e})")
    finally:
        signal.alarm(0)
        try:
            if rep.failed:
                lab.show_logs()
        finally:
            # teardown must not be interrupted half way
            for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(s, signal.SIG_IGN)
            lab.down()
            for s, h in old.items():
                signal.signal(s, h)
            signal.signal(signal.SIGALRM, old_alarm)
            if opts.keep:
                log(f"  kept {work} (captures: caller-media0.pcap, callee-media0.pcap; logs)")
            else:
                shutil.rmtree(work, ignore_errors=True)
    took = time.monotonic() - t0
    global LAST_REPORT
    LAST_REPORT = rep
    if rep.failed:
        log(f"RESULT {title}: FAIL ({len(rep.failed)} of {len(rep.passed) + len(rep.failed)} checks failed, "
            f"{took:.1f} s)")
        for name, problems in rep.failed:
            log(f"  - {name}: {problems[0].splitlines()[0] if problems and problems[0] else ''}")
    else:
        log(f"RESULT {title}: PASS ({len(rep.passed)} checks, {took:.1f} s)")
    return rep.ok
