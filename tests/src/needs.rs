//! What a test needs from the machine that `cargo test` cannot provide: the real programs of the
//! differential tests, the browser, the parts of the toolchain that build the web calculator.
//!
//! The integration-test binary (`tests/it/main.rs`) declares each test's needs and checks them
//! before the test runs: outside CI a missing one reports the test as ignored, with the reason;
//! under `CI=true` it fails the test. `tests/install-deps.sh` installs all of them.

use std::path::PathBuf;
use std::process::Command;

/// The command that installs every need (printed when a test did not run).
pub const INSTALL_COMMAND: &str = "sudo bash tests/install-deps.sh";

/// One program or toolchain part a test needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// Postfix's `postconf`, the oracle of the Postfix readers.
    Postconf,
    /// amavisd-new's `amavisd`, whose own loader is the oracle of the Perl reader.
    Amavisd,
    /// Debian's `run-parts`, which lists the `conf.d` files amavisd reads.
    RunParts,
    /// The `postfix` command, which starts, reloads and stops the live lab's Postfix instance.
    Postfix,
    /// Postfix's load generator, which offers the live lab's mail.
    SmtpSource,
    /// Postfix's test server, the live lab's final destination.
    SmtpSink,
    /// SpamAssassin, which the live lab's amavisd runs to measure a production-like child.
    SpamAssassin,
    /// Root: the live lab's Postfix master and amavisd start as root and drop privileges.
    Root,
    /// The browser of the web tests.
    Chromium,
    /// The WebDriver server that drives it.
    Chromedriver,
    /// MkDocs, which builds the documentation-site example.
    Mkdocs,
    /// The Rust target the web calculator is compiled for.
    Wasm32Target,
    /// binaryen's optimiser: without it the site is larger than its size budget.
    WasmOpt,
    /// A private mount namespace with an overlay mount (`unshare -m`, as root): amavisd's loader
    /// then sees a tree's `etc` at `/etc`, so the files its configuration includes by absolute
    /// path are the tree's.
    MountNamespace,
    /// axe-core's browser script (`tests/js`, npm), the accessibility audit of the web tests.
    AxeCore,
    /// `setfacl`/`getfacl`, which give a config file an ACL and read it back.
    Setfacl,
    /// `setfattr`/`getfattr`, the same for extended attributes (SELinux labels among them).
    Setfattr,
    /// `chattr`, which makes a file immutable or append-only.
    Chattr,
    /// `flock`, which holds a lock as another program (`postconf -e`) would.
    Flock,
    /// `strace`, which shows the order in which files are renamed into place.
    Strace,
    /// `tcsh`, which runs the printed steps as FreeBSD 13's root shell (csh) does.
    Tcsh,
}

impl Need {
    /// What it is and what provides it, as in "postconf (postfix)".
    pub fn describe(self) -> String {
        let (what, from) = match self {
            Need::Postconf => ("postconf", "postfix"),
            Need::Amavisd => ("amavisd", "amavisd-new"),
            Need::RunParts => ("run-parts", "debianutils"),
            Need::Postfix => ("postfix", "postfix"),
            Need::SmtpSource => ("smtp-source", "postfix"),
            Need::SmtpSink => ("smtp-sink", "postfix"),
            Need::SpamAssassin => ("spamassassin", "spamassassin"),
            Need::Root => ("root", "run the tests as root: the live lab starts Postfix and amavisd"),
            Need::Chromium => ("chromium", "chromium"),
            Need::Chromedriver => ("chromedriver", "chromium-driver"),
            Need::Mkdocs => ("mkdocs", "mkdocs"),
            Need::Wasm32Target => ("the wasm32-unknown-unknown target", "rustup target add wasm32-unknown-unknown"),
            Need::WasmOpt => ("wasm-opt", "npm's binaryen"),
            Need::MountNamespace => ("unshare --mount with an overlay mount", "root and util-linux"),
            Need::AxeCore => ("axe-core", "npm ci --prefix tests/js"),
            Need::Setfacl => ("setfacl", "acl"),
            Need::Setfattr => ("setfattr", "attr"),
            Need::Chattr => ("chattr", "e2fsprogs"),
            Need::Flock => ("flock", "util-linux"),
            Need::Strace => ("strace", "strace"),
            Need::Tcsh => ("tcsh", "tcsh"),
        };
        format!("{what} ({from})")
    }

