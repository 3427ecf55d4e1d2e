#!/usr/bin/env bash
# Checks that jetway-core still builds with Debian's Rust 1.63 (/usr/bin/cargo), for the host
# and for wasm32-unknown-unknown, and that its unit tests pass there.
#
# Why a copy: inside the project's workspace, cargo 1.63 would have to resolve every member's
# dependencies (napi-rs, serde_json for the vector tests) through the old git index, which it
# cannot reach offline. The library and its unit tests need none of them, so a standalone copy
# of the crate without dev-dependencies builds offline.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo163=${CARGO163:-/usr/bin/cargo}
# Debian's cargo would otherwise run the first `rustc` on PATH, which may be rustup's newer one.
export RUSTC=${RUSTC163:-/usr/bin/rustc}
export RUSTDOC=${RUSTDOC163:-/usr/bin/rustdoc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp -r native/core/src "$tmp/src"
# The manifest up to its dev-dependencies, plus an empty workspace of its own.
sed '/^\[dev-dependencies\]/,$d' native/core/Cargo.toml >"$tmp/Cargo.toml"
printf '\n[workspace]\n' >>"$tmp/Cargo.toml"

cd "$tmp"
echo "== $("$cargo163" --version), $("$RUSTC" --version)"
"$cargo163" build --lib --offline --quiet
echo "host: ok"
"$cargo163" build --lib --offline --quiet --target wasm32-unknown-unknown
echo "wasm32-unknown-unknown: ok"
"$cargo163" test --lib --offline --quiet 2>&1 | tail -3
