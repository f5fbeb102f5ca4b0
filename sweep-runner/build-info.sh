#!/usr/bin/env bash
# Writes the runner's build facts (version, git sha, dirty flag) as a properties resource.
# Built from a checkout: the commit of this file's repository. Built from a tarball without .git (or
# without git installed, or inside some other repository that does not track this file): git.sha=unknown.
# Usage: build-info.sh OUTPUT_FILE VERSION
set -euo pipefail
out="$1"
version="$2"
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sha=unknown
dirty=unknown
if command -v git >/dev/null 2>&1 \
        && git -C "$dir" ls-files --error-unmatch build-info.sh >/dev/null 2>&1; then
    sha="$(git -C "$dir" rev-parse HEAD)"
    if [ -n "$(git -C "$dir" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
        dirty=true
    else
        dirty=false
    fi
fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
printf 'version=%s\ngit.sha=%s\ngit.dirty=%s\n' "$version" "$sha" "$dirty" > "$tmp"
mv "$tmp" "$out"