    /// Whether this machine has it.
    pub fn is_present(self) -> bool {
        match self {
            Need::Wasm32Target => wasm32_target_installed(),
            Need::Root => crate::lab::is_root(),
            Need::MountNamespace => overlay_works(),
            Need::AxeCore => axe_core_script().is_file(),
            program => find_program(program.program()).is_some(),
        }
    }

    /// The path of the program; panics when it is missing, which means the test did not declare
    /// the need in `tests/it/main.rs` (the harness checks declared needs before running).
    pub fn path(self) -> PathBuf {
        find_program(self.program()).unwrap_or_else(|| {
            panic!("needs {}: declare it in tests/it/main.rs so the harness checks it", self.describe())
        })
    }

    fn program(self) -> &'static str {
        match self {
            Need::Postconf => "postconf",
            Need::Amavisd => "amavisd",
            Need::RunParts => "run-parts",
            Need::Postfix => "postfix",
            Need::SmtpSource => "smtp-source",
            Need::SmtpSink => "smtp-sink",
            Need::SpamAssassin => "spamassassin",
            // Not a program: `is_present` asks the kernel for the uid; `id` tells it on a shell.
            Need::Root => "id",
            Need::Chromium => "chromium",
            Need::Chromedriver => "chromedriver",
            Need::Mkdocs => "mkdocs",
            Need::WasmOpt => "wasm-opt",
            Need::Wasm32Target => "rustc",
            Need::MountNamespace => "unshare",
            Need::AxeCore => "node",
            Need::Setfacl => "setfacl",
            Need::Setfattr => "setfattr",
            Need::Chattr => "chattr",
            Need::Flock => "flock",
            Need::Strace => "strace",
            Need::Tcsh => "tcsh",
        }
    }
}

/// axe-core's script for the browser, installed by `tests/install-deps.sh` (tests/js).
pub fn axe_core_script() -> PathBuf {
    crate::workspace_root().join("tests/js/node_modules/axe-core/axe.min.js")
}

/// A program on `PATH`, or in the sbin directories a user's `PATH` often leaves out (Postfix's
/// and amavisd's programs live there).
pub fn find_program(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let executable = |path: &PathBuf| {
        std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    };
    let directories = std::env::split_paths(&path_var).chain(["/usr/sbin", "/sbin"].map(PathBuf::from));
    directories.map(|dir| dir.join(program)).find(executable)
}

/// Whether the Rust toolchain that builds the tests has the wasm32 standard library.
fn wasm32_target_installed() -> bool {
    // The rustc next to the cargo running the tests, as build-web's cargo will use it.
    let beside_cargo = std::env::var_os("CARGO").map(|cargo| PathBuf::from(cargo).with_file_name("rustc"));
    let rustc = beside_cargo.filter(|rustc| rustc.is_file()).unwrap_or_else(|| "rustc".into());
    let Ok(output) = Command::new(rustc).args(["--print", "sysroot"]).output() else { return false };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    output.status.success() && sysroot.join("lib/rustlib/wasm32-unknown-unknown/lib").is_dir()
}

/// Whether this process may lay a directory over `/etc` in a private mount namespace.
fn overlay_works() -> bool {
    let Ok(dir) = tempfile::tempdir() else { return false };
    let lower = dir.path().join("etc");
    if std::fs::create_dir(&lower).is_err() || std::fs::write(lower.join("amavis-tune-probe"), "x").is_err() {
        return false;
    }
    Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg("mount -t overlay overlay -o \"lowerdir=$1:/etc\" /etc && test -f /etc/amavis-tune-probe")
        .arg("sh")
        .arg(&lower)
        .output()
        .is_ok_and(|output| output.status.success())
}
