"""tools/lab-netns testpmd: DPDK testpmd pushes UDP through a stream the SBC anchors.

How it goes:
  1. The lab as for `run` (namespaces, sbcd, captures, the ARP check). The ARP answer gives
     the MAC of the SBC's access media port (what the generator must address).
  2. One SIPp call is set up and kept up for the whole measurement (its talk pause covers
     it). Both sides play a short burst of G.711 RTP first: the relay latches both
     endpoints (caller 10.10.2.10:6000, callee 10.10.4.10:6000), and the captures show the
     anchored ports (the caller sends to 10.10.2.1:Pa, the callee to 10.10.4.1:Pb). The
     captures then stop (testpmd's rates would drown tcpdump).
  3. In the callee's namespace, testpmd `5tswap` on media0 (net_af_packet) reflects every
     packet the SBC relays to the callee: swapped MACs, IPs and ports, so the reflected
     packet goes back to 10.10.4.1:Pb from the callee's latched address, and the SBC relays
     it back to the caller. The callee's kernel keeps its address on media0 and answers the
     relay's ARP for 10.10.4.10.
  4. In the caller's namespace, a testpmd generator on media0 sends toward 10.10.2.1:Pa
     from the caller's latched address 10.10.2.10:6000, for --seconds:
       --gen pcap    (default) net_pcap replays (infinite_rx) Ethernet frames of real RTP
                     (G.711, version 2) that the lab writes for this stream, forwarded `io`
                     onto net_af_packet: what a relay that validates RTP will relay;
       --gen txonly  testpmd txonly --tx-ip 10.10.2.10,10.10.2.1 --tx-udp 6000,Pa
                     --eth-peer 0,<SBC MAC>: plain UDP whose payload is zeros, i.e. not RTP
                     version 2: a relay that validates RTP drops it all (malformed), which
                     this mode then shows.
  5. What went through comes from the veth counters (exact): generated = the caller's
     media0 TX, relayed to the callee = the callee's media0 RX, reflected = the callee's
     media0 TX, back at the caller = the caller's media0 RX; plus testpmd's own statistics
     and the relay's counters (sbcd's log, when it writes them) after the call ends.
All three DPDK processes (sbcd's relay lcore and two testpmds) share the machine's cores: the
rates say what fits on this machine, not what the relay does on a NIC.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import struct
import time
from pathlib import Path

import netnslab as L
from netnslab import A

WARMUP_PACKETS = 25


def link_stats(lab: L.Lab, role: str) -> dict:
    out = L.run(["ip", "-s", "-j", "link", "show", "media0"], lab.ns[role])
    s = json.loads(out)[0]["stats64"]
    return {"rx": s["rx"]["packets"], "tx": s["tx"]["packets"], "rx_drop": s["rx"]["dropped"]}


def mac_bytes(mac: str) -> bytes:
    return bytes(int(x, 16) for x in mac.split(":"))


def write_rtp_frames(path: Path, count: int, dst_mac: str, src_mac: str, src: tuple, dst: tuple,
                     ssrc: int = 0x7E570001) -> None:
    """`count` Ethernet/IPv4/UDP/RTP (G.711 A-law, 160 bytes) frames with correct checksums."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(count):
        rtp = struct.pack(">BBHII", 0x80, 8, i & 0xFFFF, (160 * i) & 0xFFFFFFFF, ssrc) + b"\xd5" * 160
        ulen = 8 + len(rtp)
        sip, dip = bytes(map(int, src[0].split("."))), bytes(map(int, dst[0].split(".")))
        udp = struct.pack(">HHHH", src[1], dst[1], ulen, 0) + rtp
        csum = 0xFFFF - L._csum(sip + dip + struct.pack(">BBH", 0, 17, ulen) + udp)
        udp = udp[:6] + struct.pack(">H", csum or 0xFFFF) + udp[8:]
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0xB8, 20 + ulen, i & 0xFFFF, 0x4000, 64, 17, 0, sip, dip)
        ip = ip[:10] + struct.pack(">H", 0xFFFF - L._csum(ip)) + ip[12:]
        frame = mac_bytes(dst_mac) + mac_bytes(src_mac) + b"\x08\x00" + ip + udp
        out += struct.pack("<IIII", 1_700_000_000, i, len(frame), len(frame)) + frame
    path.write_bytes(bytes(out))


