use proptest::prelude::*;

use super::*;
use crate::inputs::cpus::Cpus;
use crate::inputs::os::Os;
use crate::inputs::size::{MAX_SIZE, MiB};
use crate::inputs::{ClamAv, HeadroomPercent, Overrides};

fn inputs(ram_mib: u64) -> Inputs {
    Inputs::new(MiB(ram_mib), Os::Debian)
}

/// One line per case: the number, what decided it, the safe maximum and the warning codes.
#[track_caller]
fn check(inputs: Inputs, expect: &str) {
    let plan = plan(&inputs);
    let codes: Vec<&str> = plan.warnings.iter().map(|w| w.code.as_str()).collect();
    let actual = format!(
        "n={} by={} safe_max={} fits={} warnings=[{}]",
        plan.concurrency,
        serde_json::to_value(plan.decided_by).unwrap_or_default().as_str().unwrap_or_default(),
        plan.safe_max,
        plan.budget.fits,
        codes.join(",")
    );
    assert_eq!(actual, expect);
}

fn with(mut inputs: Inputs, edit: impl FnOnce(&mut Inputs)) -> Inputs {
    edit(&mut inputs);
    inputs
}

fn n(value: u32) -> Option<Concurrency> {
    Concurrency::new(value).ok()
}

#[test]
fn recommendations() {
    // 8192 - 819 headroom - 1024 - 3072 - 184 = 3093 -> 44 children of 70 MiB.
    check(inputs(8192), "n=10 by=diminishing-returns safe_max=44 fits=true warnings=[]");
    check(with(inputs(8192), |i| i.cpus = Cpus::new(2).ok()), "n=6 by=cpu safe_max=44 fits=true warnings=[]");
    check(
        with(inputs(8192), |i| i.cpus = Cpus::new(8).ok()),
        "n=10 by=diminishing-returns safe_max=44 fits=true warnings=[]",
    );
    // 5120 - 512 - 1024 - 3072 - 184 = 328 -> 4.
    check(inputs(5120), "n=4 by=memory safe_max=4 fits=true warnings=[]");
    check(inputs(4096), "n=2 by=minimum safe_max=0 fits=false warnings=[does-not-fit]");
    check(
        // 4096 - 409 - 1024 - 1536 - 184 = 943 -> 13, above the 10 that rarely add throughput.
        with(inputs(4096), |i| i.clamav = ClamAv::On { concurrent_reload: false }),
        "n=10 by=diminishing-returns safe_max=13 fits=true warnings=[]",
    );
    // 2048 - 204 - 1024 - 184 = 636 -> 9.
    check(with(inputs(2048), |i| i.clamav = ClamAv::Off), "n=9 by=memory safe_max=9 fits=true warnings=[]");
    check(inputs(2048), "n=2 by=minimum safe_max=0 fits=false warnings=[does-not-fit,clamav-low-ram]");
    check(inputs(1), "n=2 by=minimum safe_max=0 fits=false warnings=[ram-unit-slip,does-not-fit,clamav-low-ram]");
    check(inputs(MAX_SIZE.0), "n=10 by=diminishing-returns safe_max=862767 fits=true warnings=[ram-unit-slip]");
    // Unit slips, at the edges of what is plausible.
    check(inputs(511), "n=2 by=minimum safe_max=0 fits=false warnings=[ram-unit-slip,does-not-fit,clamav-low-ram]");
    check(
        with(inputs(512), |i| i.clamav = ClamAv::Off),
        "n=2 by=minimum safe_max=0 fits=false warnings=[does-not-fit]",
    );
    check(inputs(1024 * 1024), "n=10 by=diminishing-returns safe_max=13420 fits=true warnings=[]");
    check(inputs(1024 * 1024 + 1), "n=10 by=diminishing-returns safe_max=13420 fits=true warnings=[ram-unit-slip]");
}

#[test]
fn unit_slips_name_the_value_meant() {
    let message =
        |mib| plan(&inputs(mib)).warnings.into_iter().find(|w| w.code == WarningCode::RamUnitSlip).map(|w| w.message);
    assert_eq!(
        message(4048 * 1024).as_deref(),
        Some("4048G of RAM (4.0 TiB) is more than any mail server has: if you meant 4048 MiB, enter 4048M.")
    );
    assert_eq!(
        message(8).as_deref(),
        Some("8 MiB of RAM is less than amavisd and Postfix need to start: if you meant 8 GiB, enter 8G.")
    );
    assert_eq!(message(8192), None);
}

