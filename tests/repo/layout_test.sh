#!/usr/bin/env bash
# The repository's shape is part of the design (docs/ARCHITECTURE.md): the top level
# holds exactly the agreed areas, and dependencies point one way between them.
# usage: layout_test.sh <repo root>
set -u
cd "$1" || exit 2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Top level: these names and nothing else (dotfiles and build trees aside).
allowed=" CMakeLists.txt README.md signaling mediaplane dpdk topology metrics tests tools docs config "
for entry in $(git ls-files | cut -d/ -f1 | sort -u); do
  case "$entry" in .*) continue ;; esac
  [[ "$allowed" == *" $entry "* ]] || fail "unexpected top-level entry '$entry'"
done
for need in $allowed; do
  [ -e "$need" ] || fail "missing top-level entry '$need'"
done
[ -x .ci/run ] || fail ".ci/run is missing or not executable"

# includes <file-glob-dir> <forbidden include regex> <why>
forbid() {
  local dir=$1 pattern=$2 why=$3 hits
  hits=$(git ls-files "$dir" | grep -E '\.(h|cc|cpp|hpp)$' | xargs -r grep -nE "#include\s*[<\"]($pattern)" 2>/dev/null)
  [ -z "$hits" ] || fail "$why:"$'\n'"$hits"
}
forbid signaling 'rte_|dpdk/|generic/rte' "signaling must not include DPDK headers"
forbid signaling 'dpdk/|metrics/' "signaling depends only on mediaplane/api, not on dpdk or metrics"
# Signaling layers, bottom up (signaling/CMakeLists.txt): sip and sdp, then timer, then
# transport < admission, transaction < dialog < b2bua. No layer includes one above it.
forbid signaling/sip 'signaling/(sdp|timer|transport|admission|transaction|dialog|b2bua)/' "the SIP message layer sits below every other signaling layer"
forbid signaling/sdp 'signaling/(sip|timer|transport|transaction|dialog|b2bua)/' "SDP stands alone"
forbid signaling/timer 'signaling/(sip|sdp|transport|transaction|dialog|b2bua)/|topology/' "the timer wheel stands alone"
forbid signaling/transport 'signaling/(sdp|admission|transaction|dialog|b2bua)/|topology/' "the transport sits below transactions, dialogs and the B2BUA, and knows no realms"
forbid signaling/transaction 'signaling/(sdp|dialog|b2bua)/|topology/' "a transaction never sees a dialog or the B2BUA"
forbid signaling/admission 'signaling/(sdp|transaction|dialog|b2bua)/|topology/' "admission sits between the transport and the transaction layer, and knows no realms' configuration"
forbid signaling/dialog 'signaling/b2bua/|topology/' "a dialog never sees the B2BUA"
forbid signaling 'tools/' "signaling does not reach into the tools"

# topology: realms, routes, hiding and header rules over SIP messages, nothing more.
forbid topology 'signaling/(sdp|timer|transport|transaction|dialog|b2bua)/' "topology builds on signaling/sip only, never on transports, transactions, dialogs or the B2BUA"
forbid topology 'config/|dpdk/|metrics/|tools/|rte_|yaml-cpp/' "topology is plain data and rules: no configuration loader, DPDK, metrics or tools"
forbid topology 'mediaplane/[a-z_]+\.h' "topology may use mediaplane/api only"

# config: the daemon's configuration and its loader, above topology and mediaplane.
forbid config 'signaling/(sdp|timer|transport|transaction|dialog|b2bua)/' "the configuration uses signaling/sip at most"
forbid config 'dpdk/|metrics/|tools/|rte_' "the configuration knows no DPDK, metrics or tools: the daemon translates"

# Nothing below the configuration includes it; the daemon (tools/) hands each area its part.
forbid_except() {
  local dir=$1 pattern=$2 allowed=$3 why=$4 hits
  hits=$(git ls-files "$dir" | grep -E '\.(h|cc|cpp|hpp)$' | xargs -r grep -nE "#include\s*[<\"]($pattern)" 2>/dev/null | grep -vE "$allowed")
  [ -z "$hits" ] || fail "$why:"$'\n'"$hits"
}
# signaling reaches the media plane through its API, plus the control-side port allocator
# (plain C++, no DPDK) that the B2BUA draws media ports from.
forbid_except signaling 'mediaplane/' '#include "mediaplane/(api/[a-z_]+|port_allocator)\.h"' "signaling uses mediaplane/api and the port allocator only"
forbid signaling 'config/' "signaling sits below the configuration"
forbid topology 'config/' "topology sits below the configuration"
forbid mediaplane 'config/' "mediaplane sits below the configuration"
forbid dpdk 'config/' "the fast path sits below the configuration"
forbid metrics 'config/' "metrics sit below the configuration"

forbid mediaplane 'signaling/|topology/|dpdk/|rte_' "mediaplane (the API and its control-side parts) includes nothing above it and no DPDK"
forbid mediaplane/api 'mediaplane/[a-z_]+\.h' "mediaplane/api is the bottom layer: plain data only"
# SRTP: keys cross from signaling to the relay as plain data; crypto lives in mediaplane/srtp.
forbid signaling 'srtp2/|openssl/|mediaplane/srtp/' "signaling handles SRTP keys as plain data: libsrtp and OpenSSL stay in mediaplane/srtp"
forbid dpdk 'signaling/|topology/' "the fast path knows nothing of SIP"
forbid metrics 'signaling/|dpdk/|topology/' "metrics collect through interfaces, not by reaching into areas"
forbid_except metrics 'mediaplane/' '#include "mediaplane/api/address\.h"' "metrics use only the shared address helpers from mediaplane/api"

if [ "$failures" -gt 0 ]; then
  echo "$failures layout check(s) failed"
  exit 1
fi
echo "layout and dependency direction ok"
