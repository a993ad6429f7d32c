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
forbid signaling/sip 'signaling/(sdp|transport|transaction|dialog|b2bua)/' "the SIP message layer sits below every other signaling layer"
forbid signaling/sdp 'signaling/(sip|transport|transaction|dialog|b2bua)/' "SDP stands alone"
forbid mediaplane 'signaling/|topology/|dpdk/|rte_' "mediaplane (the API and its control-side parts) includes nothing above it and no DPDK"
forbid dpdk 'signaling/|topology/' "the fast path knows nothing of SIP"
forbid metrics 'signaling/|dpdk/' "metrics collect through interfaces, not by reaching into areas"

if [ "$failures" -gt 0 ]; then
  echo "$failures layout check(s) failed"
  exit 1
fi
echo "layout and dependency direction ok"
