#!/usr/bin/env python3
"""A stand-in for the DPDK media relay, to check the netns lab itself (tools/lab-netns
--relay mock). NOT the product: it is what the lab expects of the relay, in 100 lines of
kernel sockets, so the topology, the SIPp calls with RTP, the captures, the injections and
every check can run before the relay exists.

One anchored stream with two sides: A (the caller's realm, --a IP:PORT) and B (the
callee's, --b IP:PORT). A packet that arrives on one side goes out of the other side's
socket (so from the SBC's address there) to that side's peer: the source latched from
the peer's first packet, else the signaled address (--a-peer/--b-peer). Once a side has
latched, packets from any other source are dropped (unexpected_source). Not RTP version 2:
dropped (malformed). SIGUSR1 deletes the session (what a BYE does): every later packet is
dropped (no_session). SIGTERM: the counters, then exit 0.

--fault makes it misbehave the way a relay could, to show that the tests catch it:
  no-latch        sends to the signaled address only and accepts any source
  relatch         follows the latest source (hijackable)
  keep-after-bye  ignores the session's deletion
  drop-first      drops the first 3 packets of each direction (as if ARP were resolved late)

It logs what sbcd logs (see tools/netns/netnslab.py RelayStats):
  event=ready
  event=media_latched call=1 stream=0 from=A|B source=IP:PORT
  event=media_session_end call=1 stream=0 from_a_packets=N from_a_drops_<reason>=N
      from_b_packets=N ...      (as sbcd logs it: per call, when the session is deleted)
  event=media_stopped rx_packets=N relayed=N drop_<reason>=N   (at SIGTERM)
"""

from __future__ import annotations

import argparse
import select
import signal
import socket
import sys

REASONS = ("malformed", "no_session", "unexpected_source", "no_route", "tx_full", "srtp_auth",
           "srtp_replay", "srtp_error")


def hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def say(line: str) -> None:
    print(line, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--a-peer", required=True)
    ap.add_argument("--b-peer", required=True)
    ap.add_argument("--fault", default="", choices=["", "no-latch", "relatch", "keep-after-bye", "drop-first"])
    args = ap.parse_args()
    fault = args.fault

    socks = {}
    for side in ("a", "b"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(hostport(getattr(args, side)))
        s.setblocking(False)
        socks[side] = s
    signaled = {"a": hostport(args.a_peer), "b": hostport(args.b_peer)}
    latched: dict[str, tuple[str, int] | None] = {"a": None, "b": None}
    relayed = {"a": 0, "b": 0}
    drops = {side: {r: 0 for r in REASONS} for side in ("a", "b")}
    state = {"live": True, "stop": False, "ended": False}

    def session_end() -> None:
        if state["ended"]:
            return
        state["ended"] = True
        parts = ["event=media_session_end call=1 stream=0"]
        for side in ("a", "b"):
            parts.append(f"from_{side}_packets={relayed[side]}")
            parts += [f"from_{side}_drops_{r}={n}" for r, n in drops[side].items()]
            if latched[side]:
                parts.append(f"from_{side}_latched={latched[side][0]}:{latched[side][1]}")
        say(" ".join(parts))

    def on_usr1(_s, _f) -> None:
        if fault == "keep-after-bye":
            return
        state["live"] = False
        session_end()

    def on_term(_s, _f) -> None:
        state["stop"] = True

    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    say(f"event=ready a={args.a} b={args.b}")
    by_fd = {s.fileno(): side for side, s in socks.items()}
    while not state["stop"]:
        try:
            ready, _, _ = select.select(list(socks.values()), [], [], 0.2)
        except InterruptedError:
            continue
        for s in ready:
            side = by_fd[s.fileno()]
            other = "b" if side == "a" else "a"
            while True:
                try:
                    data, src = s.recvfrom(2048)
                except (BlockingIOError, InterruptedError):
                    break
                if not state["live"]:
                    drops[side]["no_session"] += 1
                    continue
                if len(data) < 12 or data[0] >> 6 != 2:
                    drops[side]["malformed"] += 1
                    continue
                if fault == "no-latch":
                    pass
                elif latched[side] is None or fault == "relatch":
                    if latched[side] != src:
                        say(f"event=media_latched call=1 stream=0 from={side.upper()} source={src[0]}:{src[1]}")
                    latched[side] = src
                elif src != latched[side]:
                    drops[side]["unexpected_source"] += 1
                    continue
                if fault == "drop-first" and relayed[side] + drops[side]["no_route"] < 3:
                    drops[side]["no_route"] += 1
                    continue
                try:
                    socks[other].sendto(data, latched[other] or signaled[other])
                    relayed[side] += 1
                except BlockingIOError:
                    drops[side]["tx_full"] += 1
    if state["live"]:
        session_end()
    total = {r: drops["a"][r] + drops["b"][r] for r in REASONS}
    relayed_all = relayed["a"] + relayed["b"]
    say(f"event=media_stopped rx_packets={relayed_all + sum(total.values())} relayed={relayed_all} "
        + " ".join(f"drop_{r}={n}" for r, n in total.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
