#!/bin/sh
# Prints every performance figure of amavis-tune in one run (README, "Benchmarks"):
#   1. the built site's first load: each file and the total, raw, gzip -9 and brotli;
#   2. the page in headless Chromium: to first paint, to the generated config, input to output,
#      JS heap (medians; bench-web);
#   3. the CLI's plan and check wall time as a ratio to `true` (hyperfine, medians);
#   4. check and apply on master.cf files of 1.25 to 10 MiB: linear cost;
#   5. criterion throughput of plan, the readers and the patchers;
#   6. the live lab (root only): delivered messages per second and p95 delay as N goes 1 to 16,
#      beside the N of Little's law for the load (lab-bench).
#   7. `amavis-tune logs` on a generated mail log of 1 GiB: MB/s, peak RSS, and the ratio to
#      pflogsumm on the same file in the same run.
# `tests/bench/run.sh --opt-levels` also compares the web build at opt-level "z" and "s";
# `tests/bench/run.sh --logs` runs only 7.
# Needs: root for section 6 (it is skipped otherwise), the wasm32 target, chromium and
# chromedriver, hyperfine, gzip, pflogsumm (apt-get install pflogsumm), GNU time (/usr/bin/time);
# brotli and wasm-opt when available. Figures are from one run on whatever machine this is:
# compare ratios, not seconds.
set -eu
cd "$(dirname "$0")/../.."
work=target/bench
mkdir -p "$work"

# 6: the log reader against pflogsumm, on one generated file (not kept in the repository).
logs_bench() {
    echo "== 7. amavis-tune logs on a generated 1 GiB mail log, against pflogsumm"
    for tool in pflogsumm /usr/bin/time; do
        command -v "$tool" >/dev/null 2>&1 || { echo "  needs $tool: apt-get install -y pflogsumm time"; exit 1; }
    done
    cargo build -q --locked --release -p amavis-tune-cli -p amavis-tune-tests --bin amavis-tune --bin gen-mail-log
    log="$work/mail-1g.log"
    [ -f "$log" ] || target/release/gen-mail-log "$log" 1024
    bytes=$(wc -c < "$log")
    run_timed() {
        /usr/bin/time -v "$@" > "$work/out.txt" 2> "$work/time.txt"
        seconds=$(python3 -c 'import re,sys; t=re.search(r"Elapsed \(wall clock\) time.*: (\S+)", open(sys.argv[1]).read()).group(1).split(":"); print(sum(float(x) * 60 ** i for i, x in enumerate(reversed(t))))' "$work/time.txt")
        rss=$(grep 'Maximum resident set size' "$work/time.txt" | grep -o '[0-9]*$')
    }
    run_timed target/release/amavis-tune logs --ram 16G --cpus 8 --log-date 2026-12-03 --format json "$log"
    ours_s=$seconds; ours_rss=$rss
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  amavis-tune logs found %d sent, %d lines, verdict %s, needed %s (confidence %s; the replay of %d deliveries through %d numbers of children)" % (r["sent"], r["lines"]["total"], r["verdict"], r["needed"], r["confidence"], r["replay"]["deliveries"], len(r["replay"]["predictions"]) + len(r["replay"]["lifted_predictions"])))' "$work/out.txt"
    run_timed pflogsumm "$log"
    theirs_s=$seconds; theirs_rss=$rss
    python3 - "$bytes" "$ours_s" "$ours_rss" "$theirs_s" "$theirs_rss" <<'PY'
import sys
size, ours, ours_rss, theirs, theirs_rss = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
mb = size / 1e6
print(f"  file: {size} bytes ({mb:.0f} MB)")
print(f"  amavis-tune logs: {ours:6.2f} s, {mb / ours:7.1f} MB/s, peak RSS {ours_rss / 1024:6.1f} MiB")
print(f"  pflogsumm:        {theirs:6.2f} s, {mb / theirs:7.1f} MB/s, peak RSS {theirs_rss / 1024:6.1f} MiB")
print(f"  throughput ratio: {theirs / ours:.1f} x pflogsumm")
PY
}
if [ "${1:-}" = "--logs" ]; then
    logs_bench
    exit 0
fi