#[test]
fn requests_and_their_warnings() {
    check(with(inputs(8192), |i| i.concurrency = n(10)), "n=10 by=requested safe_max=44 fits=true warnings=[]");
    check(
        with(inputs(8192), |i| i.concurrency = n(50)),
        "n=50 by=requested safe_max=44 fits=false warnings=[exceeds-safe-max,above-useful-range,clamd-max-threads,destination-concurrency-limit]",
    );
    check(
        with(inputs(8192), |i| {
            i.concurrency = n(12);
            i.cpus = Cpus::new(2).ok();
        }),
        "n=12 by=requested safe_max=44 fits=true warnings=[above-cpu-guidance]",
    );
    // MaxThreads, where clamd.conf was not read: Debian's clamav-daemon writes 12 into it
    // (debian/clamav-daemon.templates, Default: 12); elsewhere clamd's own default, 10.
    let threads = |os: Os, children: u32| {
        with(inputs(16384), |i| {
            i.os = os;
            i.concurrency = n(children);
        })
    };
    check(threads(Os::Debian, 13), "n=13 by=requested safe_max=149 fits=true warnings=[clamd-max-threads]");
    check(threads(Os::Ubuntu, 12), "n=12 by=requested safe_max=149 fits=true warnings=[]");
    check(threads(Os::Rhel, 11), "n=11 by=requested safe_max=149 fits=true warnings=[clamd-max-threads]");
    check(threads(Os::Freebsd, 10), "n=10 by=requested safe_max=149 fits=true warnings=[]");
    check(
        with(threads(Os::Debian, 11), |i| i.clamd_max_threads = Some(10)),
        "n=11 by=requested safe_max=149 fits=true warnings=[clamd-max-threads]",
    );
    check(
        with(inputs(65536), |i| {
            i.concurrency = n(25);
            i.clamav = ClamAv::Off;
        }),
        "n=25 by=requested safe_max=825 fits=true warnings=[destination-concurrency-limit]",
    );
    check(
        with(inputs(65536), |i| {
            i.concurrency = n(8);
            i.method = PostfixMethod::MainCf;
        }),
        "n=8 by=requested safe_max=781 fits=true warnings=[main-cf-per-recipient]",
    );
    check(
        with(inputs(65536), |i| {
            i.concurrency = n(120);
            i.method = PostfixMethod::MainCf;
            i.clamav = ClamAv::Off;
        }),
        "n=120 by=requested safe_max=825 fits=true warnings=[above-useful-range,main-cf-per-recipient,process-limit]",
    );
}

#[test]
fn overrides_change_the_budget() {
    let overrides = Overrides {
        per_child: Some(MiB(200)),
        clamd: Some(MiB(2048)),
        reserve: Some(MiB(512)),
        amavisd_parent: Some(MiB(64)),
        headroom_percent: "0".parse::<HeadroomPercent>().ok(),
    };
    // 8192 - 512 - 4096 - 64 = 3520 -> 17 children of 200 MiB.
    check(
        with(inputs(8192), |i| i.overrides = overrides),
        "n=10 by=diminishing-returns safe_max=17 fits=true warnings=[]",
    );
    let plan = plan(&with(inputs(8192), |i| i.overrides = overrides));
    let figures: Vec<String> =
        plan.budget.consumers.iter().map(|c| format!("{}={}:{:?}", c.id, c.mib.0, c.origin)).collect();
    assert_eq!(
        figures.join(" "),
        "reserve=512:Override clamd=2048:Override clamd-reload=2048:Override amavisd-parent=64:Override amavisd-children=2000:Override headroom=0:Override"
    );
}

