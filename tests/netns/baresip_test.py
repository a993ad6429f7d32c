#!/usr/bin/env python3
"""A real softphone through sbcd: baresip 1.0 (Debian baresip-core) calls baresip.

    baresip_test.py --sbcd build/bin/sbcd --config config/lab/netns.yaml [--keep]

The three-namespace lab (tools/netns/netnslab.py) with the real sbcd and its DPDK relay
anchoring media: baresip "alice" in sbc-caller (SIP 10.10.1.10:5060, RTP on media0
10.10.2.10) dials sip:bob@10.10.1.1; sbcd routes it to the trunk 10.10.3.10:5080, where
baresip "bob" in sbc-callee (RTP on media0 10.10.4.10) answers automatically. Both are
configured non-interactively (a config dir with `config` and `accounts`; no audio device):
each plays a sine tone from a WAV (`aufile`: alice 1000 Hz, bob 600 Hz, generated here with
the wave module) and dumps what it decoded (`sndfile`); the player is an unconnected
`aubridge` device. Checks:
  - the call is established on both sides (baresip's first INVITE carries "Supported:"
    with no option tag: sbcd must not refuse it) and ends with the caller's BYE;
  - each side decoded the other's tone: the dominant frequency of its decoded WAV (a
    Goertzel scan in pure Python) is the other side's, over at least 2 s of audio;
  - media was anchored: every RTP packet each endpoint sent or received went to or came
    from the SBC's media address on its link, none names the other side;
  - neither side learned the other: no address of the other side, no "baresip"
    (User-Agent, Server, a=tool) and no a=ssrc cname of the other side in any SIP message or
    SDP it received (from baresip's own SIP trace, -s), and no message with two Allow
    headers (the SBC's and the other side's).
It needs root, baresip, and an sbcd with its media plane: without them it FAILS, never skips.
About 20 s; bounded by --deadline.
"""

from __future__ import annotations

import argparse
import math
import re
import struct
import sys
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(ROOT / "tools" / "netns"))
import netnslab as L  # noqa: E402
from netnslab import A  # noqa: E402

RATE = 8000
TONE_HZ = {"caller": 1000, "callee": 600}
CALL_S = 8  # the caller hangs up (baresip -t) this long after it started
MIN_AUDIO_S = 2.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def write_tone(path: Path, hz: int, seconds: int = 30) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / RATE)))
                               for i in range(RATE * seconds)))


def read_wav(path: Path) -> tuple[int, list[int]]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise L.Failure(f"{path}: {8 * w.getsampwidth()}-bit samples, expected 16")
        n, ch = w.getnframes(), w.getnchannels()
        samples = struct.unpack(f"<{n * ch}h", w.readframes(n))[::ch]
        return w.getframerate(), list(samples)


def goertzel(block: list[int], rate: int, hz: float) -> float:
    k = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in block:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def dominant_hz(block: list[int], rate: int) -> int:
    """The strongest of 100..3500 Hz in 10 Hz steps."""
    return max(range(100, 3510, 10), key=lambda hz: goertzel(block, rate, hz))


def loud_samples(samples: list[int], rate: int) -> list[int]:
    """The 20 ms frames that carry sound (what a decoder wrote while media flowed)."""
    frame = rate // 50
    out: list[int] = []
    for i in range(0, len(samples) - frame + 1, frame):
        f = samples[i:i + frame]
        if math.sqrt(sum(x * x for x in f) / frame) > 1000:
            out += f
    return out


def config_dir(work: Path, role: str, listen: str, tone: Path, account: str) -> Path:
    d = work / f"baresip-{role}"
    (d / "dump").mkdir(parents=True)
    (d / "config").write_text(f"""poll_method epoll
sip_listen {listen}
net_interface media0
audio_player aubridge,nil
audio_alert aubridge,nil
audio_source aufile,{tone}
rtcp_mux no
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module sndfile.so
module account.so
module_app menu.so
snd_path {d / 'dump'}
""")
    (d / "accounts").write_text(account + "\n")
    return d


def received_messages(trace: str, me: str) -> list[str]:
    """The SIP messages baresip's -s trace shows as received at `me` (ip:port)."""
    out = []
    # Each traced message is "ESC[36;1m#\n<proto> <from> -> <to>\n<message>ESC[;m".
    for m in re.finditer(r"\x1b\[36;1m#\n(?:UDP|TCP) (\S+) -> (\S+)\n(.*?)\x1b\[;m", trace, re.S):
        if m.group(2) == me:
            out.append(m.group(3))
    return out


def ssrc_cnames(messages: list[str]) -> set[str]:
    return {c for msg in messages for c in re.findall(r"a=ssrc:\d+ cname:(\S+)", msg)}


