#!/usr/bin/env bash
# Builds the WASM hot path: wasm/ (jetway-core plus a thin `extern "C"` layer) for
# wasm32-unknown-unknown, copied to wasm/pkg/jetway.wasm, which ts/hotpath/wasm.ts loads.
#
# Why a plain cargo build and not wasm-pack (tried; it works, at a price):
# - The only toolchain here with the wasm32 standard library is Debian's Rust 1.63
#   (/usr/bin/cargo 1.65, /usr/bin/rustc 1.63); rustup cannot download the target here.
# - wasm-bindgen 0.2.105 is the last release that builds with 1.63, and it does. But Debian's
#   cargo reads crates.io only through the git index, which these machines cannot reach, so
#   the crates must first be vendored by the host cargo. wasm-pack itself and a matching
#   wasm-bindgen-cli must be built from source with `cargo install` (about 20 minutes of
#   compiling on this 2-core machine, on every new machine), and wasm-opt switched off, since
#   wasm-pack cannot download either.
# - What it would buy is slower here: wasm-bindgen's glue allocates in the module for every
#   string argument and frees it after, and decodes results with TextDecoder. Measured on
#   Node 20 (medians, ns per call): a 26-byte string in, 100 for wasm-bindgen against 84 for
#   the loader's one reused scratch region; the same string in and back out, 350 against
#   about 165. Rate-limit state must live in a SharedArrayBuffer outside the module anyway.
# So: no dependency but jetway-core, no registry access, one cargo build, and a small loader
# (ts/hotpath/wasm.ts).
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
