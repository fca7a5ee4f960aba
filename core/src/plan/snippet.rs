//! The exact text to paste into each file, and where.

use serde::Serialize;

use crate::inputs::concurrency::Concurrency;
use crate::inputs::release::ReleaseFacts;
use crate::inputs::service_name::ServiceName;

/// Which configuration file a snippet belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    AmavisConf,
    MasterCf,
    MainCf,
}

impl FileKind {
    /// The name used in JSON and on the page.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::AmavisConf => "amavis-conf",
            FileKind::MasterCf => "master-cf",
            FileKind::MainCf => "main-cf",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    pub file: FileKind,
    /// The file's path on the target OS.
    pub path: String,
    /// Comment lines saying what generated the snippet, from which inputs, why this number, and
    /// the permalink that reproduces it; paste them with `content` (`#` comments in all three
    /// files). Ends with a newline.
    pub header: String,
    /// Exactly what to set, ending with a newline (no header).
    pub content: String,
    /// Where in the file it goes, for a person.
    pub placement: String,
    /// The same change as one command, where the program offers an editor of its own.
    pub command: Option<String>,
}

impl Snippet {
    /// The header and the content: what to paste.
    pub fn text(&self) -> String {
        format!("{}{}", self.header, self.content)
    }
}

pub(crate) fn amavis(release: &ReleaseFacts, n: Concurrency) -> Snippet {
    let placement = if release.amavis_reads_conf_d {
        "Put it above 50-user's `Do not modify anything below this line` comment (and so above \
         the final `1;`), replacing any `$max_servers` line already there. A file in \
         /etc/amavis/conf.d that sorts after 50-user overrides it: check those too."
    } else {
        "Replace the existing `$max_servers` line, or add this one above the final `1;` line."
    };
    Snippet {
        file: FileKind::AmavisConf,
        path: release.amavis_conf.to_owned(),
        header: String::new(),
        content: format!("$max_servers = {n};\n"),
        placement: placement.to_owned(),
        command: None,
    }
}

/// A master.cf entry in Postfix's own column layout, maxproc set to `n`.
pub fn master_cf_line(service: &ServiceName, n: Concurrency) -> String {
    format!("{:<10} {:<5} {:<7} {:<7} {:<7} {:<7} {:<7} smtp\n", service.as_str(), "unix", "-", "-", "n", "-", n.get())
}

pub(crate) fn master_cf(release: &ReleaseFacts, service: &ServiceName, n: Concurrency) -> Snippet {
    Snippet {
        file: FileKind::MasterCf,
        path: release.master_cf_path(),
        header: String::new(),
        content: master_cf_line(service, n),
        placement: format!(
            "Change only the maxproc column (the 7th field) of the existing `{service} unix` entry and keep \
             its `-o` lines; the full line is shown for reference."
        ),
        command: Some(format!(
            "postconf -F -e '{service}/unix/process_limit={n}' && {}",
            read_back(&format!("postconf -h -F '{service}/unix/process_limit'"), n)
        )),
    }
}

pub(crate) fn main_cf_limit(release: &ReleaseFacts, service: &ServiceName, n: Concurrency, why: &str) -> Snippet {
    Snippet {
        file: FileKind::MainCf,
        path: release.main_cf_path(),
        header: String::new(),
        content: format!("{service}_destination_concurrency_limit = {n}\n"),
        placement: format!("Add it anywhere in main.cf, replacing any line of the same name. {why}"),
        command: Some(format!(
            "postconf -e '{service}_destination_concurrency_limit = {n}' && {}",
            read_back(&format!("postconf -h {service}_destination_concurrency_limit"), n)
        )),
    }
}

/// A test that `read` prints `n`: postconf only warns (and exits 0) when asked to change a
/// service that is not there, so each change verifies its own effect and a chain stops there.
fn read_back(read: &str, n: Concurrency) -> String {
    format!("test \"$({read})\" = {n}")
}

#[cfg(test)]
mod tests {
    use super::FileKind;

    #[test]
    fn kinds_are_named_as_serialized() {
        for kind in [FileKind::AmavisConf, FileKind::MasterCf, FileKind::MainCf] {
            assert_eq!(serde_json::to_value(kind).ok(), Some(serde_json::Value::from(kind.as_str())));
        }
    }
}
