#!/usr/bin/env bash
# The operator-facing monitoring files are valid for the real tools: Prometheus accepts the
# config and rules, the rule unit tests pass, every dashboard and rule expression parses,
# and the Grafana dashboard has the panels an operator needs, all on ${DS_PROMETHEUS}.
# usage: promtool_test.sh [repo root]   (default: the repository holding this script)
set -u
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$root" || exit 2
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

prom=metrics/prometheus
dashboard=metrics/grafana/sbc.json
exprs_tool=tools/metrics/promql_exprs.py

# A missing promtool must not pass quietly: these files are only checked by it.
if ! command -v promtool >/dev/null; then
  echo "FAIL: promtool not found; install it: apt-get install -y --no-install-recommends prometheus"
  exit 1
fi
echo "using $(promtool --version 2>&1 | head -1)"

# run <description> <command...>: runs it, shows its output only when it fails
run() {
  local what=$1
  shift
  if "$@" >"$tmp/out" 2>&1; then
    ok "$what"
  else
    fail "$what:"
    sed 's/^/    /' "$tmp/out"
  fi
}

# A copy in a directory of its own, as an operator would install it: rule_files resolve
# next to the config, not against the caller's cwd.
mkdir "$tmp/etc"
cp "$prom/prometheus.yml" "$prom/sbc.rules.yml" "$tmp/etc/"
run "promtool check config prometheus.yml" bash -c "cd '$tmp/etc' && promtool check config prometheus.yml"
run "promtool check rules sbc.rules.yml" promtool check rules "$prom/sbc.rules.yml"
run "promtool test rules sbc.rules.test.yml" promtool test rules "$prom/sbc.rules.test.yml"
run "sbc.json is JSON (python3 -m json.tool)" python3 -m json.tool "$dashboard"

# Dashboard structure and topics.
run "sbc.json: variables, datasources, targets and topics" python3 - "$dashboard" <<'EOF'
import json, re, sys

dash = json.load(open(sys.argv[1]))
DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
errors = []

variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
ds = variables.get("DS_PROMETHEUS", {})
if ds.get("type") != "datasource" or ds.get("query") != "prometheus":
    errors.append("no DS_PROMETHEUS variable of type datasource with query prometheus")
realm = variables.get("realm", {})
query = realm.get("query")
query = query.get("query") if isinstance(query, dict) else query
if not re.fullmatch(r"label_values\(\s*sbc_calls_total\s*,\s*realm\s*\)", query or ""):
    errors.append("realm variable is not label_values(sbc_calls_total, realm): %r" % query)
if not (realm.get("multi") and realm.get("includeAll")):
    errors.append("realm variable must be multi-value and include All")

def walk(panels):
    for p in panels or []:
        yield p
        yield from walk(p.get("panels"))

exprs, ids = [], set()
for p in walk(dash.get("panels")):
    name = "panel %r" % p.get("title")
    if p.get("id") in ids:
        errors.append("%s: duplicate id %s" % (name, p.get("id")))
    ids.add(p.get("id"))
    if p.get("type") == "row":
        continue
    if p.get("datasource") != DS:
        errors.append("%s: datasource is %r, not %r" % (name, p.get("datasource"), DS))
    targets = p.get("targets") or []
    if not targets:
        errors.append("%s: no targets" % name)
    for t in targets:
        if not t.get("expr"):
            errors.append("%s: target %s has no expr" % (name, t.get("refId")))
        if t.get("datasource", DS) != DS:
            errors.append("%s: target %s datasource is %r" % (name, t.get("refId"), t.get("datasource")))
        exprs.append(t.get("expr", ""))

text = "\n".join(exprs)
if "$__" in text:
    errors.append("Grafana built-in variables ($__rate_interval...) make exprs untestable outside Grafana")
