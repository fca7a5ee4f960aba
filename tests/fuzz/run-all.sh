#!/bin/sh
# Runs every fuzz target (or the ones named) for SECONDS each (default 60), one after another, and
# prints for each the executions, the coverage reached and whether it found anything. Needs
# cargo-fuzz (cargo install cargo-fuzz); works on stable Rust with `-s none` (no sanitizer: the
# code is safe Rust). A find is written to artifacts/TARGET/.
#   tests/fuzz/run-all.sh 600
#   tests/fuzz/run-all.sh 600 master_cf
set -eu
seconds=${1:-60}
[ "$#" -gt 0 ] && shift
targets=${*:-master_cf main_cf amavis_conf check_apply permalink logs}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
./seed-corpora.sh
mkdir -p logs
for target in $targets; do
    log="logs/$target.log"
    status=0
    cargo fuzz run --fuzz-dir . -s none "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*' || echo '?')
    corpus=$(find "corpus/$target" -type f | wc -l)
    echo "$target: ${seconds}s, $runs executions, coverage $cov edges, corpus $corpus inputs, exit $status"
done
