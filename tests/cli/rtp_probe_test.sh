#!/usr/bin/env bash
# rtp-probe send -> recv over loopback (127.0.0.151-155, this test's own addresses): the audio
# is checked (frequency, SNR), not only packet counts; SRTP with right, wrong and changed keys;
# sequence wrap, SSRC change, hold, digits; a replaying and tampering hop; bad arguments.
# usage: rtp_probe_test.sh <rtp-probe>
set -u
bin=$1
failures=0
tmp=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# waitbound <ip:port> [pid]: until something listens there (the receiver is up), at most 5 s,
# or until process pid has ended.
waitbound() {
  local i
  for i in $(seq 50); do
    ss -Hlun "src $1" 2>/dev/null | grep -q . && return 0
    [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && return 1
    sleep 0.1
  done
  fail "nothing bound $1 after 5 s"
}

# probe <name> <expected recv exit> <jq that must hold for recv's JSON> <recv args> -- <send args>
# Starts recv, then send once recv is bound; send must exit 0.
probe() {
  local name=$1 code=$2 query=$3
  shift 3
  local recvargs=() bind=""
  while [ "$1" != -- ]; do
    [ "$1" = --bind ] && bind=$2
    recvargs+=("$1")
    shift
  done
  shift
  "$bin" recv "${recvargs[@]}" >"$tmp/$name.json" 2>"$tmp/$name.err" &
  local rpid=$!
  pids+=("$rpid")
  if waitbound "$bind" "$rpid"; then
    "$bin" send "$@" >"$tmp/$name.send" 2>&1 || fail "$name: send exited $?: $(cat "$tmp/$name.send")"
  fi
  wait "$rpid"
  local rc=$?
  [ "$rc" = "$code" ] || fail "$name: recv exited $rc, expected $code: $(cat "$tmp/$name.json" "$tmp/$name.err")"
  jq -e "$query" "$tmp/$name.json" >/dev/null ||
    fail "$name: '$query' does not hold for: $(cat "$tmp/$name.json")"
}

short=(--duration 5 --idle 0.6)

# Plain PCMU, starting 36 packets short of the sequence wrap: no loss, the tone found.
probe pcmu 0 '.pass and .packets == 75 and .lost == 0 and .duplicates == 0 and .ssrcs == [4242]
  and (.frequency_hz - 1000 | fabs) < 2 and .snr_db > 30 and .streams[0].first_seq == 65500
  and .streams[0].last_seq == 38 and .delay_ms.source == "send_time" and .delay_ms.max < 100
  and .jitter_ms < 10 and .digits == ""' \
  --bind 127.0.0.151:41000 --expect-tone 1000 "${short[@]}" \
  -- --to 127.0.0.151:41000 --tone 1000 --count 75 --ssrc 4242 --seq 65500 --ts 4294967000
# PCMA, without the send-time extension: the delay from RTP timestamps instead.
probe pcma 0 '.pass and .codec == "pcma" and (.frequency_hz - 1000 | fabs) < 2 and .snr_db > 30 and .lost == 0
  and .delay_ms.source == "rtp_timestamp"' \
  --bind 127.0.0.152:41000 --codec pcma --expect-tone 1000 "${short[@]}" \
  -- --to 127.0.0.152:41000 --codec pcma --tone 1000 --duration 1 --no-send-time
# The codecs of mediaplane/codec (issue 16): G.722 and Opus at 16 kHz (a 5 kHz tone only
# they carry), G.729 at 30 ms; each judged on the decoded tone.
# (G.722 codes 4-8 kHz in 2-bit samples: 22 dB at 5 kHz here; 1 kHz gets 48 in codec_test.)
probe g722 0 '.pass and .codec == "g722" and (.frequency_hz - 5000 | fabs) < 2 and .snr_db > 20
  and .lost == 0 and .audio_packets == 50 and .audio_ms > 900' \
  --bind 127.0.0.155:41010 --codec g722 --expect-tone 5000 "${short[@]}" \
  -- --to 127.0.0.155:41010 --codec g722 --tone 5000 --duration 1
probe opus 0 '.pass and .codec == "opus" and (.frequency_hz - 5000 | fabs) < 2 and .snr_db > 25
  and .lost == 0 and .audio_packets == 45 and .digits == "7" and .jitter_ms < 10' \
  --bind 127.0.0.155:41012 --codec opus --expect-tone 5000 "${short[@]}" \
  -- --to 127.0.0.155:41012 --codec opus --tone 5000 --duration 1 --dtmf 7 --dtmf-at 0.4
probe g729 0 '.pass and .codec == "g729" and (.frequency_hz - 800 | fabs) < 2 and .snr_db > 20
  and .lost == 0 and .audio_packets == 34' \
  --bind 127.0.0.155:41014 --codec g729 --expect-tone 800 "${short[@]}" \
  -- --to 127.0.0.155:41014 --codec g729 --tone 800 --ptime 30 --duration 1
# The wrong tone: recv says where the energy is, and fails.
probe wrongtone 1 '(.pass | not) and (.frequency_hz - 3000 | fabs) < 2 and .snr_db < 0
  and (.reasons[0] | test("^dominant frequency 3000(\\.[0-9]+)? Hz is not within 10 Hz of 1000$"))' \
  --bind 127.0.0.153:41000 --expect-tone 1000 "${short[@]}" \
  -- --to 127.0.0.153:41000 --tone 3000 --duration 1
# pcma sent to a pcmu receiver: nothing it can decode.
probe wrongcodec 1 '(.pass | not) and .audio_packets == 0 and .other_pt_packets == 50' \
  --bind 127.0.0.154:41000 --expect-tone 1000 "${short[@]}" \
  -- --to 127.0.0.154:41000 --codec pcma --duration 1
# SSRC change, a hold, three digits: two streams, no loss, the digits in order; the hold is
# no loss and (idle 0.6 s) does not end the receiver.
probe ssrc_hold_dtmf 0 '.pass and .ssrcs == [10, 20] and .lost == 0 and .digits == "4#7"
  and .streams[1].packets > 20 and (.frequency_hz - 700 | fabs) < 2' \
  --bind 127.0.0.155:41000 --expect-tone 700 --expect-digits '4#7' "${short[@]}" \
  -- --to 127.0.0.155:41000 --tone 700 --duration 2.4 --ssrc 10 --change-ssrc-at 1.5 20 \
  --pause 0.9-1.3 --dtmf 4#7 --dtmf-at 0.1
probe missingdigit 1 '(.pass | not) and .digits == "12" and (.reasons[0] | test("digits"))' \
  --bind 127.0.0.151:41002 --expect-digits 123 "${short[@]}" \
  -- --to 127.0.0.151:41002 --duration 1 --dtmf 12 --dtmf-at 0.2

# SRTP: each suite this libsrtp runs, same key both ends.
key() { head -c "$1" /dev/urandom | base64 -w0; }
k80=$(key 30) k80b=$(key 30)
for suite in AES_CM_128_HMAC_SHA1_80:30 AES_CM_128_HMAC_SHA1_32:30 AEAD_AES_128_GCM:28 AEAD_AES_256_GCM:44; do
  name=${suite%%:*} k=$(key "${suite##*:}")
  probe "srtp_$name" 0 '.pass and .srtp and .packets == 50 and .lost == 0 and .srtp_auth_failures == 0
    and (.frequency_hz - 1000 | fabs) < 2 and .snr_db > 30' \
    --bind 127.0.0.152:41002 --srtp "$name:$k" --expect-tone 1000 "${short[@]}" \
    -- --to 127.0.0.152:41002 --srtp "$name:$k" --duration 1 --seq 65530
done
# The wrong key: nothing authenticates, every packet counted.
probe srtp_wrongkey 1 '(.pass | not) and .packets == 0 and .srtp_auth_failures == 50' \
  --bind 127.0.0.153:41002 --srtp "AES_CM_128_HMAC_SHA1_80:$k80b" --expect-tone 1000 "${short[@]}" \
  -- --to 127.0.0.153:41002 --srtp "AES_CM_128_HMAC_SHA1_80:$k80" --duration 1
# Plain RTP to an SRTP receiver fails authentication too.
probe srtp_plain 1 '.packets == 0 and .srtp_auth_failures == 50' \
  --bind 127.0.0.154:41002 --srtp "AES_CM_128_HMAC_SHA1_80:$k80" "${short[@]}" \
  -- --to 127.0.0.154:41002 --duration 1
# Re-key mid-stream after the sequence wrap (ROC 1 carries over to the new key): the receiver
# holds both keys and moves to the second without a failure; then an SSRC change (ROC 0).
kgcm=$(key 28)
probe srtp_rekey 0 '.pass and .lost == 0 and .srtp_auth_failures == 0 and .ssrcs == [1, 2]
  and (.srtp_key_changes | map([.ssrc, .key, .roc])) == [[1, 0, 0], [1, 1, 1], [2, 1, 0]]
  and .streams[0].srtp_key == 1 and .streams[1].srtp_key == 1' \
  --bind 127.0.0.155:41002 --srtp "AES_CM_128_HMAC_SHA1_80:$k80" --srtp "AES_CM_128_HMAC_SHA1_80:$k80b" \
  --expect-tone 1000 "${short[@]}" \
  -- --to 127.0.0.155:41002 --srtp "AES_CM_128_HMAC_SHA1_80:$k80" --ssrc 1 --seq 65520 --duration 2 \
  --rekey-at 0.8 "AES_CM_128_HMAC_SHA1_80:$k80b" --change-ssrc-at 1.4 2
# A hop that sends every 10th packet twice and flips a payload bit in the 7th, 27th and 47th:
# the probe itself rejects the 5 replays and the 3 forgeries (3 lost), and the audio passes.
python3 - 127.0.0.151:41004 127.0.0.151:41006 >"$tmp/hop.log" 2>&1 <<'EOF' &
import socket, sys
def addr(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)
src, dst = addr(sys.argv[1]), addr(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(src)
s.settimeout(5)
n = 0
try:
    while n < 1000:
        data = bytearray(s.recv(2048))
        n += 1
        if n % 20 == 7:
            data[30] ^= 1
        s.sendto(data, dst)
        if n % 10 == 0:
            s.sendto(data, dst)
except socket.timeout:
    pass
EOF
pids+=($!)
waitbound 127.0.0.151:41004
probe srtp_hop 0 '.pass and .srtp_replays == 5 and .srtp_auth_failures == 3 and .packets == 47
  and .lost == 3 and .duplicates == 0' \
  --bind 127.0.0.151:41006 --srtp "AEAD_AES_128_GCM:$kgcm" --expect-tone 1000 "${short[@]}" \
  -- --to 127.0.0.151:41004 --srtp "AEAD_AES_128_GCM:$kgcm" --duration 1

# A WAV file: 8 kHz mono 16-bit is sent; anything else is refused (exit 2) and says why.
python3 - "$tmp" <<'EOF'
import math, struct, sys, wave
for name, rate, channels in (("ok", 8000, 1), ("cd", 44100, 2)):
    w = wave.open(f"{sys.argv[1]}/{name}.wav", "wb")
    w.setnchannels(channels); w.setsampwidth(2); w.setframerate(rate)
    w.writeframes(b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * 1500 * i / rate))) * channels
                           for i in range(rate)))
    w.close()
