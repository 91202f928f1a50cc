#!/usr/bin/env bash
# `npm test`: every test of the project, in order of speed. Stops at the first failing suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
echo "== build"; node scripts/build-node.mjs
echo "== typecheck"; npm run --silent typecheck
echo "== unit and engine tests (vitest)"; npx vitest run
echo "== training tests (pytest, Debian's python3-torch)"; /usr/bin/python3 -m pytest -q models/training/tests
echo "== browser e2e (Chromium vs serve mode, tiny pack) + Electron e2e (skips without a binary) + build config"; npx vite build --logLevel error && npx vitest run --config tests/e2e/vitest.config.ts
