//! Postfix's built-in defaults that decide how many connections reach amavisd
//! (`postconf -d`, Postfix 3.7, checked on Debian 12).

/// `default_process_limit`: what a master.cf `maxproc` of `-` means.
pub const DEFAULT_PROCESS_LIMIT: u32 = 100;

/// `default_destination_concurrency_limit`: what `<transport>_destination_concurrency_limit`
/// defaults to. The content filter is one destination (`[127.0.0.1]:10024`), so unless the
/// transport's recipient limit is 1 Postfix opens no more than this many connections to amavisd,
/// whatever maxproc says (postconf(5), SCHEDULER_README).
pub const DEFAULT_DESTINATION_CONCURRENCY_LIMIT: u32 = 20;

/// `default_destination_recipient_limit`: with 1, a destination is a recipient, not a next hop.
pub const DEFAULT_DESTINATION_RECIPIENT_LIMIT: u32 = 50;

/// `initial_destination_concurrency`: the deliveries a destination starts with at once, before
/// positive feedback widens its window (postconf(5), SCHEDULER_README).
pub const DEFAULT_INITIAL_DESTINATION_CONCURRENCY: u32 = 5;

/// `smtp_helo_timeout`, in seconds: how long the smtp client waits for the greeting.
pub const DEFAULT_HELO_TIMEOUT_S: f64 = 300.0;

/// clamd's `MaxThreads` default (clamd.conf(5)): files scanned at once.
pub const CLAMD_DEFAULT_MAX_THREADS: u32 = 10;
