#!/usr/bin/env bash
# Asserts that a .vsix holds what VS Code needs to run the extension.
# Usage: scripts/check-vsix.sh [wbs-lsp.vsix]
set -euo pipefail
vsix="${1:-wbs-lsp.vsix}"
if [ ! -f "$vsix" ]; then
    echo "check-vsix: no $vsix" >&2
    exit 1
fi
if command -v unzip >/dev/null 2>&1; then
    listing="$(unzip -l "$vsix")"
else
    listing="$(python3 -m zipfile -l "$vsix")"
fi
echo "$listing"
missing=0
has() { grep -q${2:-} "[[:space:]]${1//./\\.}\$" <<<"$listing"; }
for entry in extension/package.json extension/dist/extension.js extension.vsixmanifest; do
    if ! has "$entry"; then
        echo "check-vsix: $vsix lacks $entry" >&2
        missing=1
    fi
done
# vsce stores the README as extension/readme.md (lower case); either spelling will do.
if ! has extension/README.md i; then
    echo "check-vsix: $vsix lacks extension/README.md" >&2
    missing=1
fi
for unwanted in extension/src/ extension/test/ extension/node_modules/ extension/out/; do
    if grep -qF "$unwanted" <<<"$listing"; then
        echo "check-vsix: $vsix should not contain $unwanted" >&2
        missing=1
    fi
done
if [ "$missing" -ne 0 ]; then
    exit 1
fi
echo "check-vsix: $vsix has extension/package.json, extension/dist/extension.js and the README"
