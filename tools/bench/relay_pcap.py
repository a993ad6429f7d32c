#!/usr/bin/env python3
"""Deterministic pcap of G.711-sized RTP for the relay benchmark (tools/bench/relay).

    relay_pcap.py --sessions N --out FILE.pcap --layout FILE.tsv [options]

Writes FILE.pcap: Ethernet/IPv4/UDP frames of 214 bytes (UDP payload 172 = 12-byte RTP
header + 160 bytes of A-law silence), every frame addressed to one session's A-side
(realm "a") local address and RTP port, cycling over the N sessions: frame k belongs to
session k mod N, round k div N; each session has its own SSRC and its RTP sequence number
and timestamp increase by 1 and 160 from one round to the next. Replayed in a loop
(net_pcap infinite_rx), a session's sequence steps back once per pass of the file.

Writes FILE.tsv, the session layout the relay driver (sbc-bench-relay) reads, one line per
session:  id  a_local  a_remote  b_local  b_remote  (each ip:port), with a header line. The
same layout, for session i (0-based), with P = number of even ports in [port-min, 65534]:
  a_local  = (A-side local IP number i div P):(port-min + 2 * (i mod P))
  a_remote = (A-side peer IP number i div P):(same port)    frames come from here
  b_local  = (B-side local IP number i div P):(same port)
  b_remote = (B-side peer IP number i div P):(same port)    relayed frames go there
So up to P sessions use only the first local address of each side (the interface
address); 100,000 sessions with the defaults use 4 (10.1.0.1..10.1.0.4 and 10.2.0.1..4).

The number of frames: --packets-per-session if given, else enough rounds for at least
--min-frames frames (and at least 2 rounds when that fits under --max-frames). Every
frame of the file is held in memory by net_pcap (one mbuf each): keep the file small.
Only the standard library; the output depends only on the arguments.
"""

import argparse
import ipaddress
import struct
import sys

ETH_TYPE_IPV4 = 0x0800
RTP_PAYLOAD = 160  # 20 ms of G.711 at 8 kHz
RTP_PT_PCMA = 8


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError(f"bad MAC address '{text}'")
    return bytes(int(p, 16) for p in parts)


def ipv4(text):
    try:
        return ipaddress.IPv4Address(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def layout(i, per_ip, port_min, bases):
    """The four endpoints of session i: [(ip, port)] for a_local, a_remote, b_local, b_remote."""
    ip_index, slot = divmod(i, per_ip)
    port = port_min + 2 * slot
    return [(ipaddress.IPv4Address(int(b) + ip_index), port) for b in bases]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, required=True)
    ap.add_argument("--out", required=True, help="pcap file to write")
    ap.add_argument("--layout", required=True, help="session layout (TSV) to write")
    ap.add_argument("--packets-per-session", type=int, default=0)
    ap.add_argument("--min-frames", type=int, default=16384)
    ap.add_argument("--max-frames", type=int, default=262144)
    ap.add_argument("--port-min", type=int, default=2000, help="first RTP port (made even)")
    ap.add_argument("--a-local", type=ipv4, default=ipv4("10.1.0.1"), help="first A-side local IP")
    ap.add_argument("--a-remote", type=ipv4, default=ipv4("10.1.128.1"), help="first A-side peer IP")
    ap.add_argument("--b-local", type=ipv4, default=ipv4("10.2.0.1"), help="first B-side local IP")
    ap.add_argument("--b-remote", type=ipv4, default=ipv4("10.2.128.1"), help="first B-side peer IP")
    ap.add_argument("--dst-mac", type=mac_bytes, default=mac_bytes("02:00:00:00:01:01"),
                    help="the relay's realm-a MAC (frames are addressed to it)")
    ap.add_argument("--src-mac", type=mac_bytes, default=mac_bytes("02:00:00:00:01:fe"),
                    help="the A-side peer's MAC")
    a = ap.parse_args()

    n = a.sessions
    if n < 1:
        sys.exit("relay_pcap.py: --sessions must be at least 1")
    port_min = a.port_min + (a.port_min & 1)
    if not 1024 <= port_min <= 65534:
        sys.exit("relay_pcap.py: --port-min must be within 1024..65534")
    per_ip = (65534 - port_min) // 2 + 1
    if a.packets_per_session > 0:
        rounds = a.packets_per_session
    else:
        rounds = max(1, -(-a.min_frames // n))
        if rounds < 2 and 2 * n <= a.max_frames:
            rounds = 2
    frames = rounds * n
    if frames > a.max_frames and a.packets_per_session <= 0:
        rounds = max(1, a.max_frames // n)
        frames = rounds * n
    bases = [a.a_local, a.a_remote, a.b_local, a.b_remote]

    with open(a.layout, "w", encoding="ascii") as f:
        f.write("# id\ta_local\ta_remote\tb_local\tb_remote\n")
        for i in range(n):
            eps = layout(i, per_ip, port_min, bases)
            f.write(f"{i + 1}\t" + "\t".join(f"{ip}:{port}" for ip, port in eps) + "\n")

    eth = a.dst_mac + a.src_mac + struct.pack("!H", ETH_TYPE_IPV4)
    payload = bytes([0xD5]) * RTP_PAYLOAD  # A-law silence
    udp_len = 8 + 12 + RTP_PAYLOAD
    ip_len = 20 + udp_len
    frame_len = 14 + ip_len
    # Per session: the parts of the frame that do not change from round to round.
    heads = []
    for i in range(n):
        (lip, port), (rip, _), _, _ = layout(i, per_ip, port_min, bases)
        src, dst = rip.packed, lip.packed
        ident = i & 0xFFFF
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0xB8, ip_len, ident, 0x4000, 64, 17, 0, src, dst)
        iph = iph[:10] + struct.pack("!H", (~csum16(iph)) & 0xFFFF) + iph[12:]
        pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
        ssrc = 0x5BC00000 + i
        seq0 = (i * 7919) & 0xFFFF  # distinct start per session
        heads.append((eth + iph, port, pseudo, ssrc, seq0))

    with open(a.out, "wb") as f:
        # pcap global header: magic, v2.4, UTC offset 0, accuracy 0, snaplen, LINKTYPE_ETHERNET
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t_us = 0
        for r in range(rounds):
            for i in range(n):
                l23, port, pseudo, ssrc, seq0 = heads[i]
                rtp = struct.pack("!BBHII", 0x80, RTP_PT_PCMA, (seq0 + r) & 0xFFFF, 160 * r, ssrc)
                udp = struct.pack("!HHHH", port, port, udp_len, 0) + rtp + payload
                c = (~csum16(pseudo + udp)) & 0xFFFF
                udp = udp[:6] + struct.pack("!H", c or 0xFFFF) + udp[8:]
                f.write(struct.pack("<IIII", t_us // 1000000, t_us % 1000000, frame_len, frame_len))
                f.write(l23 + udp)
                t_us += 1
    print(f"relay_pcap: {frames} frames of {frame_len} bytes ({rounds} per session, {n} sessions, "
          f"up to {min(n, per_ip)} sessions per local IP, {-(-n // per_ip)} local IP(s) per side)")


if __name__ == "__main__":
    main()