#[test]
fn snippets_per_os_and_method() {
    let files = |inputs: Inputs| -> String {
        plan(&inputs)
            .snippets
            .iter()
            .map(|s| format!("{} <- {}", s.path, s.content.trim_end()))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let at = |os, method, concurrency| {
        with(inputs(65536), |i| {
            i.os = os;
            i.method = method;
            i.concurrency = n(concurrency);
        })
    };
    assert_eq!(
        files(at(Os::Debian, PostfixMethod::MasterCf, 7)),
        "/etc/amavis/conf.d/50-user <- $max_servers = 7; | /etc/postfix/master.cf <- smtp-amavis unix  -       -       n       -       7       smtp"
    );
    assert_eq!(
        files(at(Os::Ubuntu, PostfixMethod::MainCf, 7)),
        "/etc/amavis/conf.d/50-user <- $max_servers = 7; | /etc/postfix/main.cf <- smtp-amavis_destination_concurrency_limit = 7"
    );
    assert_eq!(
        files(at(Os::Rhel, PostfixMethod::MasterCf, 24)),
        "/etc/amavisd/amavisd.conf <- $max_servers = 24; | /etc/postfix/master.cf <- smtp-amavis unix  -       -       n       -       24      smtp | /etc/postfix/main.cf <- smtp-amavis_destination_concurrency_limit = 24"
    );
    assert_eq!(
        files(at(Os::Freebsd, PostfixMethod::MasterCf, 5)),
        "/usr/local/etc/amavisd.conf <- $max_servers = 5; | /usr/local/etc/postfix/master.cf <- smtp-amavis unix  -       -       n       -       5       smtp"
    );
    assert_eq!(
        files(at(Os::Openbsd, PostfixMethod::MasterCf, 5)),
        "/etc/amavisd.conf <- $max_servers = 5; | /etc/postfix/master.cf <- smtp-amavis unix  -       -       n       -       5       smtp"
    );
}

/// The header, the reason, the warnings and the numbered steps of every preset on every OS with
/// each method: what an administrator pastes and follows.
#[test]
fn presets_per_os_and_method() {
    for preset in crate::inputs::preset::Preset::ALL {
        for os in Os::ALL {
            for method in [PostfixMethod::MasterCf, PostfixMethod::MainCf] {
                let mut inputs = Inputs { method, ..Inputs::new(MiB(1), os) };
                preset.apply_to(&mut inputs);
                let provenance = Provenance { date: Some("2026-11-29".to_owned()), ..Provenance::default() };
                let plan = plan_with(&inputs, &provenance);
                let mut text = String::new();
                for snippet in &plan.snippets {
                    assert_eq!(snippet.header, plan.snippets[0].header, "one header for all snippets");
                    text.push_str(&format!("--- {}\n{}", snippet.path, snippet.text()));
                }
                text.push_str(&format!("--- why\n{}\n--- warnings\n", plan.reason));
                for warning in &plan.warnings {
                    text.push_str(&format!("{}\n", warning.code.as_str()));
                }
                text.push_str("--- steps\n");
                for (index, step) in plan.steps.iter().enumerate() {
                    let kind = serde_json::to_value(step.kind).unwrap_or_default();
                    text.push_str(&format!(
                        "{}. [{}] {}\n   {}\n",
                        index + 1,
                        kind.as_str().unwrap_or_default(),
                        step.description,
                        step.command
                    ));
                }
                text.push_str(&plan.lowering_note);
                insta::assert_snapshot!(format!("{}-{}-{}", preset.name(), os.name(), method.name()), text);
            }
        }
    }
}

pub(crate) fn arbitrary_inputs() -> impl Strategy<Value = Inputs> {
    let size = prop_oneof![1u64..=65536, 1u64..=MAX_SIZE.0, Just(MAX_SIZE.0)];
    let option_size = proptest::option::of(size.clone().prop_map(MiB));
    (
        size,
        proptest::option::of(2u32..=crate::inputs::concurrency::MAX_CONCURRENCY),
        (
            proptest::sample::select(Os::ALL.to_vec()),
            proptest::sample::select(vec![None, Some("7"), Some("12"), Some("22.04"), Some("9.4"), Some("99")]),
        ),
        prop_oneof![Just(ClamAv::Off), any::<bool>().prop_map(|concurrent_reload| ClamAv::On { concurrent_reload })],
        prop_oneof![Just(PostfixMethod::MasterCf), Just(PostfixMethod::MainCf)],
        proptest::option::of(1u32..=crate::inputs::cpus::MAX_CPUS),
        (option_size.clone(), option_size.clone(), option_size.clone(), option_size, proptest::option::of(0u8..=90)),
        proptest::sample::select(vec!["smtp-amavis", "amavisfeed", "scan.x_1"]),
    )
        .prop_map(
            |(
                ram,
                concurrency,
                (os, version),
                clamav,
                method,
                cpus,
                (reserve, clamd, parent, per_child, headroom),
                service,
            )| {
                Inputs {
                    ram: MiB(ram),
                    concurrency: concurrency.and_then(|c| Concurrency::new(c).ok()),
                    os,
                    os_version: version.and_then(|v| v.parse().ok()),
                    clamav,
                    clamd_max_threads: None,
                    method,
                    service: service.parse().unwrap_or_default(),
                    cpus: cpus.and_then(|c| Cpus::new(c).ok()),
                    overrides: Overrides {
                        reserve,
                        clamd,
                        amavisd_parent: parent,
                        per_child,
                        headroom_percent: headroom.and_then(|h| h.to_string().parse().ok()),
                    },
                }
            },
        )
}

proptest! {
    #[test]
    fn both_sides_always_match(inputs in arbitrary_inputs()) {
        let plan = plan(&inputs);
        let json = serde_json::to_value(&plan).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&json["max_servers"], &json["maxproc"]);
        let n = plan.concurrency.to_string();
        for snippet in &plan.snippets {
            let number = snippet.content.split(|c: char| !c.is_ascii_digit()).rfind(|w| !w.is_empty());
            prop_assert_eq!(number, Some(n.as_str()), "{}", snippet.content);
        }
    }

    #[test]
    fn more_ram_never_lowers_safe_max(inputs in arbitrary_inputs(), extra in 0u64..=1 << 20) {
        let bigger = Inputs { ram: MiB((inputs.ram.0 + extra).min(MAX_SIZE.0)), ..inputs.clone() };
        prop_assert!(plan(&bigger).safe_max >= plan(&inputs).safe_max);
    }

    #[test]
    fn no_memory_warning_means_it_fits(inputs in arbitrary_inputs()) {
        let plan = plan(&inputs);
        let memory_warning = plan.warnings.iter().any(|w| matches!(w.code, WarningCode::ExceedsSafeMax | WarningCode::DoesNotFit));
        prop_assert_eq!(memory_warning, !plan.budget.fits);
        if !memory_warning {
            prop_assert!(plan.budget.required <= inputs.ram);
        }
    }

    #[test]
    fn recommendation_fits_when_two_fit(inputs in arbitrary_inputs()) {
        let inputs = Inputs { concurrency: None, ..inputs };
        let plan = plan(&inputs);
        prop_assert!(plan.concurrency.get() >= 2);
        if plan.safe_max >= 2 {
            prop_assert!(u64::from(plan.concurrency.get()) <= plan.safe_max);
            prop_assert!(plan.budget.fits);
        }
    }
}

