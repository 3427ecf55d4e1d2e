#!/usr/bin/env bash
# Records test/vectors/ip_hash.json from a real nginx: which upstream nginx's ip_hash sends each
# client address to, for a few weight sets and with one upstream marked down. The client
# address is set through the realip module (X-Real-IP from 127.0.0.1), so any IPv4 or IPv6
# address can be tried from loopback. Needs nginx with http_realip, curl and python3.
# 255.255.255.255 is left out: nginx's realip reads it as INADDR_NONE and keeps the peer.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/ip_hash.json"
dir="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

# Six free loopback ports, chosen now: three upstreams, then one proxy per set (below).
read -r -a ports < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')
up=("${ports[@]:0:3}")
px=("${ports[@]:3:3}")

# Each set: the server lines of one upstream block (weights, down).
sets=(
  "server 127.0.0.1:${up[0]}; server 127.0.0.1:${up[1]}; server 127.0.0.1:${up[2]};"
  "server 127.0.0.1:${up[0]} weight=3; server 127.0.0.1:${up[1]};
   server 127.0.0.1:${up[2]} weight=2;"
  "server 127.0.0.1:${up[0]}; server 127.0.0.1:${up[1]} down; server 127.0.0.1:${up[2]};"
)
weights=("[1,1,1]" "[3,1,2]" "[1,1,1]")
down=("[]" "[]" "[1]")

{
  echo "daemon off; pid $dir/nginx.pid; error_log $dir/error.log; events {}"
  echo "http { access_log off; set_real_ip_from 127.0.0.1; real_ip_header X-Real-IP;"
  for i in 0 1 2; do
    echo "server { listen 127.0.0.1:${up[$i]}; return 200 $i; }"
  done
  for s in 0 1 2; do
    echo "upstream set$s { ip_hash; ${sets[$s]} }"
    echo "server { listen 127.0.0.1:${px[$s]}; location / { proxy_pass http://set$s; } }"
  done
  echo "}"
} >"$dir/nginx.conf"
nginx -p "$dir" -c "$dir/nginx.conf" &
pid=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:${px[0]}/" && break; sleep 0.1; done

clients=(
  192.0.2.1 192.0.2.77 192.0.2.254 198.51.100.3 198.51.100.200 203.0.113.7 203.0.113.200
  10.0.0.1 10.0.1.1 10.0.2.1 10.0.3.1 10.1.0.1 10.2.0.1 10.20.30.40 10.255.255.1
  172.16.0.1 172.16.1.9 172.31.200.3 192.168.0.1 192.168.1.1 192.168.2.1 192.168.100.50
  1.1.1.1 8.8.8.8 9.9.9.9 100.64.0.1 127.0.0.1 127.0.1.1 0.0.0.0 203.0.114.1
  2001:db8::1 2001:db8::2 2001:db8:0:1::1 2001:db8:ffff::abcd fe80::1 ::1 ::
  2001:db8:85a3::8a2e:370:7334 2001:db8:1:2:3:4:5:6 fd00::10 ::ffff:192.0.2.1
)
{
  echo '{'
  version="$(nginx -v 2>&1 | sed 's/.*nginx\///')"
  echo "  \"source\": \"recorded from nginx $version ip_hash by test/vectors/record-ip-hash.sh;\
 client set through X-Real-IP (realip)\","
  echo '  "sets": ['
  for s in 0 1 2; do
    echo '    { "weights": '"${weights[$s]}"', "down": '"${down[$s]}"', "picks": ['
    n=0
    for c in "${clients[@]}"; do
      got="$(curl -s -H "X-Real-IP: $c" "http://127.0.0.1:${px[$s]}/")"
      sep=","; n=$((n + 1)); [ "$n" = "${#clients[@]}" ] && sep=""
      echo '      { "client": "'"$c"'", "upstream": '"$got"' }'"$sep"
    done
    [ "$s" = 2 ] && echo '    ] }' || echo '    ] },'
  done
  echo '  ]'
  echo '}'
} >"$out"
echo "wrote $out"
