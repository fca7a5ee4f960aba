//! The calculator's state: the form as typed, and the actions that change it.

use std::rc::Rc;

use amavis_tune_core::{ClamAv, Os, OsVersion, Platform, PostfixMethod, Preset};
use yew::Reducible;

/// Every input as the user typed it (strings for the free fields, so an invalid value can be
/// shown and corrected in place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub ram: String,
    /// Empty: recommend one.
    pub concurrency: String,
    pub os: Os,
    /// The release of `os` whose commands the steps use (`None`: the family's newest), as
    /// `plan --os debian:12`.
    pub release: Option<OsVersion>,
    pub clamav: bool,
    pub concurrent_reload: bool,
    pub method: PostfixMethod,
    pub cpus: String,
    pub per_child: String,
    pub clamd: String,
    pub amavisd_parent: String,
    pub reserve: String,
    pub headroom: String,
    /// Empty: `smtp-amavis`.
    pub service: String,
    /// A platform that generates both numbers: its steps in place of the edits, as
    /// `plan --platform zimbra`.
    pub platform: Option<Platform>,
}

impl Default for Form {
    /// 8 GiB, Debian, ClamAV on with concurrent reload, master.cf method: a common small server.
    fn default() -> Form {
        Form {
            ram: "8G".to_owned(),
            concurrency: String::new(),
            os: Os::Debian,
            release: None,
            clamav: true,
            concurrent_reload: true,
            method: PostfixMethod::MasterCf,
            cpus: String::new(),
            per_child: String::new(),
            clamd: String::new(),
            amavisd_parent: String::new(),
            reserve: String::new(),
            headroom: String::new(),
            service: String::new(),
            platform: None,
        }
    }
}

/// The free-text fields, named as in the URL query and the CLI flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Ram,
    Concurrency,
    Cpus,
    PerChild,
    Clamd,
    AmavisdParent,
    Reserve,
    Headroom,
    Service,
}

impl TextField {
    pub const ALL: [TextField; 9] = [
        TextField::Ram,
        TextField::Concurrency,
        TextField::Cpus,
        TextField::PerChild,
        TextField::Clamd,
        TextField::AmavisdParent,
        TextField::Reserve,
        TextField::Headroom,
        TextField::Service,
    ];

    /// The query-string key, the same as the CLI flag without `--`.
    pub fn key(self) -> &'static str {
        match self {
            TextField::Ram => "ram",
            TextField::Concurrency => "concurrency",
            TextField::Cpus => "cpus",
            TextField::PerChild => "per-child",
            TextField::Clamd => "clamd",
            TextField::AmavisdParent => "amavisd-parent",
            TextField::Reserve => "reserve",
            TextField::Headroom => "headroom",
            TextField::Service => "service",
        }
    }

    /// The field's label on the page.
    pub fn label(self) -> &'static str {
        match self {
            TextField::Ram => "RAM",
            TextField::Concurrency => "Concurrency (children)",
            TextField::Cpus => "CPUs",
            TextField::PerChild => "Per amavisd child",
            TextField::Clamd => "clamd",
            TextField::AmavisdParent => "amavisd parent",
            TextField::Reserve => "Rest of the system",
            TextField::Headroom => "Headroom (%)",
            TextField::Service => "Transport service",
        }
    }

    pub fn get(self, form: &Form) -> &str {
        match self {
            TextField::Ram => &form.ram,
            TextField::Concurrency => &form.concurrency,
            TextField::Cpus => &form.cpus,
            TextField::PerChild => &form.per_child,
            TextField::Clamd => &form.clamd,
            TextField::AmavisdParent => &form.amavisd_parent,
            TextField::Reserve => &form.reserve,
            TextField::Headroom => &form.headroom,
            TextField::Service => &form.service,
        }
    }

    pub fn set(self, form: &mut Form, value: String) {
        match self {
            TextField::Ram => form.ram = value,
            TextField::Concurrency => form.concurrency = value,
            TextField::Cpus => form.cpus = value,
            TextField::PerChild => form.per_child = value,
            TextField::Clamd => form.clamd = value,
            TextField::AmavisdParent => form.amavisd_parent = value,
            TextField::Reserve => form.reserve = value,
            TextField::Headroom => form.headroom = value,
            TextField::Service => form.service = value,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Text(TextField, String),
    /// Another family: its newest release.
    Os(Os),
    Release(Option<OsVersion>),
    ClamAv(bool),
    ConcurrentReload(bool),
    Method(PostfixMethod),
    Platform(Option<Platform>),
    /// Sets the preset's RAM, CPUs, ClamAV and concurrency; the rest stays.
    Preset(Preset),
}

impl Reducible for Form {
    type Action = Action;

    fn reduce(self: Rc<Form>, action: Action) -> Rc<Form> {
        let mut form = (*self).clone();
        match action {
            Action::Text(field, value) => field.set(&mut form, value),
            Action::Os(os) => {
                form.os = os;
                form.release = None;
            }
            Action::Release(release) => form.release = release,
            Action::ClamAv(on) => form.clamav = on,
            Action::ConcurrentReload(on) => form.concurrent_reload = on,
            Action::Method(method) => form.method = method,
            Action::Platform(platform) => form.platform = platform,
            Action::Preset(preset) => {
                let (mut inputs, _) = crate::inputs::inputs(&form);
                preset.apply_to(&mut inputs);
                form.ram = amavis_tune_core::size_text(inputs.ram);
                form.cpus = inputs.cpus.map_or(String::new(), |n| n.get().to_string());
                form.concurrency = inputs.concurrency.map_or(String::new(), |n| n.to_string());
                form.clamav = inputs.clamav != ClamAv::Off;
                form.concurrent_reload = inputs.clamav != (ClamAv::On { concurrent_reload: false });
            }
        }
        Rc::new(form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ram cpus concurrency clamav reload` after choosing each preset.
    #[track_caller]
    fn check(preset: Preset, expect: &str) {
        let start = Form { concurrent_reload: false, concurrency: "7".to_owned(), ..Form::default() };
        let form = Rc::new(start).reduce(Action::Preset(preset));
        let actual =
            format!("{} {} {:?} {} {}", form.ram, form.cpus, form.concurrency, form.clamav, form.concurrent_reload);
        assert_eq!(actual, expect);
    }

    #[test]
    fn presets_set_their_fields() {
        check(Preset::VpsMx, r#"2G 1 "" false true"#);
        check(Preset::Office, r#"8G 4 "" true true"#);
        check(Preset::Gateway, r#"32G 16 "25" true true"#);
    }
}
