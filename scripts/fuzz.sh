#!/usr/bin/env bash
# Fuzzes every parsing entry point of jetway-core (native/core/fuzz/fuzz_targets/) for a few
# seconds each: bash scripts/fuzz.sh [seconds-per-target] (default 5).
#
# cargo-fuzz needs -Z flags (sanitizers, coverage passes). The stable toolchain accepts them
# with RUSTC_BOOTSTRAP=1, which is set here for these commands only. cargo-fuzz is installed
# from crates.io when missing. Seeds come from the golden vectors, so the fuzzer starts from
# the interesting edge cases instead of from nothing. Crashes land in
# native/core/fuzz/artifacts/<target>/ and make this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-5}
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

# Seed corpora from the vectors, once (corpus/ is not committed).
python3 - <<'PY'
import json, os

root = "native/core/fuzz/corpus"
vec = lambda name: json.load(open("test/vectors/" + name))

def seed(target, items):
    folder = os.path.join(root, target)
    if os.path.isdir(folder) and os.listdir(folder):
        return
    os.makedirs(folder, exist_ok=True)
    for i, data in enumerate(items):
        open(os.path.join(folder, "seed-%04d" % i), "wb").write(data.encode())

def flags(options):
    o = options or {}
    return chr((1 if o.get("allow_encoded_slash") else 0) | (2 if o.get("allow_backslash") else 0)
               | (0 if o.get("merge_slashes", True) else 4))

seed("normalize", [flags(c.get("options")) + c["input"] for c in vec("normalize.json")])

def route_line(r):
    kind, path = next(iter(r["path"].items()))
    headers = ",".join("%s=%s" % (n, v) for n, v in r["headers"])
    return "|".join([kind[0], r.get("host", ""), path, ",".join(r["methods"]), headers])

seed("route", ["\n".join([q["method"], q["host"], q["path"]] + [route_line(r) for r in t["routes"]])
               for t in vec("router.json") for q in t["requests"]])
seed("client_address", ["\n".join([c["peer"], c["xff"], c["forwarded"], ",".join(c["trusted"])])
                        for c in vec("forwarded.json")])
seed("cidr_parse", ["\n".join(c["ranges"] + [k["ip"]]) for c in vec("cidr.json")
                    for k in c.get("checks", [{"ip": "10.0.0.1"}])])
PY

cd native/core
cargo fuzz build -O
failed=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in $(cargo fuzz list); do
  echo "== fuzz $target (${seconds}s)"
  if ! cargo fuzz run -O "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
    -print_final_stats=1 2>"$log"; then
    failed+=("$target")
    tail -40 "$log" >&2
  fi
  grep -E "^stat::(number_of_executed_units|new_units_added)" "$log" | tr '\n' ' ' || true
  echo
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in: ${failed[*]} (see native/core/fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all targets ran ${seconds}s without a failure"
