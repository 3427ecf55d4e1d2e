#!/usr/bin/env bash
# Installs what the test suite and the bench need that a new machine lacks:
# Debian's Rust 1.63 with its wasm32 standard library (the WASM build),
# nginx, HAProxy, wrk and Redis (reference servers, contenders, load generator),
# and valgrind (the bench's instruction counts, callgrind and callgrind_control).
set -euo pipefail

need=()
[ -x /usr/bin/rustc ] || need+=(rustc cargo)
[ -d /usr/lib/rustlib/wasm32-unknown-unknown ] || need+=(libstd-rust-dev-wasm32)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v wrk >/dev/null || need+=(wrk)
command -v valgrind >/dev/null && command -v callgrind_control >/dev/null || need+=(valgrind)
command -v redis-server >/dev/null || need+=(redis-server)
command -v curl >/dev/null || need+=(curl)
# python3: the end-to-end tests run its http.server, and a test helper holds a non-accepting socket.
command -v python3 >/dev/null || need+=(python3)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: missing Debian packages: ${need[*]}; install them (apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
# The Debian packages start their services on install; the tests start their own.
for svc in nginx haproxy redis-server; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