fn load(verdict: crate::logs::verdict::Verdict, needed_for_load: u32) -> ObservedLoad {
    ObservedLoad {
        verdict,
        needed_for_load: Some(needed_for_load),
        needed: Some(needed_for_load),
        confidence: crate::logs::replay::Confidence::Enough,
        reason: "the verdict's words.".to_owned(),
        sizing_reason: format!("The replay gives {needed_for_load}."),
    }
}

/// `(n, decided by)` for 8 GiB (safe maximum 44, diminishing returns 10) and a load.
fn observed(inputs: &Inputs, load: &ObservedLoad) -> (u32, String) {
    let plan = plan_observed(inputs, &Provenance::default(), load);
    let by = serde_json::to_value(plan.decided_by).unwrap_or_default().as_str().unwrap_or_default().to_owned();
    (plan.concurrency.get(), by)
}

#[test]
fn observed_load_sizes_the_plan() {
    use crate::logs::verdict::Verdict;
    let eight = inputs(8192);
    // Free-flowing traffic is the demand: it may lower the judgement's 10, or raise it.
    assert_eq!(observed(&eight, &load(Verdict::Idle, 2)), (2, "observed-load".to_owned()));
    assert_eq!(observed(&eight, &load(Verdict::RightSized, 14)), (14, "observed-load".to_owned()));
    assert_eq!(observed(&eight, &load(Verdict::PostfixBelowAmavis, 6)), (6, "observed-load".to_owned()));
    // Within the memory bound (44 here) and 3 per CPU.
    assert_eq!(observed(&eight, &load(Verdict::RightSized, 60)), (44, "memory".to_owned()));
    let four_cpus = with(inputs(8192), |i| i.cpus = Cpus::new(4).ok());
    assert_eq!(observed(&four_cpus, &load(Verdict::RightSized, 20)), (12, "cpu".to_owned()));
    // The replay rebuilds the demand of traffic that waited too: its number stands.
    assert_eq!(observed(&eight, &load(Verdict::Saturated, 3)), (3, "observed-load".to_owned()));
    assert_eq!(observed(&eight, &load(Verdict::Saturated, 16)), (16, "observed-load".to_owned()));
    // No number (too few deliveries, nothing got through): the judgement stands, and the reason
    // says why the logs did not count.
    let none = ObservedLoad { needed_for_load: None, needed: None, ..load(Verdict::AmavisdRefuses, 2) };
    assert_eq!(observed(&eight, &none), (10, "diminishing-returns".to_owned()));
    let plan = plan_observed(&eight, &Provenance::default(), &none);
    assert!(plan.reason.contains("give no number"), "{}", plan.reason);
    // A number asked for wins.
    let asked = with(inputs(8192), |i| i.concurrency = n(7));
    assert_eq!(observed(&asked, &load(Verdict::Idle, 2)), (7, "requested".to_owned()));
    // The reason names the logs' figures; the JSON carries them.
    let plan = plan_observed(&eight, &Provenance::default(), &load(Verdict::Idle, 2));
    assert!(plan.reason.starts_with("Observed load: the mail logs (idle)"), "{}", plan.reason);
    assert!(plan.reason.contains("The replay gives 2."), "{}", plan.reason);
    let json = serde_json::to_value(&plan).unwrap_or_default();
    assert_eq!(json["observed_load"]["verdict"], "idle");
    assert_eq!(json["observed_load"]["needed_for_load"], 2);
    assert!(serde_json::to_value(super::plan(&eight)).unwrap_or_default().get("observed_load").is_none());
}
