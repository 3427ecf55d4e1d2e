#!/usr/bin/env bash
# Records test/vectors/ketama.json from a real nginx: which upstream nginx's
# `hash $arg_key consistent` picks for each key, for several upstream sets, plus the
# upstream nginx falls back to when the first (and second) pick fails. Jetway's Ketama must
# reproduce every one of them (native/core/tests/ketama_vectors.rs).
#
# Everything runs on loopback with ports chosen at run time, in a temporary prefix; nginx is
# stopped by the pid in its own pid file. Usage: bash scripts/record-ketama.sh [nginx binary]
set -euo pipefail
cd "$(dirname "$0")/.."

nginx_bin=${1:-/usr/sbin/nginx}
out=test/vectors/ketama.json
tmp=$(mktemp -d)
chmod 755 "$tmp"
pidfile="$tmp/nginx.pid"

stop_nginx() {
  if [ -s "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap stop_nginx EXIT

# Upstream sets: each line is one set, each item `address weight`. The port of every
# upstream (and of the front listener) is picked below. Loopback addresses other than
# 127.0.0.1 give the ring hosts that differ, not only ports.
sets=(
  "127.0.0.1 1,127.0.0.1 2,127.0.0.1 3"
  "127.0.0.1 1,127.0.0.2 1,127.0.0.3 2,127.0.0.4 3,127.0.0.5 5"
  "127.0.0.1 1,127.0.0.1 1,127.0.0.1 1,127.0.0.1 1"
  "127.0.0.2 4,127.0.0.3 1,127.0.0.1 2"
)

# Writes the nginx config and a JSON plan for the client; ports come from binding port 0.
python3 - "$tmp" "${sets[@]}" <<'PY'
import json, socket, sys

tmp, sets = sys.argv[1], sys.argv[2:]
held = []

def free_port(addr):
    s = socket.socket()
    s.bind((addr, 0))
    held.append(s)  # keep bound until every port is chosen, so none repeats
    return s.getsockname()[1]

front = free_port("127.0.0.1")
plan = {"front": front, "sets": []}
servers, upstream_blocks, locations = [], [], []
uid = 0
for n, spec in enumerate(sets):
    ups = []
    for item in spec.split(","):
        addr, weight = item.split()
        name = "%s:%d" % (addr, free_port(addr))
        uid += 1
        ups.append({"name": name, "weight": int(weight), "id": uid})
        servers.append(
            "  server {\n    listen %s;\n    location / {\n"
            "      if ($arg_fail ~ \"_%d_\") { return 503; }\n"
            "      return 200 \"%s\";\n    }\n  }\n" % (name, uid, name))
    lines = "".join("    server %s weight=%d max_fails=0;\n" % (u["name"], u["weight"]) for u in ups)
    upstream_blocks.append("  upstream set%d {\n    hash $arg_key consistent;\n%s  }\n" % (n, lines))
    locations.append(
        "    location /set%d {\n      proxy_pass http://set%d;\n"
        "      proxy_next_upstream error timeout http_503;\n"
        "      proxy_next_upstream_tries 0;\n    }\n" % (n, n))
    plan["sets"].append({"path": "/set%d" % n, "upstreams": ups})

conf = """worker_processes 1;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path %(tmp)s/body;
  proxy_temp_path %(tmp)s/proxy;
  fastcgi_temp_path %(tmp)s/fastcgi;
  uwsgi_temp_path %(tmp)s/uwsgi;
  scgi_temp_path %(tmp)s/scgi;
  keepalive_requests 100000;
%(upstreams)s
  server {
    listen 127.0.0.1:%(front)d;
%(locations)s  }
%(servers)s}
""" % {"tmp": tmp, "front": front, "upstreams": "".join(upstream_blocks),
       "locations": "".join(locations), "servers": "".join(servers)}
open(tmp + "/nginx.conf", "w").write(conf)
json.dump(plan, open(tmp + "/plan.json", "w"))
PY

"$nginx_bin" -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf"
version=$("$nginx_bin" -v 2>&1)

# The client: keep-alive HTTP/1.1 to the front listener, bounded in count and time.
python3 - "$tmp/plan.json" "$out" "$version" <<'PY'
import http.client, json, sys, time

plan_file, out, version = sys.argv[1:4]
plan = json.load(open(plan_file))

def keys_for(n):
    # Only unreserved characters: nginx hashes $arg_key as it appears in the query, raw.
    keys = ["k%d" % i for i in range(400)]
    keys += ["user-%d" % (i * 7919) for i in range(300)]
    keys += ["%08x%d" % ((i * 2654435761) & 0xffffffff, n) for i in range(296)]
    keys += ["~", "_", "a.b", "-" * 40]
    return keys

def connect():
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", plan["front"], timeout=5)
            c.request("GET", "/")
            c.getresponse().read()
            return c
        except OSError:
            time.sleep(0.05)
    sys.exit("record-ketama: nginx did not answer on port %d" % plan["front"])

conn = connect()
deadline = time.time() + 120

def ask(path, key, failed):
    if time.time() > deadline:
        sys.exit("record-ketama: took longer than 120 s")
    fail = "_" + "_".join(str(i) for i in failed) + "_" if failed else ""
    conn.request("GET", "%s?key=%s&fail=%s" % (path, key, fail))
    r = conn.getresponse()
    body = r.read().decode()
    if r.status != 200:
        sys.exit("record-ketama: %s key %s: status %d" % (path, key, r.status))
    return body

result = {
    "source": (
        "Recorded by scripts/record-ketama.sh from %s: an upstream block "
        "`hash $arg_key consistent;` over the upstreams below (each an nginx server block "
        "that returns its own `server` text); `picks` are nginx's choice for "
        "`?key=KEY`; `fallbacks` are nginx's next choice when the upstreams picked before "
        "answer 503 (proxy_next_upstream http_503), i.e. attempt 1 and 2." % version),
    "sets": [],
}
for n, s in enumerate(plan["sets"]):
    names = [u["name"] for u in s["upstreams"]]
    ids = [u["id"] for u in s["upstreams"]]
    picks, fallbacks = [], []
    for i, key in enumerate(keys_for(n)):
        first = names.index(ask(s["path"], key, []))
        picks.append({"key": key, "upstream": first})
        if i % 5 == 0:
            tried = [first]
            for attempt in (1, 2):
                nxt = names.index(ask(s["path"], key, [ids[t] for t in tried]))
                fallbacks.append({"key": key, "attempt": attempt, "upstream": nxt})
                tried.append(nxt)
    ups = [{"name": u["name"], "weight": u["weight"]} for u in s["upstreams"]]
    result["sets"].append({"upstreams": ups, "picks": picks, "fallbacks": fallbacks})

def dump_set(s):
    # One pick per line keeps the file readable and its diffs small.
    items = lambda xs: ",\n".join("    " + json.dumps(x) for x in xs)
    return ('  {\n   "upstreams": %s,\n   "picks": [\n%s\n   ],\n   "fallbacks": [\n%s\n   ]\n  }'
            % (json.dumps(s["upstreams"]), items(s["picks"]), items(s["fallbacks"])))

with open(out, "w") as f:
    f.write('{\n "source": %s,\n "sets": [\n' % json.dumps(result["source"]))
    f.write(",\n".join(dump_set(s) for s in result["sets"]))
    f.write("\n ]\n}\n")
total = sum(len(s["picks"]) for s in result["sets"])
falls = sum(len(s["fallbacks"]) for s in result["sets"])
print("record-ketama: wrote %s: %d sets, %d picks, %d fallbacks" % (out, len(result["sets"]), total, falls))
PY
