//! amavis-tune's one integration-test binary, organised by concern.
//!
//! The harness is libtest-mimic (`harness = false`): every test is registered below with what it
//! needs from the machine (`Need`). A test whose needs are missing is reported as ignored, with
//! the reason, and listed again after the summary with the command that installs them; under
//! `CI=true` (or `1`) it fails instead, since nothing may skip in CI. The names are
//! `module::function`, as with the standard harness, so filters and insta's snapshot names (taken
//! from the module and function the assertion is written in) stay what they were.

mod amavis_oracle;
mod apply;
mod check_fixtures;
mod cli_errors;
mod cli_plan;
mod closed_pipe;
mod corpus;
mod explained;
mod fuzz_corpus;
mod hostile;
mod interrupted;
mod live;
mod logs;
mod measure;
mod observed;
mod platforms;
mod postfix_oracle;
mod releases;
mod safety;
mod tidy;
mod web;
mod web_page;

use std::future::Future;
use std::sync::{Mutex, RwLock};

use amavis_tune_tests::in_ci;
use amavis_tune_tests::needs::{INSTALL_COMMAND, Need};
use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// One test: `module::function`, then `needs` and the `Need`s it cannot run without. `async`
/// before the path runs an async function on a current-thread tokio runtime; `alone` runs it
/// while no other test runs (a measurement of timing on the live lab's daemons, which a browser
/// or a build beside it on the 2-core host would distort).
macro_rules! test {
    (alone $module:ident :: $function:ident $(, needs $($need:ident)+)?) => {
        trial_alone(
            concat!(stringify!($module), "::", stringify!($function)),
            &[$($(Need::$need),+)?],
            $module::$function,
        )
    };
    ($module:ident :: $function:ident $(, needs $($need:ident)+)?) => {
        trial(
            concat!(stringify!($module), "::", stringify!($function)),
            &[$($(Need::$need),+)?],
            $module::$function,
        )
    };
    (async $module:ident :: $function:ident $(, needs $($need:ident)+)?) => {
        trial(
            concat!(stringify!($module), "::", stringify!($function)),
            &[$($(Need::$need),+)?],
            || on_tokio($module::$function),
        )
    };
}

