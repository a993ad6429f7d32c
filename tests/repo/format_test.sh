#!/usr/bin/env bash
# Every C++ file in the repository is clang-formatted (.clang-format at the root).
# usage: format_test.sh <repo root> <clang-format binary or empty>
set -u
cd "$1" || exit 2
formatter=${2:-}
if [ -z "$formatter" ] || ! command -v "$formatter" >/dev/null; then
  echo "FAIL: clang-format not found (tools/lab installs it)"
  exit 1
fi
files=$(git ls-files '*.h' '*.cc')
bad=$(echo "$files" | xargs -r "$formatter" --dry-run --Werror 2>&1 | grep -E '^[^ ].*: error' | cut -d: -f1 | sort -u)
if [ -n "$bad" ]; then
  echo "FAIL: not clang-formatted (run: clang-format -i <file>):"
  echo "$bad"
  exit 1
fi
echo "$(echo "$files" | wc -l) files formatted"
