//! Throughput of the core: `plan`, the three readers and the patchers, on the fixture files and
//! on a 1 MiB master.cf. `cargo bench -p amavis-tune-core`; tests/bench/run.sh prints the figures.

use std::hint::black_box;

use amavis_tune_core::{
    AmavisConf, Inputs, MainCf, MasterCf, MiB, Os, plan, set_max_servers, set_maxproc, set_parameter,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const MASTER_CF: &[u8] = include_bytes!("../../tests/fixtures/trees/debian-match/etc/postfix/master.cf");
const MAIN_CF: &[u8] = include_bytes!("../../tests/fixtures/trees/debian-match/etc/postfix/main.cf");
const AMAVIS_CONF: &[u8] = include_bytes!("../../tests/fixtures/trees/rhel-main-cf-limit/etc/amavisd/amavisd.conf");

/// A 1 MiB master.cf: the fixture, then services with `-o` lines, as a large real one looks.
fn big_master_cf() -> Vec<u8> {
    let mut text = MASTER_CF.to_vec();
    let mut index = 0;
    while text.len() < 1 << 20 {
        text.extend_from_slice(
            format!("svc{index} unix - - n - - pipe\n  -o flags=R user=nobody argv=/bin/true\n").as_bytes(),
        );
        index += 1;
    }
    text
}

fn readers(c: &mut Criterion) {
    let big = big_master_cf();
    let mut group = c.benchmark_group("parse");
    for (name, text) in [
        ("master.cf", MASTER_CF),
        ("master.cf-1MiB", big.as_slice()),
        ("main.cf", MAIN_CF),
        ("amavisd.conf", AMAVIS_CONF),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| match name {
                "main.cf" => black_box(MainCf::parse(black_box(text))).parameters.len(),
                "amavisd.conf" => black_box(AmavisConf::parse(black_box(text))).assignments.len(),
                _ => black_box(MasterCf::parse(black_box(text))).entries.len(),
            })
        });
    }
    group.finish();
}

fn patchers(c: &mut Criterion) {
    let master = MasterCf::parse(MASTER_CF);
    let index = master.entries.iter().position(|e| e.service() == "smtp-amavis").expect("the transport");
    let main = MainCf::parse(MAIN_CF);
    let amavis = AmavisConf::parse(AMAVIS_CONF);
    let mut group = c.benchmark_group("patch");
    group.throughput(Throughput::Bytes(MASTER_CF.len() as u64));
    group.bench_function("set_maxproc", |b| b.iter(|| set_maxproc(black_box(&master), index, 9)));
    group.throughput(Throughput::Bytes(MAIN_CF.len() as u64));
    group.bench_function("set_parameter", |b| {
        b.iter(|| set_parameter(black_box(&main), "smtp-amavis_destination_concurrency_limit", "9"))
    });
    group.throughput(Throughput::Bytes(AMAVIS_CONF.len() as u64));
    group.bench_function("set_max_servers", |b| b.iter(|| set_max_servers(black_box(&amavis), 9)));
    group.finish();
}

fn planning(c: &mut Criterion) {
    let inputs = Inputs::new(MiB::from_gib(8), Os::Debian);
    c.bench_function("plan", |b| b.iter(|| plan(black_box(&inputs))));
}

criterion_group!(benches, readers, patchers, planning);
criterion_main!(benches);