def testpmd_totals(text: str) -> dict:
    """testpmd's accumulated RX/TX packets at exit."""
    block = text[text.rfind("Accumulated forward statistics"):] if "Accumulated forward" in text else ""
    out = {}
    for key in ("RX-packets", "TX-packets", "RX-dropped", "TX-dropped"):
        m = re.search(rf"{key}:\s*(\d+)", block)
        if m:
            out[key] = int(m.group(1))
    return out


def main(args, opts: L.Options) -> int:
    seconds = max(2, min(args.seconds, 120))
    gen = args.gen

    def body(lab: L.Lab, rep: L.Report) -> None:
        sbc_mac = lab.arp_probe("caller", A.sbc_access_media)
        if sbc_mac is None:
            raise L.Failure(f"no ARP answer for {A.sbc_access_media}")
        talk_ms = (seconds + 20) * 1000  # the call outlives both testpmds' start, run and stop
        plan = L.CallPlan("uac_call.xml", "uas_call.xml",
                          {"PCAP_UAC": (WARMUP_PACKETS, 0xCA110001), "PCAP_UAS": (WARMUP_PACKETS, 0xCA11EE01)},
                          {"TALK_MS": talk_ms}, calls=1, rate=1, limit=1, timeout_s=talk_ms // 1000 + 30)
        ports: dict = {}
        stats: dict = {}

        def during(lab: L.Lab) -> None:
            ports["a"] = lab.anchored_port("caller", 15)
            ports["b"] = lab.anchored_port("callee", 15)
            time.sleep(WARMUP_PACKETS * 0.02 + 0.5)  # both warm-up bursts relayed: latched
            lab.stop_captures()
            caller_port = lab.media_port("caller")
            L.log(f"  anchored: caller -> {A.sbc_access_media}:{ports['a']}, callee -> {A.sbc_core_media}:{ports['b']}; "
                  f"SBC access MAC {sbc_mac}")
            eal = ["--no-huge", "-m", "512", "--no-pci", "-l", "0,1"]
            refl = lab.start("testpmd 5tswap", "callee", [
                "dpdk-testpmd", *eal, "--file-prefix", f"tp-refl-{lab.run_id}",
                "--vdev=net_af_packet0,iface=media0", "--",
                "--total-num-mbufs=16384", "--forward-mode=5tswap", "--stats-period=1"], "testpmd-reflector.log")
            L.wait_for(lambda: "packet forwarding - ports=" in refl.text(), 30, "testpmd 5tswap to start", refl)
            if gen == "pcap":
                frames = lab.work / "generator.pcap"
                write_rtp_frames(frames, 2048, sbc_mac, L.MAC[("caller", "media0")],
                                 (A.caller_media, caller_port), (A.sbc_access_media, ports["a"]))
                argv = ["dpdk-testpmd", *eal, "--file-prefix", f"tp-gen-{lab.run_id}",
                        f"--vdev=net_pcap0,rx_pcap={frames},infinite_rx=1", "--vdev=net_af_packet0,iface=media0",
                        "--", "--total-num-mbufs=16384", "--forward-mode=io", "--stats-period=1"]
            else:
                argv = ["dpdk-testpmd", *eal, "--file-prefix", f"tp-gen-{lab.run_id}",
                        "--vdev=net_af_packet0,iface=media0", "--",
                        "--total-num-mbufs=16384", "--forward-mode=txonly", "--txpkts=214",
                        f"--tx-ip={A.caller_media},{A.sbc_access_media}", f"--tx-udp={caller_port},{ports['a']}",
                        f"--eth-peer=0,{sbc_mac}", "--stats-period=1"]
            stats["before_caller"] = link_stats(lab, "caller")
            stats["before_callee"] = link_stats(lab, "callee")
            genp = lab.start(f"testpmd {gen}", "caller", argv, "testpmd-generator.log")
            L.wait_for(lambda: "packet forwarding - ports=" in genp.text(), 30, "the testpmd generator to start",
                       genp)
            L.log(f"  testpmd generator ({gen}) -> {A.sbc_access_media}:{ports['a']} from "
                  f"{A.caller_media}:{caller_port} for {seconds} s; testpmd 5tswap reflects at the callee")
            t0 = time.monotonic()
            time.sleep(seconds)
            genp.stop(signal.SIGINT, 15)
            took = time.monotonic() - t0
            time.sleep(1.0)  # what is in flight comes back
            refl.stop(signal.SIGINT, 15)
            stats["after_caller"] = link_stats(lab, "caller")
            stats["after_callee"] = link_stats(lab, "callee")
            stats["took"] = took
            stats["gen"] = testpmd_totals(genp.text())
            stats["refl"] = testpmd_totals(refl.text())

        out = L.place_calls(lab, plan, rep, during=during)
        rc = lab.stop_relay()
        rep.check(f"sbcd stops cleanly on SIGTERM (exit {rc})",
                  [] if rc == 0 else ["it had to be killed" if rc is None else f"exit code {rc}"])
        if "after_caller" not in stats:
            raise L.Failure("the measurement did not run")
        bc, ac, be, ae = stats["before_caller"], stats["after_caller"], stats["before_callee"], stats["after_callee"]
        generated = ac["tx"] - bc["tx"]
        to_callee = ae["rx"] - be["rx"]
        reflected = ae["tx"] - be["tx"]
        back = ac["rx"] - bc["rx"]
        took = stats["took"]
        relay = lab.relay_stats()
        L.log("")
        L.log(f"  testpmd through the SBC: generator {gen}, {took:.1f} s, one anchored call "
              f"(caller {A.caller_media}:{lab.media_port('caller')} -> {A.sbc_access_media}:{ports['a']} | "
              f"{A.sbc_core_media}:{ports['b']} -> callee)")
        rows = [("generated at the caller (media0 TX)", generated),
                ("relayed by the SBC to the callee (media0 RX)", to_callee),
                ("reflected by testpmd 5tswap (media0 TX)", reflected),
                ("relayed by the SBC back to the caller (RX)", back)]
        for name, n in rows:
            L.log(f"  {name:<48}{n:>12}{n / took:>12.0f} pps")
        L.log(f"  {'through the SBC, caller -> callee':<48}{(100.0 * to_callee / generated if generated else 0):>11.2f}%")
        L.log(f"  {'through the SBC, callee -> caller':<48}{(100.0 * back / reflected if reflected else 0):>11.2f}%")
        L.log(f"  testpmd generator: {stats['gen'] or 'no totals'}; reflector: {stats['refl'] or 'no totals'}")
        if relay.exposed():
            drops = {r: relay.drops(r) for r in L.DROP_REASONS if relay.drops(r)}
            L.log(f"  relay: caller->callee {relay.from_a}, callee->caller {relay.from_b}, drops {drops or 'none'}")
        else:
            L.log("  relay counters: not exposed in sbcd's log")
        L.log("")
        rep.check(f"the generator sent ({generated} packets)", [] if generated > 0 else ["nothing left the caller"])
        # The veth counters include a few ARP frames: "went through" means at least 100 packets.
        rep.check(f"the SBC relayed the generated stream to the callee ({to_callee} packets)",
                  [] if to_callee >= 100 else
                  ["nothing: " + ("testpmd txonly's payload is not RTP version 2, which the relay drops as malformed"
                                  if gen == "txonly" else "see sbcd's log")])
        rep.check(f"the SBC relayed the reflected stream back to the caller ({back} packets)",
                  [] if back >= 100 else ["nothing came back" if to_callee < 100 else "(almost) nothing came back"])
        _ = out

    ok = L.run_lab(opts, f"testpmd {gen} through an anchored call", body, seconds + 150,
                   extra_tools=[("dpdk-testpmd", "dpdk")])
    # testpmd leaves its EAL runtime directory behind when it is stopped: the lab made them.
    for prefix in ("tp-gen", "tp-refl"):
        shutil.rmtree(f"/var/run/dpdk/{prefix}-{os.getpid()}", ignore_errors=True)
    return 0 if ok else 1