size_table() {
    total_raw=0; total_gz=0; total_br=0
    printf '  %-40s %10s %10s %10s\n' file raw gzip-9 brotli
    for file in "$1"/index.html "$1"/*.css "$1"/*.js "$1"/*.wasm; do
        raw=$(wc -c < "$file"); gz=$(gzip -9c "$file" | wc -c)
        if command -v brotli >/dev/null 2>&1; then br=$(brotli -q 11 -c "$file" | wc -c); else br=0; fi
        printf '  %-40s %10d %10d %10s\n' "$(basename "$file")" "$raw" "$gz" "$( [ "$br" -gt 0 ] && echo "$br" || echo n/a)"
        total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)); total_br=$((total_br + br))
    done
    printf '  %-40s %10d %10d %10s\n' "total (first load)" "$total_raw" "$total_gz" "$( [ "$total_br" -gt 0 ] && echo "$total_br" || echo n/a)"
}

echo "== 1. the web calculator's first load (bytes)"
cargo run -q --locked -p amavis-tune-tests --bin build-web -- "$work/site" >/dev/null 2>&1
size_table "$work/site"

if [ "${1:-}" = "--opt-levels" ]; then
    for level in z s; do
        CARGO_PROFILE_WEB_RELEASE_OPT_LEVEL=$level cargo run -q --locked -p amavis-tune-tests --bin build-web -- "$work/site-$level" >/dev/null 2>&1
        wasm=$(ls "$work/site-$level"/*.wasm)
        echo "  opt-level $level: wasm $(wc -c < "$wasm") bytes, $(gzip -9c "$wasm" | wc -c) gzip -9"
    done
fi

echo
echo "== 2. the page"
cargo run -q --locked -p amavis-tune-tests --bin bench-web -- "$work/site"

echo
echo "== 3. the CLI against \`true\` (hyperfine, 50 runs each, medians)"
cargo build -q --locked --release -p amavis-tune-cli
bin=target/release/amavis-tune
tree=tests/fixtures/trees/debian-match
hyperfine -N --warmup 5 --runs 50 --export-json "$work/cli.json" \
    'true' "$bin plan --ram 8G --os debian" "$bin check --root $tree" >/dev/null 2>&1
python3 - "$work/cli.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["median"]
for r in results:
    name = r["command"].replace("target/release/", "")
    print(f"  {name:<62} {r['median'] * 1000:7.2f} ms  {r['median'] / base:5.1f} x true")
PY

echo
echo "== 4. check and apply --dry-run on large master.cf files (hyperfine, 5 runs, medians)"
python3 - "$work" "$tree" <<'PY'
import os, shutil, sys
work, tree = sys.argv[1], sys.argv[2]
base = open(os.path.join(tree, "etc/postfix/master.cf"), "rb").read()
for mib in (1.25, 2.5, 5, 10):
    out = os.path.join(work, f"tree-{mib}")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(tree, out, symlinks=True)
    text, i = bytearray(base), 0
    while len(text) < mib * 1048576:
        text += b"svc%d unix - - n - - pipe\n  -o flags=R user=nobody argv=/bin/true\n" % i
        i += 1
    open(os.path.join(out, "etc/postfix/master.cf"), "wb").write(text)
PY
for command in check apply; do
    args="check"; [ "$command" = apply ] && args="apply --concurrency 9 --ram 64G --dry-run"
    hyperfine -N --warmup 1 --runs 5 --export-json "$work/scale-$command.json" \
        "$bin $args --root $work/tree-1.25" "$bin $args --root $work/tree-2.5" \
        "$bin $args --root $work/tree-5" "$bin $args --root $work/tree-10" >/dev/null 2>&1
    python3 - "$work/scale-$command.json" "$command" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
sizes = [1.25, 2.5, 5, 10]
for mib, r in zip(sizes, results):
    print(f"  {sys.argv[2]:<6} {mib:5} MiB master.cf: {r['median'] * 1000:8.1f} ms  {mib / r['median']:6.1f} MiB/s")
print(f"  {sys.argv[2]:<6} 10 MiB / 5 MiB time ratio: {results[3]['median'] / results[2]['median']:.2f} (2.00 is linear)")
PY
done

echo
echo "== 5. the core (criterion; median time and throughput)"
cargo bench -q --locked -p amavis-tune-core --bench core -- --warm-up-time 1 --measurement-time 3 --discard-baseline 2>/dev/null \
    | python3 -c '
import re, sys
name = None
for line in sys.stdin:
    if line and not line[0].isspace() and not line.startswith(("Benchmarking", "Found", "Gnuplot")):
        name = line.split()[0]
    time = re.search(r"time:\s+\[\S+ \S+ (\S+ \S+)", line)
    thrpt = re.search(r"thrpt:\s+\[\S+ \S+ (\S+ \S+)", line)
    if time:
        median = time.group(1)
        if name == "plan":
            print(f"  {name:<24} {median:>12}")
    if thrpt:
        print(f"  {name:<24} {median:>12}  {thrpt.group(1)}")
'

echo
echo "== 6. the live lab: real Postfix and amavisd, N = \$max_servers = maxproc (lab-bench)"
if [ "$(id -u)" -eq 0 ]; then
    cargo run -q --locked -p amavis-tune-tests --bin lab-bench
    echo
    echo "== 6b. the replay of the lab's logs, predicted beside measured (lab-replay)"
    cargo run -q --locked -p amavis-tune-tests --bin lab-replay
else
    echo "  skipped: the lab starts Postfix and amavisd, which needs root"
fi

echo
logs_bench
