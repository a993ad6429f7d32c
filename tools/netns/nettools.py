#!/usr/bin/env python3
"""Small packet tools the netns lab runs inside a namespace (python3 stdlib, root).

  nettools.py arp-probe --dev media0 --target 10.10.2.1 [--timeout 3]
      Sends ARP requests for TARGET from DEV's own address and prints "TARGET is-at MAC"
      when an answer comes (exit 0), or "no answer" (exit 1). It checks that the SBC's
      media address answers ARP (a DPDK port has no kernel IP: the relay must answer).

  nettools.py send-rtp --src IP:PORT --dst IP:PORT --count N [--ssrc 0x..] [--interval-ms 20]
      Sends N RTP packets (PCMA, 160 bytes of silence, the given SSRC, sequence from 1)
      from SRC to DST over a UDP socket bound to SRC: a spoofing third party, or a sender
      that outlives its call. Prints "sent N".
"""

from __future__ import annotations

import argparse
import fcntl
import socket
import struct
import sys
import time


def iface_ipv4(dev: str) -> bytes:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        return fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", dev.encode()[:15]))[20:24]  # SIOCGIFADDR
    finally:
        s.close()


def arp_probe(dev: str, target: str, timeout: float) -> int:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    sock.bind((dev, 0))
    mac = sock.getsockname()[4]
    ip = iface_ipv4(dev)
    tip = socket.inet_aton(target)
    req = (b"\xff" * 6 + mac + struct.pack(">H", 0x0806)
           + struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + b"\0" * 6 + tip)
    deadline = time.monotonic() + timeout
    next_send = 0.0
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_send:
            sock.send(req)
            next_send = now + 0.5
        sock.settimeout(max(0.01, min(next_send, deadline) - time.monotonic()))
        try:
            frame = sock.recv(128)
        except socket.timeout:
            continue
        if len(frame) >= 42 and frame[12:14] == b"\x08\x06" and struct.unpack(">H", frame[20:22])[0] == 2 \
                and frame[28:32] == tip:
            print(f"{target} is-at {frame[22:28].hex(':')}")
            return 0
    print(f"{target}: no answer on {dev} within {timeout:.1f} s")
    return 1


def hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def send_rtp(src: str, dst: str, count: int, ssrc: int, interval_ms: int) -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(hostport(src))
    to = hostport(dst)
    start = time.monotonic()
    for i in range(count):
        pkt = struct.pack(">BBHII", 0x80, 8, (1 + i) & 0xFFFF, (160 * i) & 0xFFFFFFFF, ssrc) + b"\xd5" * 160
        s.sendto(pkt, to)
        due = start + (i + 1) * interval_ms / 1000
        time.sleep(max(0.0, due - time.monotonic()))
    print(f"sent {count}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("arp-probe")
    a.add_argument("--dev", required=True)
    a.add_argument("--target", required=True)
    a.add_argument("--timeout", type=float, default=3.0)
    r = sub.add_parser("send-rtp")
    r.add_argument("--src", required=True)
    r.add_argument("--dst", required=True)
    r.add_argument("--count", type=int, required=True)
    r.add_argument("--ssrc", type=lambda v: int(v, 0), default=0x5BC00001)
    r.add_argument("--interval-ms", type=int, default=20)
    args = ap.parse_args()
    if args.cmd == "arp-probe":
        return arp_probe(args.dev, args.target, args.timeout)
    return send_rtp(args.src, args.dst, args.count, args.ssrc, args.interval_ms)


if __name__ == "__main__":
    sys.exit(main())
