#!/usr/bin/env bash
# Builds the WASM hot path: wasm/ (jetway-core plus a thin `extern "C"` layer) for
# wasm32-unknown-unknown, copied to wasm/pkg/jetway.wasm, which ts/hotpath/wasm.ts loads.
#
# Why a plain cargo build and not wasm-pack:
# - The only toolchain here with the wasm32 standard library is Debian's Rust 1.63
#   (/usr/bin/cargo, /usr/bin/rustc); rustup cannot download the target on these machines.
# - wasm-bindgen 0.2.105 (the last to support 1.63) does compile with it, but Debian's cargo
#   (1.65) only reads crates.io through the git index, which these machines cannot reach, so
#   every build would first need the crates vendored by another cargo; wasm-pack also fetches
#   wasm-bindgen-cli and wasm-opt at build time, which cannot be downloaded here either, so
#   both would have to be built from source on every new machine (minutes each).
# - What wasm-bindgen would generate is what we need least: its string glue allocates in the
#   module for every string argument, where our loader copies all of a call's strings into one
#   reused scratch region; and rate-limit state must live in a SharedArrayBuffer outside the
#   module anyway. The layer we keep instead is about 300 lines of exports and decoding.
# So: no dependency but jetway-core, no registry access, one cargo build.
set -euo pipefail
cd "$(dirname "$0")/../wasm"

cargo=/usr/bin/cargo
rustc=/usr/bin/rustc
if [ ! -x "$cargo" ] || [ ! -d /usr/lib/rustlib/wasm32-unknown-unknown ]; then
  echo "build-wasm: needs Debian's cargo, rustc and libstd-rust-dev-wasm32 (scripts/setup.sh)" >&2
  exit 1
fi

# RUSTC is explicit: the rustc first on PATH may be rustup's, which has no wasm32 target.
RUSTC="$rustc" "$cargo" build --locked --offline --release --target wasm32-unknown-unknown
mkdir -p pkg
cp target/wasm32-unknown-unknown/release/jetway_wasm.wasm pkg/jetway.wasm
echo "build-wasm: wasm/pkg/jetway.wasm ($(wc -c < pkg/jetway.wasm) bytes)"
