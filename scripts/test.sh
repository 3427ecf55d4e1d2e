#!/usr/bin/env bash
# The whole test suite: `npm test`. CI runs exactly this (through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
npm run build:wasm

echo "== lint"
npm run lint

echo "== rust"
cargo test --workspace --quiet
bash scripts/check-core-msrv.sh

echo "== fuzz (briefly)"
bash scripts/fuzz.sh 5

echo "== node, native hot path"
JETWAY_HOTPATH=native JETWAY_REQUIRE_BACKENDS=native,wasm,ts node --test --test-concurrency=1 dist/test/

echo "== node integration, wasm hot path, undici as the upstream client"
JETWAY_HOTPATH=wasm JETWAY_TEST_POOL_CLIENT=undici node --test --test-concurrency=1 dist/test/integration/

echo "== bench smoke (no timing assertion)"
node dist/bench/main.js smoke

echo "== bench instructions smoke (callgrind still counts; no figure asserted)"
# Jetway and nginx only: each contender costs a start under valgrind, and these two keep it
# at 15-25 s while covering a node process and a native one without its master.
node dist/bench/main.js instructions-smoke --contenders jetway,nginx
