#!/usr/bin/env bash
# The VS Code extension's checks, as CI runs them: install the locked npm packages, type
# check, lint, bundle, package the .vsix (offline once the packages are installed), check
# its contents, and run the Node tests against the real server.
#
# The server is WBS_LSP_SERVER, else target/debug/wbs-lsp in the repository
# (cargo build -p wbs-lsp).
set -euo pipefail
cd "$(dirname "$0")"

step() { echo "== vscode: $*"; }

step "npm ci"
# Install scripts are not needed (esbuild's binary comes from its platform package) and
# must not download anything.
npm ci --ignore-scripts --no-audit --no-fund

step "typecheck (tsc --noEmit, strict)"
npm run --silent typecheck

step "lint (eslint)"
npm run --silent lint

step "bundle (esbuild)"
npm run --silent bundle

step "package (vsce)"
rm -f wbs-lsp.vsix
npm run --silent package </dev/null

step "check the .vsix"
bash scripts/check-vsix.sh wbs-lsp.vsix

step "node tests"
npm test