topics = {
    "calls active": r"sum by \(realm\) \(sbc_calls_active\{",
    "CPS (INVITEs in)": r'rate\(sbc_sip_requests_total\{direction="in",method="INVITE"',
    "call results": r"sum by \(result\) \(rate\(sbc_calls_total",
    "ASR per realm": r'sum by \(realm\) \(rate\(sbc_calls_total\{result="answered".*\) / \(?sum by \(realm\) \(rate\(sbc_calls_total',
    "response codes sent": r'sum by \(code\) \(rate\(sbc_sip_responses_total\{direction="out"',
    "response codes received": r'sum by \(code\) \(rate\(sbc_sip_responses_total\{direction="in"',
    "retransmissions": r"rate\(sbc_sip_retransmissions_total",
    "parse errors": r"rate\(sbc_sip_parse_errors_total",
    "active transactions": r"sbc_sip_transactions_active",
    "call setup time": r"histogram_quantile\(0\.95, sum by \(le\) \(rate\(sbc_call_setup_seconds_bucket",
    "call duration": r"histogram_quantile\(0\.95, sum by \(le\) \(rate\(sbc_call_duration_seconds_bucket",
    "media sessions": r"sbc_media_sessions_active",
    "media pps per lcore": r"sum by \(lcore, direction\) \(rate\(sbc_media_packets_total",
    "media bits/s per lcore": r"sum by \(lcore, direction\) \(rate\(sbc_media_bytes_total\[1m\]\)\) \* 8",
    "drops by reason": r"sum by \(reason\) \(rate\(sbc_media_drops_total",
    "packet loss": r"histogram_quantile\(0\.95, sum by \(le\) \(rate\(sbc_media_packet_loss_ratio_bucket",
    "jitter": r"histogram_quantile\(0\.95, sum by \(le\) \(rate\(sbc_media_jitter_seconds_bucket",
    "NIC rx/tx": r"rate\(sbc_dpdk_port_rx_packets_total(.|\n)*rate\(sbc_dpdk_port_tx_packets_total",
    "NIC rx_missed": r"sum by \(port\) \(rate\(sbc_dpdk_port_rx_missed_total",
    "NIC rx_errors": r"rate\(sbc_dpdk_port_rx_errors_total",
    "NIC rx_nombuf": r"rate\(sbc_dpdk_port_rx_nombuf_total",
    "process CPU": r"rate\(process_cpu_seconds_total",
    "process RSS": r"process_resident_memory_bytes",
    "build info": r"sbc_build_info",
}
for topic, pattern in topics.items():
    if not re.search(pattern, text):
        errors.append("no panel for %s (expected an expr matching %s)" % (topic, pattern))
for e in exprs:
    if re.search(r"sbc_(sip_requests|sip_responses|sip_retransmissions|sip_parse_errors|calls)_total\{|sbc_calls_active\{", e) \
            and 'realm=~"$realm"' not in e:
        errors.append("expr ignores the realm variable: %s" % e)
if errors:
    print("\n".join(errors))
    sys.exit(1)
print("%d panels, %d exprs, %d topics" % (len(ids), len(exprs), len(topics)))
EOF

# The expression list, from another cwd to show the tool finds the repository itself.
if (cd "$tmp" && python3 "$root/$exprs_tool") >"$tmp/exprs.jsonl" 2>"$tmp/exprs.err"; then
  count=$(wc -l <"$tmp/exprs.jsonl")
  if [ "$count" -ge 20 ]; then ok "$exprs_tool prints $count expressions"; else fail "$exprs_tool prints only $count expressions (want >= 20)"; fi
else
  fail "$exprs_tool failed: $(cat "$tmp/exprs.err")"
fi

# Every printed expr and alert data_expr (variables substituted) must parse: promtool
# parses them when they are written out as recording rules.
[ -s "$tmp/exprs.jsonl" ] && run "printed entries have source, expr, data_expr for alerts, no \$variables" python3 - "$tmp/exprs.jsonl" "$tmp/exprs.rules.yml" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
rules, errors = [], []
for i, e in enumerate(lines):
    if not e.get("source") or not e.get("expr"):
        errors.append("line %d lacks source or expr: %r" % (i + 1, e))
        continue
    if "$" in e["expr"] or "$" in e.get("data_expr", ""):
        errors.append("%s: unsubstituted variable: %s" % (e["source"], e["expr"]))
    if e.get("kind") == "alert" and not e.get("data_expr"):
        errors.append("%s: alert without data_expr" % e["source"])
    for field in ("expr", "data_expr"):
        if field in e:
            # JSON strings are valid YAML double-quoted scalars.
            rules.append("      - record: check:%s_%d\n        expr: %s\n" % (field, i, json.dumps(e[field])))
if errors:
    print("\n".join(errors))
    sys.exit(1)
with open(sys.argv[2], "w") as f:
    f.write("groups:\n  - name: exprs\n    rules:\n" + "".join(rules))
EOF
[ -s "$tmp/exprs.rules.yml" ] && run "promtool check rules (all printed exprs)" promtool check rules "$tmp/exprs.rules.yml"

# The tool's small rules parser agrees with a real YAML parser, when one is installed.
if [ ! -s "$tmp/exprs.jsonl" ]; then
  : # already failed above
elif python3 -c 'import yaml' 2>/dev/null; then
  run "$exprs_tool reads sbc.rules.yml as PyYAML does" python3 - "$prom/sbc.rules.yml" "$tmp/exprs.jsonl" <<'EOF'
import json, re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
want = {r.get("record") or r.get("alert"): " ".join(r["expr"].split())
        for g in doc["groups"] for r in g["rules"]}
got = {}
for l in open(sys.argv[2]):
    e = json.loads(l)
    if e["kind"] in ("record", "alert"):
        got[e["source"].split(":", 1)[1]] = " ".join(e["expr"].split())
if got != want:
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            print("%s:\n  yaml: %s\n  tool: %s" % (k, want.get(k), got.get(k)))
    sys.exit(1)
EOF
else
  echo "note: python3-yaml not installed, not cross-checking the rules parser"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all monitoring checks passed"
