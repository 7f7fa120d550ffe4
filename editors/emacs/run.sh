#!/usr/bin/env bash
# Runs the Emacs test (Eglot + Flymake, batch) against the server binary.
# Needs emacs 28+ with eglot (Debian: apt-get install emacs-nox elpa-eglot elpa-markdown-mode).
#
#   WBS_LSP_SERVER  the server (default: target/debug/wbs-lsp in this repository)
#   EMACS           the emacs to run (default: emacs)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
export WBS_LSP_SERVER="${WBS_LSP_SERVER:-$repo/target/debug/wbs-lsp}"
emacs="${EMACS:-emacs}"
if ! command -v "$emacs" >/dev/null 2>&1; then
    echo "emacs test: no $emacs (apt-get install emacs-nox elpa-eglot elpa-markdown-mode)" >&2
    exit 1
fi
# A private home: no user init, packages or state.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export HOME="$scratch"
echo "emacs test: $(command -v "$emacs"), server $WBS_LSP_SERVER"
timeout 180 "$emacs" --batch -Q -l "$here/test.el" </dev/null