EOF
probe wav 0 '.pass and (.frequency_hz - 1500 | fabs) < 2 and .audio_packets == 50' \
  --bind 127.0.0.152:41004 --expect-tone 1500 "${short[@]}" -- --to 127.0.0.152:41004 --wav "$tmp/ok.wav"

# Bad arguments: exit 2 and a message; --help: exit 0.
usage() {
  local out rc
  out=$("$bin" "$@" 2>&1)
  rc=$?
  [ "$rc" = 2 ] || fail "rtp-probe $* exited $rc, expected 2: $out"
  [ -n "$out" ] || fail "rtp-probe $*: no message"
  echo "$out" | grep -q "$k80" && fail "rtp-probe $*: the message quotes the key"
}
usage
usage listen
usage send
usage send --to 127.0.0.1
usage send --to 127.0.0.1:5000 --codec gsm
usage send --to 127.0.0.1:5000 --codec opus --ptime 25
usage send --to 127.0.0.1:5000 --codec g722 --wav "$tmp/cd.wav"
usage send --to 127.0.0.1:5000 --codec pcmu --tone 5000
usage send --to 127.0.0.1:5000 --ptime 0
usage send --to 127.0.0.1:5000 --tone 1000 --wav x.wav
usage send --to 127.0.0.1:5000 --dtmf 12x
usage send --to 127.0.0.1:5000 --pause 3-2
usage send --to 127.0.0.1:5000 --srtp "AES_CM_128_HMAC_SHA1_99:$k80"
usage send --to 127.0.0.1:5000 --srtp "AEAD_AES_256_GCM:$k80"
usage send --to 127.0.0.1:5000 --change-ssrc-at 1
usage send --to 127.0.0.1:5000 --wav "$tmp/cd.wav"
usage send --to 127.0.0.1:5000 --wav "$tmp/missing.wav"
usage recv
usage recv --bind 127.0.0.1:5000 --expect-tone lots
usage recv --bind 127.0.0.1:5000 --bogus
"$bin" send --wav "$tmp/cd.wav" --to 127.0.0.1:5000 2>&1 | grep -q "44100 Hz" ||
  fail "the refused WAV's message does not say what it is"
"$bin" --help | grep -q -- "--change-ssrc-at" || fail "--help does not document --change-ssrc-at"
"$bin" recv --help >/dev/null || fail "recv --help exited $?"
# A port already taken: a runtime error (3), not a silent share of its packets.
python3 -c 'import socket,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.153",41008)); time.sleep(3)' &
pids+=($!)
waitbound 127.0.0.153:41008
"$bin" recv --bind 127.0.0.153:41008 --duration 1 >/dev/null 2>&1
rc=$?
[ "$rc" = 3 ] || fail "recv on a taken port exited $rc, expected 3"

[ "$failures" = 0 ] && echo "rtp_probe_test: all passed"
exit $((failures > 0))
