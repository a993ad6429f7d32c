#!/usr/bin/env bash
# sbcd as an operator starts it: config checking with line numbers, exit codes, structured
# logs on stderr, a clean stop on SIGTERM, and a clear failure when it cannot bind.
# usage: sbcd_test.sh <sbcd> <repo root>
set -u
bin=$1 root=$2
failures=0
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_exit <code> <command...>: runs it, output in $tmp/out
expect_exit() {
  local code=$1
  shift
  "$@" >"$tmp/out" 2>&1
  local rc=$?
  [ "$rc" = "$code" ] || fail "'$*' exited $rc, expected $code: $(head -5 "$tmp/out")"
}

expect_exit 0 "$bin" --check-config "$root/config/lab/loopback.yaml"
grep -q "ok (2 realms, 1 routes)" "$tmp/out" || fail "check-config should summarise: $(cat "$tmp/out")"
expect_exit 0 "$bin" --check-config "$root/config/examples/edge.yaml"

cat >"$tmp/bad.yaml" <<'YAML'
log: { level: chatty }
realms:
  - name: access
    listen:
      - { transport: udp, address: 127.0.0.1, port: 70000 }
    adress: 127.0.0.1
routes:
  - name: r
    match: { source_realm: nowhere }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
YAML
expect_exit 1 "$bin" --check-config "$tmp/bad.yaml"
for line in 1 5 6 9 10; do
  grep -q "line $line," "$tmp/out" || fail "check-config should point at line $line: $(cat "$tmp/out")"
done
grep -q "adress" "$tmp/out" || fail "the misspelt key should be named"
expect_exit 1 "$bin" --config "$tmp/bad.yaml"  # the daemon refuses it the same way
expect_exit 1 "$bin" --check-config "$tmp/does-not-exist.yaml"

expect_exit 2 "$bin"
expect_exit 2 "$bin" --bogus
expect_exit 2 "$bin" --config
expect_exit 0 "$bin" --help
expect_exit 0 "$bin" --version

# A run on loopback addresses of its own, away from the lab ports other tests use.
cat >"$tmp/run.yaml" <<'YAML'
realms:
  - name: access
    listen: [ { transport: udp, address: 127.0.0.41, port: 5060 }, { transport: tcp, address: 127.0.0.41, port: 5060 } ]
  - name: core
    listen: [ { transport: udp, address: 127.0.0.42, port: 5060 } ]
routes:
  - name: out
    match: { source_realm: access }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
    media: bypass
YAML
expect_exit 2 "$bin" --config "$tmp/run.yaml" --log-level chatty
"$bin" --config "$tmp/run.yaml" --log-level debug 2>"$tmp/log" &
pid=$!
for _ in $(seq 50); do
  grep -q "event=ready" "$tmp/log" && break
  sleep 0.1
done
grep -q "event=ready" "$tmp/log" || fail "sbcd never logged event=ready: $(cat "$tmp/log")"
[ "$(grep -c 'event=listening' "$tmp/log")" = 3 ] || fail "three listeners expected: $(cat "$tmp/log")"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+ info event=listening realm=access transport=UDP address=127.0.0.41 port=5060' \
  "$tmp/log" || fail "log lines should be timestamped key=value: $(head -2 "$tmp/log")"
kill -TERM "$pid"
for _ in $(seq 50); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  fail "sbcd did not stop within 5 s of SIGTERM"
else
  wait "$pid"
  rc=$?
  [ "$rc" = 0 ] || fail "sbcd exited $rc on SIGTERM, expected 0"
fi
pid=
grep -q "event=shutdown signal=15" "$tmp/log" || fail "no shutdown line: $(tail -3 "$tmp/log")"
grep -q "event=stopped calls_started=0" "$tmp/log" || fail "no final counters: $(tail -3 "$tmp/log")"

# An address this machine does not have: a clear error and exit 1, not a hang.
sed 's/address: 127.0.0.42/address: 192.0.2.254/' "$tmp/run.yaml" >"$tmp/nobind.yaml"
expect_exit 1 timeout 10 "$bin" --config "$tmp/nobind.yaml"
grep -q 'event=listen_failed realm=core error="192.0.2.254:5060/udp: Cannot assign requested address"' "$tmp/out" ||
  fail "bind failure should be explained: $(cat "$tmp/out")"

# A media relay that cannot start (its interface does not exist): sbcd says why and exits
# 1 before it serves any call. Needs root for the EAL (CI is root).
if [ "$(id -u)" = 0 ]; then
  cat >"$tmp/media.yaml" <<'YAML'
realms:
  - name: access
    listen: [ { transport: udp, address: 127.0.0.41, port: 5060 } ]
    media: { address: 10.99.0.1, port_min: 30000, port_max: 30099 }
  - name: core
    listen: [ { transport: udp, address: 127.0.0.42, port: 5060 } ]
    media: { address: 10.99.1.1, port_min: 30000, port_max: 30099 }
routes:
  - name: out
    match: { source_realm: access }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
media_plane:
  eal: [--no-huge, -m, "256", --no-pci, --file-prefix, "sbcd-cli-$$", -l, "0,1"]
  lcores: [1]
  interfaces:
    - { realm: access, device: "net_af_packet7,iface=sbc-no-such-if" }
    - { realm: core, device: "net_af_packet8,iface=sbc-no-such-if2" }
YAML
  sed -i "s/\$\$/$$/" "$tmp/media.yaml"
  expect_exit 1 timeout 30 "$bin" --config "$tmp/media.yaml"
  grep -q "event=media_plane_failed error=.*net_af_packet7.*no network interface 'sbc-no-such-if'" "$tmp/out" ||
    fail "a relay that cannot start should be explained: $(tail -3 "$tmp/out")"
  grep -q "event=ready" "$tmp/out" && fail "sbcd must not be ready without its relay"
  rm -rf "/var/run/dpdk/sbcd-cli-$$"
else
  echo "not root: the media relay start failure check needs the EAL (CI runs as root)"
  [ -n "${SBC_REQUIRE_ROOT:-}" ] && fail "SBC_REQUIRE_ROOT is set but this is not root"
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all sbcd checks passed"
