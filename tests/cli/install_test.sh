#!/usr/bin/env bash
# `cmake --install` as an operator runs it: the executables, example configs, metrics
# material and docs land where GNUInstallDirs puts them, and the installed sbcd reports
# the CMake version and accepts the installed example config.
# usage: install_test.sh <cmake> <build dir> <expected version>
set -u
cmake=$1 build=$2 version=$3
failures=0
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$cmake" --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1 ||
  { cat "$prefix.log"; rm -f "$prefix.log"; echo "FAIL: cmake --install"; exit 1; }
rm -f "$prefix.log"

for f in bin/sbcd bin/sbc-sipcheck bin/rtp-probe; do
  [ -x "$prefix/$f" ] || fail "$f is not installed (or not executable)"
done
for f in share/sbc/config/edge.yaml share/sbc/config/lab/loopback.yaml share/sbc/config/lab/netns.yaml \
  share/sbc/config/lab/sample-call/01-invite.sip \
  share/sbc/metrics/README.md share/sbc/metrics/grafana/sbc.json \
  share/sbc/metrics/prometheus/prometheus.yml share/sbc/metrics/prometheus/sbc.rules.yml \
  share/doc/sbc/README.md share/doc/sbc/ARCHITECTURE.md share/doc/sbc/CONFIG.md \
  share/doc/sbc/PERFORMANCE.md; do
  [ -f "$prefix/$f" ] || fail "$f is not installed"
done
# Only the operator's tools: no test or benchmark executable.
extra=$(find "$prefix/bin" -type f ! -name sbcd ! -name sbc-sipcheck ! -name rtp-probe)
[ -z "$extra" ] || fail "unexpected files in bin/: $extra"

out=$("$prefix/bin/sbcd" --version 2>&1) || fail "sbcd --version exited $?"
[ "$out" = "sbcd $version" ] || fail "sbcd --version printed '$out', expected 'sbcd $version'"
"$prefix/bin/sbcd" --help | grep -q -- "--version" || fail "sbcd --help does not list --version"
"$prefix/bin/sbcd" --check-config "$prefix/share/sbc/config/edge.yaml" >/dev/null 2>&1 ||
  fail "sbcd --check-config rejects the installed edge.yaml: $("$prefix/bin/sbcd" --check-config "$prefix/share/sbc/config/edge.yaml" 2>&1)"
"$prefix/bin/sbcd" --check-config "$prefix/share/sbc/config/lab/loopback.yaml" >/dev/null 2>&1 ||
  fail "sbcd --check-config rejects the installed lab/loopback.yaml"

if [ "$failures" -gt 0 ]; then
  echo "$failures install check(s) failed"
  exit 1
fi
echo "install ok: $(find "$prefix" -type f | wc -l) files, sbcd $version"
