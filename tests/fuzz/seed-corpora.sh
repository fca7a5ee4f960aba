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
# Mail logs in each format the reader knows (lines written for these seeds).
mkdir -p "$corpus/logs"
delivery='Q1A: to=<a@x.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=2.1, delays=0.1/0.2/0.3/1.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as Q2B)'
deferral='Q3C: to=<c@x.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=10, delays=0/0/10/0, dsn=4.4.2, status=deferred (conversation with 127.0.0.1[127.0.0.1] timed out while receiving the initial server greeting)'
suspended='Q3C: to=<c@x.example>, relay=none, delay=31, delays=31/0/0/0, dsn=4.4.2, status=deferred (delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:10024: Connection refused)'
result='(05001-01) Passed CLEAN {RelayedInbound}, [192.0.2.1]:4000 <s@y.example> -> <a@x.example>, Queue-ID: Q1A, queued_as: Q2B, 1400 ms'
split_start='(05002-03) Passed CLEAN {RelayedInbound}, [192.0.2.1]:4001 <s@y.example> -> <b@x.example>, Queue-ID: Q4D'
split_end='(05002-03) ...autolearn=no, 2400 ms'
printf 'Dec  2 07:00:10 mx postfix/smtp-amavis/smtp[100]: %s\nDec  2 07:00:10 mx amavis[5001]: %s\nDec  2 07:00:30 mx postfix/smtp-amavis/smtp[100]: %s\nDec  2 07:00:31 mx postfix/error[300]: %s\nDec  2 07:00:40 mx amavis[5001]: (05001-04) ESMTP :10024\ngarbage\n' \
    "$delivery" "$result" "$deferral" "$suspended" > "$corpus/logs/seed-classic"
printf 'Dec 02 07:00:10 mx postfix/smtp[100]: %s\nDec  2 07:00:20 mx.example /usr/sbin/amavisd[5002]: %s\nDec  2 07:00:20 mx.example /usr/sbin/amavisd[5002]: %s\n' \
    "$delivery" "$split_start" "$split_end" > "$corpus/logs/seed-maillog-file"
printf '2026-12-02T08:00:10.123456+01:00 mx postfix/smtp-amavis/smtp[100]: %s\n2026-12-02T07:00:10+0000 mx amavis[5001]: %s\n2026-12-02T07:00:11Z mx amavis[7]: (!)DENIED ACCESS from IP 192.0.2.6\n' \
    "$delivery" "$result" > "$corpus/logs/seed-iso"
printf '{"__REALTIME_TIMESTAMP":"1796194810000000","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"postfix/smtp","_PID":"100","MESSAGE":"%s"}\n{"__REALTIME_TIMESTAMP":"1796194811000000","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"amavis","SYSLOG_PID":"5","MESSAGE":[40,48,41]}\n' \
    "$delivery" > "$corpus/logs/seed-journal-json"
