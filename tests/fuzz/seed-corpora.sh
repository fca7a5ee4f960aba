#!/bin/sh
# Seeds each fuzz target's corpus from the test fixtures (run from anywhere; idempotent).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
trees="$here/../fixtures/trees"
corpus="$here/corpus"
mkdir -p "$corpus/master_cf" "$corpus/main_cf" "$corpus/amavis_conf" "$corpus/check_apply" "$corpus/permalink"
for tree in "$trees"/*/; do
    name=$(basename "$tree")
    master=$(find "$tree" -name master.cf | head -n 1)
    main=$(find "$tree" -name main.cf | head -n 1)
    cp "$master" "$corpus/master_cf/seed-$name"
    cp "$main" "$corpus/main_cf/seed-$name"
    find "$tree" -path '*amavis*' -type f | while read -r file; do
        cp "$file" "$corpus/amavis_conf/seed-$name-$(basename "$file")"
    done
    amavis=$(find "$tree" \( -name 50-user -o -name amavisd.conf \) -type f | head -n 1)
    { cat "$master"; printf '\376'; cat "$main"; printf '\376'; cat "$amavis"; } > "$corpus/check_apply/seed-$name"
done
n=0
for link in \
    'https://amavis-tune.github.io/amavis-tune/?v=1&ram=8G&os=debian&clamav=on&method=master-cf' \
    '?v=1&ram=4.5G&concurrency=6&os=ubuntu&clamav=on&reload=off&method=main-cf&service=amavisfeed&cpus=4' \
    'ram=3G&os=openbsd&clamav=off&per-child=150M&reserve=2G&headroom=5&clamd=1G&amavisd-parent=90M' \
    '# Reproduce: https://x.example/calc/?v=0&ram=1T&concurrency=25#top'; do
    n=$((n + 1))
    printf '%s' "$link" > "$corpus/permalink/seed-$n"
done