fn main() {
    let arguments = Arguments::from_args();
    let trials = vec![
        test!(amavis_oracle::fixtures_agree_with_amavisd, needs Amavisd RunParts MountNamespace),
        test!(amavis_oracle::generated_configs_agree_with_amavisd, needs Amavisd),
        test!(apply::every_fixture_tree_ends_up_matched_at_n, needs Postconf Amavisd RunParts),
        test!(apply::dry_run_writes_nothing),
        test!(apply::lowering_reloads_postfix_first),
        test!(apply::main_cf_method),
        test!(apply::memory_guard),
        test!(apply::failures_leave_the_originals_intact),
        test!(apply::missing_files_and_directories),
        test!(apply::symlinks_are_followed_and_kept_and_modes_kept),
        test!(apply::restore_round_trip_on_every_fixture),
        test!(apply::restore_refuses_a_backup_of_another_file),
        test!(apply::printed_backup_and_rollback_steps_work, needs Tcsh),
        test!(apply::rollback_after_apply_and_restore_works),
        test!(apply::backups_are_one_line_of_check),
        test!(apply::another_tree_without_ram_says_whose_ram),
        test!(apply::freebsd13_postfix_change_runs_under_tcsh, needs Tcsh Postconf),
        test!(apply::secrets_stay_out_of_diffs),
        test!(corpus::every_corpus_tree_has_a_source),
        test!(platforms::each_platform_gets_its_own_command),
        test!(platforms::ucr_setting_is_read_from_its_layers),
        test!(corpus::findings_give_no_harmful_advice),
        test!(corpus::shared_transport_is_never_edited, needs Postconf),
        test!(corpus::diff_headers_name_existing_files_plainly),
        test!(corpus::steps_name_the_tree_s_own_amavisd_config),
        test!(corpus::check_agrees_with_the_real_programs, needs Postconf Amavisd RunParts MountNamespace),
        test!(corpus::apply_makes_the_real_programs_read_n, needs Postconf Amavisd RunParts MountNamespace),
        test!(check_fixtures::every_tree_has_an_expectation),
        test!(check_fixtures::status_numbers_and_exit_codes),
        test!(check_fixtures::text_snapshots),
        test!(check_fixtures::json_snapshots),
        test!(check_fixtures::sources_are_file_and_line),
        test!(check_fixtures::explicit_paths),
        test!(check_fixtures::check_errors),
        test!(check_fixtures::odd_files),
        test!(check_fixtures::greeting_timeout_is_the_server_s),
        test!(cli_errors::bad_plan_input),
        test!(cli_errors::json_errors),
        test!(cli_plan::text_per_os),
        test!(cli_plan::json_per_os),
        test!(cli_plan::text_variants),
        test!(cli_plan::brief),
        test!(cli_plan::json_contract),
        test!(cli_plan::no_flags_reads_this_machine),
        test!(cli_plan::completions_and_man_page),
        test!(cli_plan::broken_pipe_is_not_an_error),
        test!(cli_plan::cgroup_limits_are_honoured),
        test!(cli_plan::clamd_settings_come_from_the_server),
        test!(cli_plan::help_quotes_the_model_s_defaults),
        test!(cli_plan::plans_without_clamav_do_not_talk_about_clamd),
        test!(cli_plan::reload_trade_says_both_numbers_and_the_price),
        test!(cli_plan::max_threads_default_is_the_release_s),
        test!(closed_pipe::every_output_exits_0),
        test!(closed_pipe::apply_finishes_its_work),
        test!(explained::pasted_snippets_with_headers_are_read_by_postfix_and_amavisd, needs Postconf Amavisd RunParts),
        test!(explained::permalinks_and_headers_reproduce_the_plan),
        test!(explained::old_and_unknown_links_show_a_notice),
        test!(explained::bad_links_are_clear_errors),
        test!(explained::presets_are_starting_points),
        test!(explained::typo_guards),
        test!(explained::header_dates),
        test!(fuzz_corpus::every_corpus_input_keeps_the_properties),
        test!(fuzz_corpus::main_cf_empty_value_gets_a_space),
        test!(fuzz_corpus::master_cf_maxproc_at_line_start_keeps_continuation),
        test!(fuzz_corpus::every_regression_has_a_test),
        test!(hostile::broken_bytes),
        test!(hostile::huge_and_deep_files),
        test!(hostile::wrong_kinds_of_file),
        test!(hostile::unreadable_file),
        test!(hostile::odd_paths_and_roots),
        test!(hostile::integer_limits),
        test!(hostile::unbounded_reads_are_refused),
        test!(hostile::root_confines_every_path),
        test!(safety::acls_and_extended_attributes_are_kept, needs Root Setfacl Setfattr),
        test!(safety::all_or_nothing_across_files, needs Root Chattr Strace),
        test!(safety::restore_takes_only_its_own_backups, needs Root),
        test!(safety::backups_of_a_symlinked_file_are_found),
        test!(safety::one_change_at_a_time, needs Root Flock Postconf),
        test!(safety::leftovers_of_a_killed_run_are_cleaned),
        test!(safety::paths_in_steps_are_quoted),
        test!(interrupted::crash_at_every_write_step),
        test!(interrupted::sigkill_at_increasing_delays),
        test!(live::mismatch_defers_and_apply_cures_it, needs Root Postfix Postconf Amavisd SmtpSource SmtpSink),
        test!(live::measure_a_real_amavisd, needs Root Postfix Postconf Amavisd SmtpSource SmtpSink),
        test!(live::printed_steps_run_against_the_lab, needs Root Postfix Postconf Amavisd SmtpSource SmtpSink),
        test!(live::restore_brings_the_mismatch_back, needs Root Postfix Postconf Amavisd SmtpSource SmtpSink),
        test!(live::a_reload_applies_a_new_max_servers, needs Root Postfix Postconf Amavisd SmtpSource SmtpSink),
        test!(live::title_master_steps_count_and_reload, needs Root Postfix Postconf Amavisd SmtpSource SmtpSink),
        test!(live::spamassassin_children_cost_parent_rss_plus_private, needs Root Postfix Postconf Amavisd SmtpSource SmtpSink SpamAssassin),
        test!(live::logs_of_each_scenario),
        test!(alone live::watch_sees_too_few_children, needs Root Postfix Postconf Amavisd SmtpSource SmtpSink),
        test!(alone live::watch_sees_enough_children, needs Root Postfix Postconf Amavisd SmtpSource SmtpSink),
        test!(alone live::replay_predicts_the_waits_at_other_numbers, needs Root Postfix Postconf Amavisd SmtpSource SmtpSink),
        test!(logs::every_format),
        test!(logs::separate_files_rotations_and_stdin),
        test!(logs::hosts_and_period),
        test!(logs::verdicts),
        test!(logs::no_data_and_bad_input),
        test!(logs::text_report_and_chart),
        test!(logs::lab_scenarios_give_their_verdicts),
        test!(logs::a_one_space_day),
        test!(logs::classic_stamps_and_the_servers_offset),
        test!(logs::garbage_lines_are_no_log),
        test!(logs::probe_gaps_on_an_idle_server),
        test!(logs::a_restart_window_is_not_a_verdict),
        test!(logs::every_amavisd_port_counts),
        test!(logs::named_logs_are_bounded_by_the_flags_only),
        test!(observed::plan_sizes_by_the_logs),
        test!(observed::plain_plan_reads_the_server_logs),
        test!(observed::plain_plan_reads_the_journal_without_a_log_file),
        test!(observed::check_names_what_the_logs_show),
        test!(measure::fake_proc_tree),
        test!(measure::real_processes),
        test!(measure::plan_measures_by_itself_on_a_mail_server),
        test!(measure::watch_a_fake_proc_tree),
        test!(measure::watch_bad_input),
        test!(measure::watch_ends_on_ctrl_c),
        test!(postfix_oracle::fixtures_agree_with_postconf, needs Postconf),
        test!(postfix_oracle::generated_master_cf_agrees_with_postconf, needs Postconf),
        test!(postfix_oracle::generated_main_cf_agrees_with_postconf, needs Postconf),
        test!(releases::every_release_prints_its_own_paths_and_programs),
        test!(releases::validation_commands_accept_good_and_reject_broken_files, needs Amavisd),
        test!(releases::postconf_change_steps_verify_their_effect, needs Postconf),
        test!(releases::unit_masters_children_are_counted),
        test!(releases::gentoo_release_is_the_tree_s_init_system),
        test!(tidy::readme_usage_examples_parse),
        test!(tidy::readme_json_tables_match_the_output),
        test!(tidy::readme_release_table_matches_the_data),
        test!(async web::page_agrees_with_cli_and_reacts, needs Wasm32Target Chromium Chromedriver),
        test!(async web::release_selector_agrees_with_cli, needs Wasm32Target Chromium Chromedriver),
        test!(async web::platform_selector_agrees_with_cli, needs Wasm32Target Chromium Chromedriver),
        test!(async web_page::first_load_within_budget, needs Wasm32Target WasmOpt Chromium Chromedriver),
        test!(async web_page::prerendered_page_before_any_script, needs Wasm32Target Chromium Chromedriver),
        test!(async web_page::layout_at_each_size_and_scheme, needs Wasm32Target Chromium Chromedriver),
        test!(async web_page::no_axe_violation_in_any_view, needs Wasm32Target Chromium Chromedriver AxeCore),
        test!(async web_page::logs_view_agrees_with_cli_logs, needs Wasm32Target Chromium Chromedriver),
        test!(async web_page::invalid_input_marks_the_result_stale, needs Wasm32Target Chromium Chromedriver),
        test!(async web::check_view_agrees_with_cli_check_and_apply, needs Wasm32Target Chromium Chromedriver),
        test!(async web::embedded_in_a_documentation_page, needs Wasm32Target Chromium Chromedriver),
        test!(async web::embedded_in_an_mkdocs_site, needs Wasm32Target Chromium Chromedriver Mkdocs),
        test!(async web::hostile_input_in_the_page, needs Wasm32Target Chromium Chromedriver),
        test!(async web::a_dropped_browser_leaves_nothing_running, needs Chromium Chromedriver),
    ];
    let conclusion = libtest_mimic::run(&arguments, trials);
    print_not_run();
    conclusion.exit();
}

