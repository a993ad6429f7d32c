#!/usr/bin/env python3
"""sbcd's Prometheus endpoint, scraped by a real Prometheus, during SIPp calls with RTP in the
three-namespace lab (tools/netns/netnslab.py).

    netns_metrics_test.py --sbcd build/bin/sbcd [--config config/lab/netns.yaml] [--calls 5] [--keep]

The lab as the basic case of netns_test.py builds it (sbcd in sbc-sbc-<pid> with the shipped
config, whose `metrics:` section serves http://127.0.0.1:9464/metrics on that namespace's
loopback), plus Debian's `prometheus` started inside the same namespace on
127.0.0.1:19090 with a generated config: job "sbc" scraping 127.0.0.1:9464 every second, the
repository's metrics/prometheus/sbc.rules.yml evaluated every second, its TSDB in the run's
work directory. Then:

  1. Prometheus has scraped sbcd (up{job="sbc"} == 1) before the first call, so every
     counter's start is in its TSDB.
  2. SIPp places N calls (default 5, 2 per second) with 2 s of G.711 RTP both ways; the
     test waits for them to end and for three more scrapes.
  3. Through Prometheus's HTTP API (/api/v1/query, from inside the namespace) the counters
     must equal what the lab knows, all at one evaluation time whose samples were scraped
     after the last RTP packet and SIP message:
       - SIP: for each method and code, the requests sbcd counted in from the caller's realm
         (access) = what the SIPp UAC sent, out to the trunk's realm (core) = what the SIPp
         UAS received, and likewise for responses (SIPp's -trace_msg logs, retransmissions
         included on both sides); INVITEs in >= calls placed;
       - calls: answered (per realm and in total) = the calls SIPp completed; no other
         result; setup and duration histograms one observation per answered call; no call
         or media session left active;
       - media: packets relayed (tx, over lcores) = the UDP packets the captures saw arriving
         at both endpoints from the SBC's media addresses = sbcd's own `relayed=` at SIGTERM;
         bytes relayed = the sum of those frames' lengths; rx >= tx and >= what the endpoints
         sent to the SBC; drops per reason = sbcd's `drop_<reason>=` at SIGTERM; loss and
         jitter histograms one observation per stream direction (2 per call), loss sum 0;
         each realm's DPDK port received and sent at least the RTP of its side;
       - up{job="sbc"} == 1, sbc_build_info and process_* present.
  4. Every PromQL expression of the dashboard and the rules (tools/metrics/promql_exprs.py;
     an alert's left-hand side, data_expr) returns a non-empty result with at least one
     number that is not NaN; every rule loaded by Prometheus is healthy and every
     recording rule has produced a series.
  5. One scrape of sbcd fetched directly passes `promtool check metrics`.

Root is needed (namespaces, DPDK af_packet); without it, or without sbcd, prometheus,
promtool, SIPp or tcpdump, it FAILS (never skips). Prometheus and every other process are
stopped by PID, also on failure; the namespaces go with them. Exit 0 only if every check held.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(ROOT / "tools" / "netns"))
import netnslab as L  # noqa: E402
from netnslab import A  # noqa: E402

RULES = ROOT / "metrics" / "prometheus" / "sbc.rules.yml"
PROMQL_EXPRS = ROOT / "tools" / "metrics" / "promql_exprs.py"
SBCD_METRICS = "http://127.0.0.1:9464/metrics"  # config/lab/netns.yaml `metrics:`
PROM_PORT = 19090  # inside the sbc namespace: its loopback is the run's own, always free
PROM = f"http://127.0.0.1:{PROM_PORT}"
SCRAPE_S = 1
PACKETS = 100  # 2 s of 20 ms G.711 per stream and call
TALK_MS = PACKETS * 20 + 800
SSRC_CALLER, SSRC_CALLEE = 0xCA110001, 0xCA11EE01
CALLER_REALM, CALLEE_REALM = "access", "core"

# Runs inside the sbc namespace: GETs each URL of a JSON list read on stdin, prints a JSON
# list of {status, body}. No proxy: the targets are this namespace's loopback.
HTTP_GET = r"""
import json, sys, urllib.error, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
out = []
for url in json.load(sys.stdin):
    try:
        with opener.open(url, timeout=10) as f:
            out.append({"status": f.status, "body": f.read().decode("utf-8", "replace")})
    except urllib.error.HTTPError as e:
        out.append({"status": e.code, "body": e.read().decode("utf-8", "replace")})
    except Exception as e:
        out.append({"status": 0, "body": "%s: %s" % (type(e).__name__, e)})