def body(lab: L.Lab, rep: L.Report) -> None:
    work = lab.work
    tones = {}
    for role, hz in TONE_HZ.items():
        tones[role] = work / f"tone-{role}-{hz}hz.wav"
        write_tone(tones[role], hz)
    caller_sip = f"{A.caller_sig}:{A.sip_port}"
    callee_sip = f"{A.callee_sig}:{A.callee_sip_port}"
    dirs = {
        "caller": config_dir(work, "caller", caller_sip, tones["caller"],
                             f"<sip:alice@{A.caller_sig}>;regint=0;audio_codecs=PCMU"),
        "callee": config_dir(work, "callee", callee_sip, tones["callee"],
                             f"<sip:bob@{A.callee_sig}:{A.callee_sip_port}>;regint=0;answermode=auto;"
                             "audio_codecs=PCMU"),
    }
    callee = lab.start("baresip (callee)", "callee", ["baresip", "-f", str(dirs["callee"]), "-s"],
                       "baresip-callee.log")
    L.wait_for(lambda: "baresip is ready" in callee.text(), 10, "baresip (callee) to be ready", callee)
    caller = lab.start("baresip (caller)", "caller",
                       ["baresip", "-f", str(dirs["caller"]), "-s", "-e", f"/dial sip:bob@{A.sbc_access_sig}",
                        "-t", str(CALL_S)], "baresip-caller.log")
    try:
        L.wait_for(lambda: "Call established" in caller.text() and "Call established" in callee.text(),
                   10, "both baresips to report the call established", caller)
        rep.check("the call is established on both sides", [])
    except L.Failure as e:
        answers = [m.splitlines()[0] for m in received_messages(caller.text(), caller_sip)]
        rep.fail("the call is established on both sides", f"the caller got {answers[:3]}; {e}")
        return
    rc = caller.wait(CALL_S + 10)
    L.wait_for(lambda: "terminated" in callee.text(), 10, "the callee to see the call end", callee)
    callee.stop()
    rep.check(f"the caller hung up and exited (exit {rc}); the callee saw the call end", [] if rc == 0 else
              [f"baresip (caller) exit code {rc}"])
    traces = {"caller": caller.text(), "callee": callee.text()}
    rep.check("the caller's BYE reached the callee",
              [] if any(m.startswith("BYE ") for m in received_messages(traces["callee"], callee_sip))
              else ["no BYE in the callee's trace"])

    # Audio: each side decoded the other side's tone.
    for role, other in (("caller", "callee"), ("callee", "caller")):
        dumps = sorted((dirs[role] / "dump").glob("*-dec.wav"))
        if not dumps:
            rep.fail(f"the {role} decoded the {other}'s {TONE_HZ[other]} Hz tone", "sndfile wrote no *-dec.wav")
            continue
        rate, samples = read_wav(dumps[-1])
        loud = loud_samples(samples, rate)
        seconds = len(loud) / rate
        half = rate // 2
        windows = [loud[i:i + half] for i in range(0, len(loud) - half + 1, half)]
        peaks = [dominant_hz(w, rate) for w in windows]
        wrong = [p for p in peaks if abs(p - TONE_HZ[other]) > 20]
        rep.check(f"the {role} decoded the {other}'s {TONE_HZ[other]} Hz tone: {seconds:.1f} s of sound, "
                  f"dominant {sorted(set(peaks))} Hz over {len(peaks)} half-second windows",
                  ([f"only {seconds:.1f} s of decoded sound (want >= {MIN_AUDIO_S})"] if seconds < MIN_AUDIO_S else [])
                  + ([f"{len(wrong)} windows peak elsewhere: {wrong[:5]}"] if wrong else []))

    # Media anchored: RTP only between each endpoint and the SBC's media address.
    caps, _ = L.finish(lab, rep)
    L.check_sources(rep, caps, lab.relay)
    L.check_no_direct(rep, caps)

    # Nothing of one side reached the other (SIP or SDP).
    sent_cnames = {role: {c for c in re.findall(r"a=ssrc:\d+ cname:(\S+)", ANSI.sub("", traces[role]))
                          if ("alice" if role == "caller" else "bob") in c} for role in traces}
    for role, me, other, other_ips in (
            ("callee", callee_sip, "caller", (A.caller_sig, A.caller_media)),
            ("caller", caller_sip, "callee", (A.callee_sig, A.callee_media))):
        got = received_messages(traces[role], me)
        problems = [] if got else [f"the {role}'s trace shows no received message"]
        for msg in got:
            first = msg.splitlines()[0] if msg else ""
            for ip in other_ips:
                if re.search(rf"(?<![0-9.]){re.escape(ip)}(?![0-9])", msg):
                    problems.append(f"{first}: names {ip}")
            for line in msg.splitlines():
                if "baresip" in line.lower() or line.startswith("a=tool"):
                    problems.append(f"{first}: {line.strip()}")
        for msg in got:
            allow = re.findall(r"^Allow:", msg, re.M | re.I)
            if len(allow) > 1:
                problems.append(f"{msg.splitlines()[0]}: {len(allow)} Allow headers")
        leaked = ssrc_cnames(got) & sent_cnames[other]
        problems += [f"a=ssrc cname {c} of the {other} crossed" for c in sorted(leaked)]
        if not sent_cnames[other]:
            problems.append(f"the {other} sent no a=ssrc cname (the check would see nothing)")
        rep.check(f"the {role} saw nothing of the {other} in {len(got)} SIP messages/SDP (no {'/'.join(other_ips)}, "
                  f"no User-Agent/Server/a=tool 'baresip', no cname {'/'.join(sorted(sent_cnames[other]))}, "
                  "one Allow at most)",
                  problems)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sbcd", type=Path, required=True)
    ap.add_argument("--config", type=Path, default=ROOT / "config" / "lab" / "netns.yaml")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (captures, logs, WAV dumps)")
    ap.add_argument("--deadline", type=int, default=60)
    args = ap.parse_args()
    opts = L.Options(sbcd=args.sbcd, config=args.config, relay="anchor", keep=args.keep)
    ok = L.run_lab(opts, "baresip calls baresip through sbcd (media anchored)", body, deadline_s=args.deadline,
                   extra_tools=[("baresip", "baresip-core")])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