/// The tests that were ignored because something they need is missing, with the reasons.
static NOT_RUN: Mutex<Vec<(&str, String)>> = Mutex::new(Vec::new());

/// Held for reading by every test and for writing by an `alone` one, which so runs by itself.
static ALONE: RwLock<()> = RwLock::new(());

/// A trial that checks `needs` first: missing ones ignore the test (or fail it under CI).
fn trial(name: &'static str, needs: &'static [Need], test: fn()) -> Trial {
    trial_with(name, needs, test, false)
}

/// A trial that runs while no other test runs.
fn trial_alone(name: &'static str, needs: &'static [Need], test: fn()) -> Trial {
    trial_with(name, needs, test, true)
}

fn trial_with(name: &'static str, needs: &'static [Need], test: fn(), alone: bool) -> Trial {
    Trial::ignorable_test(name, move || {
        let missing: Vec<String> = needs.iter().filter(|need| !need.is_present()).map(|need| need.describe()).collect();
        if missing.is_empty() {
            // A panicking test poisons the lock; the others still run.
            let _turn = if alone {
                Turn::Alone(ALONE.write().unwrap_or_else(std::sync::PoisonError::into_inner))
            } else {
                Turn::Shared(ALONE.read().unwrap_or_else(std::sync::PoisonError::into_inner))
            };
            test();
            return Ok(Completion::Completed);
        }
        let reason = format!("needs {}", missing.join(", "));
        if in_ci() {
            return Err(Failed::from(format!(
                "{reason}: missing, and under CI=true no test may skip (install: {INSTALL_COMMAND})"
            )));
        }
        NOT_RUN.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((name, reason.clone()));
        Ok(Completion::ignored_with(reason))
    })
}

/// A test's hold on [`ALONE`].
enum Turn {
    Alone(#[allow(dead_code)] std::sync::RwLockWriteGuard<'static, ()>),
    Shared(#[allow(dead_code)] std::sync::RwLockReadGuard<'static, ()>),
}

/// Runs an async test to completion, as `#[tokio::test(flavor = "current_thread")]` did.
fn on_tokio<F: Future<Output = ()>>(test: fn() -> F) {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime").block_on(test());
}

/// After the summary: which tests did not run, why, and the one command that installs what they
/// need.
fn print_not_run() {
    let mut not_run = NOT_RUN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if not_run.is_empty() {
        return;
    }
    not_run.sort();
    let count = not_run.len();
    let (tests, they) = if count == 1 { ("test", "it") } else { ("tests", "they") };
    println!("{count} {tests} did not run: what {they} need is missing.");
    for (name, reason) in not_run.iter() {
        println!("    {name}: {reason}");
    }
    println!("Install it all (Debian 12, idempotent): {INSTALL_COMMAND}");
    println!();
}
