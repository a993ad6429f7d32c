#!/usr/bin/env bash
# sbc-sipcheck as an operator uses it: files, stdin, TCP streams, limits, exit codes.
# usage: sipcheck_test.sh <sbc-sipcheck> <repo root> <shared dir>
set -u
bin=$1 root=$2 shared=$3
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect <exit code> <jq expression that must be true> -- <args...>
expect() {
  local code=$1 query=$2
  shift 3
  local out rc
  out=$("$bin" "$@" 2>"$tmp/err")
  rc=$?
  [ "$rc" = "$code" ] || fail "sbc-sipcheck $* exited $rc, expected $code (stderr: $(cat "$tmp/err"))"
  if [ -n "$query" ]; then
    echo "$out" | jq -e "$query" >/dev/null || fail "sbc-sipcheck $*: '$query' does not hold for: $out"
  fi
}

call=$root/config/lab/sample-call
expect 0 '.valid == true and .kind == "request" and .method == "INVITE"
  and .request_uri == "sip:bob@core.example.net" and .call_id == "3848276298220188511@192.0.2.10"
  and .from_tag == "9fxced76sl" and .to_tag == null and .cseq == {"number": 1, "method": "INVITE"}
  and .via == [{"transport": "UDP", "sent_by": "192.0.2.10:5060", "branch": "z9hG4bK74bf9"}]
  and .max_forwards == 70 and .content_length == 238 and .body_length == 238 and .action == "accept"
  and (has("error") | not)' -- "$call/01-invite.sip"
expect 0 '.kind == "response" and .status == 180 and .reason_phrase == "Ringing" and .to_tag == "314159"' \
  -- "$call/03-180-ringing.sip"

# SDP bodies get a summary, or the reason they are not valid SDP (the B2BUA answers 488).
expect 0 '.sdp.valid == true and .sdp.media == [{"type": "audio", "port": 49170, "proto": "RTP/AVP", "formats": ["8", "0", "101"]}]' \
  -- "$call/01-invite.sip"
sed 's/^c=IN IP4 192.0.2.10/c=IN IP4/' "$call/01-invite.sip" | sed 's/^Content-Length: 238/Content-Length: 227/' >"$tmp/badsdp.sip"
expect 0 '.valid == true and .sdp.valid == false and (.sdp.error | test("line 4: malformed c= line"))' -- "$tmp/badsdp.sip"

# stdin
expect 0 '.method == "BYE" and .cseq.number == 2' -- - <"$call/06-bye.sip"

# A rejected request: exit 1 with the reason and the response a UAS would send.
printf 'INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nMax-Forwards: 0\r\nContent-Length: 0\r\n\r\n' >"$tmp/mf0.sip"
expect 1 '.valid == false and .action == "reject" and .response == 483 and .error == "Max-Forwards is 0"' -- "$tmp/mf0.sip"
printf 'OPTIONS sip:a@b SIP/7.0\r\n\r\n' >"$tmp/v7.sip"
expect 1 '.response == 505' -- "$tmp/v7.sip"
printf 'OPTIONS soap.beep://x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n' >"$tmp/416.sip"
expect 1 '.response == 416 and .error == "unsupported URI scheme '"'"'soap.beep'"'"'"' -- "$tmp/416.sip"
printf 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nRequire: foo, bar\r\nl: 0\r\n\r\n' >"$tmp/420.sip"
expect 1 '.response == 420 and .unsupported == ["foo", "bar"]' -- "$tmp/420.sip"
# A broken response is dropped, never answered.
printf 'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n' >"$tmp/resp.sip"
expect 1 '.action == "drop" and .response == null and (.error | startswith("missing mandatory"))' -- "$tmp/resp.sip"
# Garbage and empty input.
head -c 3000 /dev/urandom >"$tmp/random.bin"
expect 1 '.valid == false' -- "$tmp/random.bin"
: >"$tmp/empty.sip"
expect 1 '.error == "empty message" and .response == 400' -- "$tmp/empty.sip"
# Limits.
expect 1 '.response == 513' -- --max-size 100 "$call/01-invite.sip"
expect 1 '.response == 513 and .error == "more than 3 header fields"' -- --max-headers 3 "$call/01-invite.sip"
expect 1 '.response == 413' -- --max-body 10 "$call/01-invite.sip"
# A 64 KB header line is refused, not processed.
{ printf 'OPTIONS sip:a@b SIP/2.0\r\nX-Big: '; head -c 70000 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } >"$tmp/big.sip"
expect 1 '.response == 513' -- "$tmp/big.sip"

# TCP framing: several messages in one stream, one JSON line each.
cat "$call/01-invite.sip" "$call/06-bye.sip" >"$tmp/stream.bin"
out=$("$bin" --transport tcp "$tmp/stream.bin")
[ $? = 0 ] || fail "two-message stream should be valid"
[ "$(echo "$out" | wc -l)" = 2 ] || fail "two-message stream should print two lines: $out"
echo "$out" | sed -n 2p | jq -e '.method == "BYE"' >/dev/null || fail "second stream message should be the BYE"
head -c 300 "$call/01-invite.sip" >"$tmp/cut.bin"
expect 1 '.action == "drop" and (.error | startswith("stream ended inside a message"))' -- --transport tcp "$tmp/cut.bin"
printf 'OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n' >"$tmp/nocl.bin"
expect 1 '.action == "close" and .response == 400' -- --transport tcp "$tmp/nocl.bin"

# Usage errors exit 2.
expect 2 '' --
expect 2 '' -- --bogus "$call/01-invite.sip"
expect 2 '' -- --transport sctp "$call/01-invite.sip"
expect 2 '' -- --max-size x "$call/01-invite.sip"
expect 2 '' -- "$tmp/does-not-exist.sip"
expect 2 '' -- "$call/01-invite.sip" "$call/06-bye.sip"
expect 0 '' -- --help

# The RFC 4475 corpus, when present: the exit code follows the manifest's verdict.
corpus=$shared/conformance/rfc4475
if [ -f "$corpus/MANIFEST.tsv" ]; then
  while IFS=$'\t' read -r name _ expected _; do
    [ "$name" = name ] && continue
    "$bin" "$corpus/$name.sip" >/dev/null
    rc=$?
    if [ "$expected" = valid ]; then want=0; else want=1; fi
    [ "$rc" = "$want" ] || fail "rfc4475 $name: exit $rc, expected $want"
  done <"$corpus/MANIFEST.tsv"
else
  echo "note: RFC 4475 corpus not found at $corpus; that part was skipped"
  [ "${SBC_REQUIRE_SHARED:-0}" = 1 ] && fail "corpus required (SBC_REQUIRE_SHARED=1)"
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all sbc-sipcheck checks passed"