json.dump(out, sys.stdout)
"""


def http_get(lab: L.Lab, urls: list[str], timeout: float = 60) -> list[tuple[int, str]]:
    """GETs `urls` from inside the sbc namespace (one process for the batch)."""
    r = subprocess.run(["ip", "netns", "exec", lab.ns["sbc"], sys.executable, "-c", HTTP_GET],
                       input=json.dumps(urls).encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    if r.returncode != 0:
        raise L.Failure(f"the HTTP client in {lab.ns['sbc']} failed (exit {r.returncode}): "
                        f"{r.stderr.decode('utf-8', 'replace').strip()}")
    return [(x["status"], x["body"]) for x in json.loads(r.stdout)]


def query_url(expr: str, at: Optional[float] = None) -> str:
    import urllib.parse
    params = {"query": expr}
    if at is not None:
        params["time"] = f"{at:.3f}"
    return f"{PROM}/api/v1/query?" + urllib.parse.urlencode(params)


class QueryResult:
    def __init__(self, expr: str, status: int, body: str):
        self.expr = expr
        self.error: Optional[str] = None
        self.samples: list[tuple[dict, float]] = []  # (labels, value)
        self.sample_times: list[float] = []
        try:
            doc = json.loads(body)
        except ValueError:
            self.error = f"HTTP {status}: {body.strip()[:300]}"
            return
        if status != 200 or doc.get("status") != "success":
            self.error = f"HTTP {status}: {doc.get('errorType', '')} {doc.get('error', body.strip()[:300])}"
            return
        data = doc["data"]
        if data["resultType"] == "vector":
            for s in data["result"]:
                self.samples.append((s["metric"], float(s["value"][1])))
                self.sample_times.append(float(s["value"][0]))
        elif data["resultType"] == "scalar":
            self.samples.append(({}, float(data["result"][1])))
        else:
            self.error = f"unexpected result type {data['resultType']}"

    def values(self) -> list[float]:
        return [v for _, v in self.samples]

    def one(self) -> Optional[float]:
        """The value of a query that must return exactly one sample (a sum()), or None."""
        return self.samples[0][1] if len(self.samples) == 1 else None

    def by(self, label: str) -> dict[str, float]:
        return {m.get(label, ""): v for m, v in self.samples}


def query(lab: L.Lab, exprs: list[str], at: Optional[float]) -> list[QueryResult]:
    got = http_get(lab, [query_url(e, at) for e in exprs])
    return [QueryResult(e, s, b) for e, (s, b) in zip(exprs, got)]


def fmt(v: Optional[float]) -> str:
    if v is None:
        return "none"
    if math.isnan(v):
        return "NaN"
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else f"{v:.6g}"


# --------------------------------------------------------------------------------------
# Prometheus


def start_prometheus(lab: L.Lab) -> L.Proc:
    """Debian's prometheus inside the sbc namespace: job sbc on sbcd's endpoint, the
    repository's rules, every second; TSDB in the work directory."""
    etc = lab.work / "prometheus"
    etc.mkdir()
    shutil.copy(RULES, etc / "sbc.rules.yml")
    (etc / "prometheus.yml").write_text(f"""# generated by {Path(__file__).name}
global:
  scrape_interval: {SCRAPE_S}s
  scrape_timeout: {SCRAPE_S}s
  evaluation_interval: {SCRAPE_S}s
rule_files:
  - sbc.rules.yml
scrape_configs:
  - job_name: sbc
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:9464"]
""")
    check = subprocess.run(["promtool", "check", "config", str(etc / "prometheus.yml")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    if check.returncode != 0:
        raise L.Failure("promtool rejects the generated Prometheus config (or the rules it loads):\n"
                        + check.stdout.decode("utf-8", "replace"))
    prom = lab.start("prometheus", "sbc", [
        "prometheus", f"--config.file={etc / 'prometheus.yml'}",
        f"--storage.tsdb.path={lab.work / 'prometheus-data'}",
        f"--web.listen-address=127.0.0.1:{PROM_PORT}", "--log.level=info"], "prometheus.log", cwd=etc)
    took = L.wait_for(lambda: http_get(lab, [f"{PROM}/-/ready"])[0][0] == 200, 20,
                      f"prometheus to be ready on 127.0.0.1:{PROM_PORT}", prom, interval=0.2)
    L.log(f"  prometheus (pid {prom.pid}) ready in {took:.2f} s on 127.0.0.1:{PROM_PORT} in {lab.ns['sbc']}, "
          f"scraping {SBCD_METRICS} every {SCRAPE_S} s, rules {RULES.relative_to(ROOT)}")
    return prom


def show_prometheus_log(prom: Optional[L.Proc], lines: int = 20) -> None:
    if prom is None:
        return
    text = prom.text().splitlines()
    L.log(f"  --- prometheus.log (last {min(lines, len(text))} of {len(text)} lines) ---")
    for line in text[-lines:]:
        L.log(f"  | {line}")


# --------------------------------------------------------------------------------------
# What SIPp says it sent and received (-trace_msg)


def sipp_messages(path: Path) -> collections.Counter:
    """Counter of ("sent"|"received", "request"|"response", METHOD|code) from a SIPp
    -trace_msg log: every message on the wire, retransmissions included."""
    out: collections.Counter = collections.Counter()
    if not path.exists():
        raise L.Failure(f"SIPp wrote no message log {path}")
    for block in re.split(r"^-{20,}.*$", path.read_text(errors="replace"), flags=re.M):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if len(lines) < 2:
            continue
        m = re.match(r"\w+ message (sent|received)", lines[0])
        if not m:
            continue
        start = lines[1]
        r = re.match(r"SIP/2\.0 (\d{3})", start)
        if r:
            out[(m.group(1), "response", r.group(1))] += 1
        else:
            out[(m.group(1), "request", start.split()[0])] += 1
    return out


def sip_cross_check(rep: L.Report, sip: dict, uac: collections.Counter, uas: collections.Counter) -> None:
    """sbc_sip_requests/responses_total, per realm, direction and method/code, against SIPp."""
    # (realm, direction, kind) -> {method|code: count} from Prometheus
    # What sbcd received from the caller = what the UAC sent; what it sent to the caller =
    # what the UAC received; same for the trunk (the UAS).
    pairs = [
        (CALLER_REALM, "in", "request", "the SIPp UAC sent", uac, "sent"),
        (CALLER_REALM, "out", "response", "the SIPp UAC received", uac, "received"),
        (CALLER_REALM, "out", "request", "the SIPp UAC received", uac, "received"),
        (CALLER_REALM, "in", "response", "the SIPp UAC sent", uac, "sent"),
        (CALLEE_REALM, "out", "request", "the SIPp UAS received", uas, "received"),
        (CALLEE_REALM, "in", "response", "the SIPp UAS sent", uas, "sent"),
        (CALLEE_REALM, "in", "request", "the SIPp UAS sent", uas, "sent"),
        (CALLEE_REALM, "out", "response", "the SIPp UAS received", uas, "received"),
    ]
    for realm, direction, kind, who, counter, way in pairs:
        want = {key: n for (w, k, key), n in counter.items() if w == way and k == kind}
        have = {key: int(v) for key, v in sip[(realm, direction, kind)].items()}
        if not want and not have:
            continue
        family = "sbc_sip_requests_total" if kind == "request" else "sbc_sip_responses_total"
        label = "method" if kind == "request" else "code"
        shown = ", ".join(f"{k} {want.get(k, 0)}" for k in sorted(set(want) | set(have)))
        problems = [f"{label}={k}: Prometheus {have.get(k, 0)}, {who} {want.get(k, 0)}"
                    for k in sorted(set(want) | set(have)) if have.get(k, 0) != want.get(k, 0)]
        rep.check(f"{family}{{realm=\"{realm}\",direction=\"{direction}\"}} = what {who} ({shown})", problems)


# --------------------------------------------------------------------------------------
# The case


def make_body(calls: int, rate: float, figures: dict):
    def body(lab: L.Lab, rep: L.Report) -> None:
        prom: Optional[L.Proc] = None
        try:
            prom = start_prometheus(lab)
            measure(lab, rep, prom, calls, rate, figures)
        finally:
            if prom is not None:
                if not rep.ok:
                    show_prometheus_log(prom)
                rc, killed = prom.stop(signal.SIGTERM, 10)
                rep.check(f"prometheus (pid {prom.pid}) stops on SIGTERM (exit {rc})",
                          ["it had to be killed"] if killed else ([] if rc == 0 else [f"exit code {rc}"]))
    return body


def measure(lab: L.Lab, rep: L.Report, prom: L.Proc, calls: int, rate: float, figures: dict) -> None:
    # 1. a scrape before the first call: every counter's starting value is in the TSDB
    def scraped() -> bool:
        r = query(lab, ['up{job="sbc"}'], None)[0]
        return r.one() == 1
    took = L.wait_for(scraped, 15, 'Prometheus\'s first successful scrape of sbcd (up{job="sbc"} == 1)', prom,
                      interval=0.25)
    L.log(f"  first scrape of sbcd after {took:.2f} s")

    # 2. the calls
    plan = L.CallPlan("uac_call.xml", "uas_call.xml",
                      {"PCAP_UAC": (PACKETS, SSRC_CALLER), "PCAP_UAS": (PACKETS, SSRC_CALLEE)},
                      {"TALK_MS": TALK_MS}, calls=calls, rate=rate, limit=calls,
                      timeout_s=int(calls / rate + TALK_MS / 1000 + 20))
    out = L.place_calls(lab, plan, rep)
    calls_done = time.time()
    figures["placed"], figures["answered"] = out.placed, out.answered
    if out.answered is None:
        raise L.Failure("SIPp's statistics say nothing about the calls (no uac_stats.csv)")

    # ... and three scrapes after the last SIP message and RTP packet
    time.sleep(3 * SCRAPE_S)

    def fresh() -> bool:
        r = query(lab, ["timestamp(sbc_media_sessions_active)"], None)[0]
        return r.one() is not None and r.one() > calls_done + 2 * SCRAPE_S
    L.wait_for(fresh, 10, "a scrape 2 s after the calls ended", prom, interval=0.25)
    at = time.time()
    figures["at"] = at

    # 3. the figures, all at one evaluation time
    named = {
        "up": 'up{job="sbc"}',
        "answered": 'sum(sbc_calls_total{result="answered"})',
        "calls_by": "sbc_calls_total",
        "calls_active": "sum(sbc_calls_active)",
        "sip_req": "sbc_sip_requests_total",
        "sip_resp": "sbc_sip_responses_total",
        "invites_in": f'sum(sbc_sip_requests_total{{direction="in",method="INVITE",realm="{CALLER_REALM}"}})',
        "tx": 'sum(sbc_media_packets_total{direction="tx"})',
        "rx": 'sum(sbc_media_packets_total{direction="rx"})',
        "tx_bytes": 'sum(sbc_media_bytes_total{direction="tx"})',
        "rx_bytes": 'sum(sbc_media_bytes_total{direction="rx"})',
        "drops": "sbc_media_drops_total",
        "sessions": "sum(sbc_media_sessions_active)",
        "setup_count": "sum(sbc_call_setup_seconds_count)",
        "duration_count": "sum(sbc_call_duration_seconds_count)",
        "jitter_count": "sum(sbc_media_jitter_seconds_count)",
        "loss_count": "sum(sbc_media_packet_loss_ratio_count)",
        "loss_sum": "sum(sbc_media_packet_loss_ratio_sum)",
        "port_rx": "sbc_dpdk_port_rx_packets_total",
        "port_tx": "sbc_dpdk_port_tx_packets_total",
        "build": "sbc_build_info",
        "process": 'count({__name__=~"process_.+",job="sbc"})',
        "sample_time": "max(timestamp(sbc_media_packets_total))",
        # info: the first sample of a counter series (a series that only appears on its first
        # increment starts above 0, and rate()/increase() never see that first step)
        "invites_first": f'min_over_time(sbc_sip_requests_total{{direction="in",method="INVITE",'
                         f'realm="{CALLER_REALM}"}}[10m])',
        "answered_first": f'min_over_time(sbc_calls_total{{result="answered",realm="{CALLER_REALM}"}}[10m])',
    }
    results = dict(zip(named, query(lab, list(named.values()), at)))
    errors = [f"{r.expr}: {r.error}" for r in results.values() if r.error]
    if errors:
        raise L.Failure("Prometheus refused queries:\n  " + "\n  ".join(errors))
    figures["q"] = results

    # 4. every dashboard and rule expression
    exprs = [json.loads(line) for line in subprocess.run(
        [sys.executable, str(PROMQL_EXPRS)], stdout=subprocess.PIPE, check=True, timeout=30).stdout.decode().splitlines()
        if line.strip()]
    figures["exprs"] = exprs
    figures["expr_results"] = query(lab, [e.get("data_expr", e["expr"]) for e in exprs], at)
    record_names = [e["source"].split("sbc.rules.yml:", 1)[1] for e in exprs if e["kind"] == "record"]
    figures["record_results"] = query(lab, record_names, at)
    status, body = http_get(lab, [f"{PROM}/api/v1/rules"])[0]
    figures["rules"] = (status, body)

    # 5. one scrape of sbcd, straight from its endpoint
    status, text = http_get(lab, [SBCD_METRICS])[0]
    figures["exposition"] = (status, text)
    (lab.work / "sbcd-metrics.txt").write_text(text)


def checks(lab: L.Lab, rep: L.Report, figures: dict, caps: L.Captures, stats: L.RelayStats) -> None:
    q = figures["q"]
    answered = figures["answered"]
    placed = figures["placed"]
    at = figures["at"]

    # The figures must describe the state after the last packet: no RTP on either media link
    # after the samples the queries read.
    sample_time = q["sample_time"].one()
    last_rtp = max((p.ts for p in caps.caller + caps.callee if p.rtp()), default=0.0)
    rep.check(f"the samples read ({fmt_time(sample_time)}) were scraped after the last RTP packet "
              f"on the media links ({fmt_time(last_rtp)})",
              [] if sample_time is not None and sample_time > last_rtp else
              ["the queries read a scrape taken while RTP still flowed: the exact comparisons below are moot"])

    rep.check(f'up{{job="sbc"}} == 1 ({fmt(q["up"].one())})', [] if q["up"].one() == 1 else
              [f'up{{job="sbc"}} is {fmt(q["up"].one())}: Prometheus cannot scrape sbcd'])

    # ---- calls
    rep.check(f'sum(sbc_calls_total{{result="answered"}}) == calls SIPp completed '
              f'({fmt(q["answered"].one())} vs {answered})',
              [] if q["answered"].one() == answered else
              [f"Prometheus says {fmt(q['answered'].one())}, SIPp completed {answered}"])
    by = collections.defaultdict(float)
    for m, v in q["calls_by"].samples:
        by[(m.get("realm"), m.get("result"))] += v
    want_by = {(CALLER_REALM, "answered"): answered}
    problems = [f"realm={r} result={res}: {fmt(v)}, {want_by.get((r, res), 0)} expected"
                for (r, res), v in sorted(by.items()) if v != want_by.get((r, res), 0)]
    if (CALLER_REALM, "answered") not in by:
        problems.append(f'no sbc_calls_total{{realm="{CALLER_REALM}",result="answered"}} series')
    rep.check(f'sbc_calls_total: {answered} answered in realm {CALLER_REALM} (the caller\'s), nothing else '
              f'in any realm or result ({len(by)} series)', problems)
    rep.check(f"sum(sbc_call_setup_seconds_count) == answered ({fmt(q['setup_count'].one())} vs {answered})",
              [] if q["setup_count"].one() == answered else [f"{fmt(q['setup_count'].one())} observations"])
    rep.check(f"sum(sbc_call_duration_seconds_count) == answered calls, all ended "
              f"({fmt(q['duration_count'].one())} vs {answered})",
              [] if q["duration_count"].one() == answered else [f"{fmt(q['duration_count'].one())} observations"])
    rep.check(f"no call active after the calls (sum(sbc_calls_active) {fmt(q['calls_active'].one())})",
              [] if q["calls_active"].one() == 0 else [f"{fmt(q['calls_active'].one())} active"])

    # ---- SIP
    invites_in = q["invites_in"].one()
    uac = sipp_messages(lab.work / "uac_messages.log")
    uas = sipp_messages(lab.work / "uas_messages.log")
    uac_invites = uac[("sent", "request", "INVITE")]
    rep.check(f'sum(sbc_sip_requests_total{{direction="in",method="INVITE",realm="{CALLER_REALM}"}}) '
              f"== INVITEs the SIPp UAC sent ({fmt(invites_in)} vs {uac_invites}; {placed} calls placed, "
              f"{uac_invites - placed} retransmission(s))",
              ([] if invites_in == uac_invites else
               [f"Prometheus {fmt(invites_in)}, the UAC's message log {uac_invites}"])
              + ([] if invites_in is not None and invites_in >= placed else
                 [f"fewer INVITEs counted ({fmt(invites_in)}) than calls placed ({placed})"]))
    sip = collections.defaultdict(dict)
    for kind, key, res in (("request", "method", q["sip_req"]), ("response", "code", q["sip_resp"])):
        for m, v in res.samples:
            sip[(m.get("realm"), m.get("direction"), kind)][m.get(key)] = v
    sip_cross_check(rep, sip, uac, uas)
    figures["sip"] = (uac, uas)
    first_inv, first_ans = q["invites_first"].one(), q["answered_first"].one()
    L.log(f"  info  first sample in the TSDB: sbc_calls_total{{result=\"answered\"}} {fmt(first_ans)}, "
          f"sbc_sip_requests_total{{method=\"INVITE\",direction=\"in\"}} {fmt(first_inv)}"
          + (f" (that series appears on its first increment, so rate()/increase() miss the first "
             f"{fmt(first_inv)} INVITE(s) after sbcd starts)" if first_inv else ""))

    # ---- media
    sbc_media = (A.sbc_access_media, A.sbc_core_media)
    relayed = [p for p in caps.caller + caps.callee if p.proto == 17 and p.src in sbc_media]
    relayed_bytes = sum(14 + 20 + 8 + len(p.payload) for p in relayed)
    to_sbc = [p for p in caps.caller + caps.callee if p.proto == 17 and p.dst in sbc_media]
    tx, rx = q["tx"].one(), q["rx"].one()
    figures["captured_relayed"], figures["captured_to_sbc"] = len(relayed), len(to_sbc)
    rep.check(f'sum(sbc_media_packets_total{{direction="tx"}}) == UDP packets captured arriving at both endpoints '
              f"from the SBC ({fmt(tx)} vs {len(relayed)})",
              [] if tx == len(relayed) else [f"Prometheus {fmt(tx)}, the captures {len(relayed)}"])
    rep.check(f"... == sbcd's own relayed= at SIGTERM ({fmt(tx)} vs {stats.totals.get('relayed')})",
              [] if tx == stats.totals.get("relayed") else
              [f"sbcd logged relayed={stats.totals.get('relayed')} (event=media_stopped)"])
    rep.check(f'sum(sbc_media_bytes_total{{direction="tx"}}) == bytes of those frames, Ethernet header included '
              f"({fmt(q['tx_bytes'].one())} vs {relayed_bytes})",
              [] if q["tx_bytes"].one() == relayed_bytes else [f"Prometheus {fmt(q['tx_bytes'].one())}"])
    rep.check(f'sum(sbc_media_packets_total{{direction="rx"}}) >= tx and >= UDP packets the endpoints sent to the '
              f"SBC ({fmt(rx)} vs {fmt(tx)}, {len(to_sbc)})",
              [] if rx is not None and tx is not None and rx >= tx and rx >= len(to_sbc) else
              [f"rx {fmt(rx)}, tx {fmt(tx)}, sent to the SBC {len(to_sbc)}"])
    drops = q["drops"].by("reason")
    want_drops = {k[len("drop_"):]: v for k, v in stats.totals.items() if k.startswith("drop_")}
    problems = [f"reason={r}: Prometheus {fmt(drops.get(r))}, sbcd {want_drops.get(r)}"
                for r in sorted(set(drops) | set(want_drops)) if drops.get(r) != want_drops.get(r)]
    rep.check(f"sbc_media_drops_total per reason == sbcd's drop_<reason>= at SIGTERM "
              f"({', '.join(f'{r} {fmt(v)}' for r, v in sorted(drops.items())) or 'no series'})",
              problems if want_drops else ["sbcd logged no event=media_stopped drop counts"])
    rep.check(f"no media session left (sum(sbc_media_sessions_active) {fmt(q['sessions'].one())})",
              [] if q["sessions"].one() == 0 else [f"{fmt(q['sessions'].one())} sessions"])
    directions = 2 * answered  # one audio stream per call, packets both ways
    for name, key in (("sbc_media_jitter_seconds_count", "jitter_count"),
                      ("sbc_media_packet_loss_ratio_count", "loss_count")):
        v = q[key].one()
        rep.check(f"sum({name}) == stream directions that carried RTP (2 per answered call) "
                  f"({fmt(v)} vs {directions})",
                  [] if v == directions else [f"{fmt(v)} observations"])
    a = caps.stream("caller -> callee", SSRC_CALLER, "caller", placed * PACKETS)
    b = caps.stream("callee -> caller", SSRC_CALLEE, "callee", placed * PACKETS)
    L.check_streams(rep, [a, b])
    figures["streams"] = (a, b)
    if a.lost == 0 and b.lost == 0:
        rep.check(f"sum(sbc_media_packet_loss_ratio_sum) == 0: nothing was lost ({fmt(q['loss_sum'].one())})",
                  [] if q["loss_sum"].one() == 0 else [f"{fmt(q['loss_sum'].one())}"])
    port_rx = {m.get("realm"): v for m, v in q["port_rx"].samples}
    port_tx = {m.get("realm"): v for m, v in q["port_tx"].samples}
    for realm, sent, got in ((CALLER_REALM, a.sent, b.received), (CALLEE_REALM, b.sent, a.received)):
        rep.check(f'sbc_dpdk_port_rx_packets_total{{realm="{realm}"}} > 0 and >= the RTP its side sent '
                  f"({fmt(port_rx.get(realm))} vs {sent}); tx_packets >= the RTP its side received "
                  f"({fmt(port_tx.get(realm))} vs {got})",
                  [] if port_rx.get(realm) and port_rx[realm] >= sent and (port_tx.get(realm) or 0) >= got else
                  [f"rx {fmt(port_rx.get(realm))}, tx {fmt(port_tx.get(realm))}"])
    build = q["build"].samples
    rep.check(f"sbc_build_info present ({', '.join(f'{k}={v}' for k, v in (build[0][0] if build else {}).items() if k not in ('__name__', 'instance', 'job'))})",
              [] if len(build) == 1 and build[0][1] == 1 else [f"{len(build)} series"])
    rep.check(f"process_* families present ({fmt(q['process'].one())} series)",
              [] if (q["process"].one() or 0) >= 1 else ["none"])

    # ---- every expression of the dashboard and the rules
    L.log("")
    L.log(f"  every PromQL expression of the dashboard and the rules at {fmt_time(at)} "
          f"(results, values):")
    empty, nan_series = [], []
    for e, r in zip(figures["exprs"], figures["expr_results"]):
        shown = e.get("data_expr", e["expr"])
        vals = r.values()
        numbers = [v for v in vals if not math.isnan(v)]
        val_text = ", ".join(fmt(v) for v in vals[:4]) + (f", ... ({len(vals)})" if len(vals) > 4 else "")
        if r.error:
            verdict = f"ERROR {r.error}"
            empty.append((e["source"], shown, r.error))
        elif not vals:
            verdict = "EMPTY"
            empty.append((e["source"], shown, "empty result"))
        elif not numbers:
            verdict = "ALL NaN"
            empty.append((e["source"], shown, f"{len(vals)} result(s), every one NaN"))
        else:
            verdict = "ok"
            if len(numbers) < len(vals):
                nan_series.append((e["source"], [m for m, v in r.samples if math.isnan(v)]))
        tag = "(lhs of the alert) " if "data_expr" in e else ""
        L.log(f"    {verdict:<7} {len(vals):>3}  {e['source'].replace('metrics/', '')}  {tag}[{val_text}]")
    for src, metrics in nan_series:
        L.log(f"  info  {src}: NaN for {', '.join(json.dumps({k: v for k, v in m.items() if k != '__name__'}) for m in metrics)} "
              "(0/0: no call finished in that realm in the window; the others have numbers)")
    rep.check(f"every dashboard and rule expression returns data ({len(figures['exprs']) - len(empty)} of "
              f"{len(figures['exprs'])})", [f"{src}: {why}\n            {expr}" for src, expr, why in empty],
              limit=100)

    status, body = figures["rules"]
    problems, loaded = [], 0
    try:
        for g in json.loads(body)["data"]["groups"]:
            for rule in g["rules"]:
                loaded += 1
                if rule.get("health") != "ok" or rule.get("lastError"):
                    problems.append(f"{rule['name']}: health {rule.get('health')} {rule.get('lastError', '')}")
    except (ValueError, KeyError) as e:
        problems.append(f"/api/v1/rules: HTTP {status}, {e}")
    n_rules = sum(1 for e in figures["exprs"] if e["kind"] in ("record", "alert"))
    if loaded != n_rules:
        problems.append(f"Prometheus loaded {loaded} rules, {RULES.name} has {n_rules}")
    rep.check(f"Prometheus loaded all {n_rules} rules of {RULES.name} and every one evaluates (health ok)", problems)
    record_names = [e["source"].split("sbc.rules.yml:", 1)[1] for e in figures["exprs"] if e["kind"] == "record"]
    missing = [f"{n}: {r.error or 'no series'}" for n, r in zip(record_names, figures["record_results"])
               if r.error or not r.samples]
    rep.check(f"every recording rule has produced its series ({len(record_names) - len(missing)} of "
              f"{len(record_names)})", missing)

    # ---- the exposition, as promtool sees it
    status, text = figures["exposition"]
    if status != 200:
        rep.fail("sbcd's /metrics answers", f"HTTP {status}: {text[:200]}")
    else:
        r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        lines = [ln for ln in r.stdout.decode("utf-8", "replace").splitlines() if ln.strip()]
        families = len(re.findall(r"^# TYPE ", text, flags=re.M))
        rep.check(f"`promtool check metrics` accepts sbcd's exposition ({families} families, "
                  f"{sum(1 for ln in text.splitlines() if ln and not ln.startswith('#'))} samples; exit {r.returncode})",
                  [] if r.returncode == 0 else (lines or [f"exit {r.returncode}"]), limit=30)


def fmt_time(t: Optional[float]) -> str:
    if not t:
        return "none"
    return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int((t % 1) * 1000):03d}"


def summary(figures: dict) -> None:
    q = figures.get("q")
    if not q:
        return
    a, b = figures.get("streams", (None, None))
    L.log("")
    L.log("  metrics through a real Prometheus (job sbc, 1 s scrapes)")
    L.log(f"  {'figure':<52}{'Prometheus':>12}{'the lab':>12}")
    rows = [
        ("calls answered (sbc_calls_total)", q["answered"].one(), figures.get("answered")),
        ("INVITEs in, access (sbc_sip_requests_total)", q["invites_in"].one(),
         figures["sip"][0][("sent", "request", "INVITE")] if "sip" in figures else None),
        ("call setup observations", q["setup_count"].one(), figures.get("answered")),
        ("media packets relayed (tx)", q["tx"].one(), figures.get("captured_relayed")),
        ("media packets received (rx)", q["rx"].one(), None),
        ("  UDP packets the endpoints sent to the SBC", None, figures.get("captured_to_sbc")),
        ("media bytes relayed (tx)", q["tx_bytes"].one(), None),
        ("jitter / loss observations", q["jitter_count"].one(), 2 * figures["answered"] if figures.get("answered") else None),
        ("media sessions active", q["sessions"].one(), 0),
    ]
    for name, prom, lab in rows:
        L.log(f"  {name:<52}{fmt(prom) if prom is not None else '':>12}{str(lab) if lab is not None else '':>12}")
    if a is not None:
        L.log(f"  RTP caller -> callee: {a.sent} sent, {a.received} received; callee -> caller: {b.sent} sent, "
              f"{b.received} received")
    exprs = figures.get("expr_results") or []
    ok = sum(1 for r in exprs if not r.error and any(not math.isnan(v) for v in r.values()))
    L.log(f"  dashboard and rule expressions with data: {ok} of {len(exprs)}")
    L.log("")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sbcd", type=Path, required=True)
    ap.add_argument("--config", type=Path, default=ROOT / "config" / "lab" / "netns.yaml")
    ap.add_argument("--calls", type=int, default=5)
    ap.add_argument("--rate", type=float, default=2.0, help="calls per second")
    ap.add_argument("--deadline", type=int, default=90, help="seconds the case may take (then it fails)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (captures, logs, TSDB)")
    args = ap.parse_args()
    figures: dict = {}
    measure_body = make_body(args.calls, args.rate, figures)

    def body(lab: L.Lab, rep: L.Report) -> None:
        measure_body(lab, rep)
        caps, stats = L.finish(lab, rep)
        if "q" in figures:
            checks(lab, rep, figures, caps, stats)
            summary(figures)

    opts = L.Options(sbcd=args.sbcd.resolve(), config=args.config.resolve(), relay="anchor", keep=args.keep)
    ok = L.run_lab(opts, "netns_metrics: a real Prometheus scrapes sbcd during calls with RTP", body,
                   args.deadline, extra_tools=[("prometheus", "prometheus"), ("promtool", "prometheus")])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
