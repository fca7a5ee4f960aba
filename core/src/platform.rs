//! Platforms that generate both numbers from one setting of their own: Zimbra and Carbonio (the
//! LDAP attribute `zimbraAmavisMaxServers`, rendered into amavisd.conf and master.cf by
//! zmconfigd), and Univention Corporate Server (the UCR variable `mail/antivir/max_servers`,
//! rendered into `60-univention` and master.cf by `ucr set`). There, a file edited by hand is
//! rewritten by the platform: the change is the platform's own command, never an edit.
//!
//! Core does no I/O: the caller says which marker paths exist ([`detect`]) and passes the files'
//! texts, which carry UCR's header ([`generated_by_ucr`]).

use serde::Serialize;

use crate::check::{Finding, FindingCode, Report, Status};
use crate::config::diagnostic::Severity;
use crate::inputs::concurrency::Concurrency;
use crate::plan::Plan;
use crate::plan::steps::{Step, StepKind};

mod setting;
pub use setting::{SettingValue, UCR_LAYERS, prov_value, ucr_value};

/// A platform that generates `$max_servers` and the transport's maxproc from one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    Zimbra,
    Carbonio,
    Univention,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Zimbra, Platform::Carbonio, Platform::Univention];

    pub fn name(self) -> &'static str {
        match self {
            Platform::Zimbra => "zimbra",
            Platform::Carbonio => "carbonio",
            Platform::Univention => "univention",
        }
    }

    pub fn facts(self) -> &'static PlatformFacts {
        match self {
            Platform::Zimbra => &ZIMBRA,
            Platform::Carbonio => &CARBONIO,
            Platform::Univention => &UNIVENTION,
        }
    }
}

impl std::str::FromStr for Platform {
    type Err = String;

    fn from_str(text: &str) -> Result<Platform, String> {
        Platform::ALL
            .into_iter()
            .find(|p| p.name() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("unknown platform `{text}`; use {}", Platform::ALL.map(Platform::name).join(", ")))
    }
}

/// What a platform does with the two numbers, and where each fact was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformFacts {
    pub platform: Platform,
    /// For people: `Zimbra Collaboration 10`.
    pub title: &'static str,
    /// Paths that only this platform has: all of them exist on its servers.
    pub markers: &'static [&'static str],
    /// amavisd's generated config file (`None` where the release's own layout applies: UCS is
    /// Debian's, with `conf.d`).
    pub amavis_conf: Option<&'static str>,
    /// The directory of main.cf and master.cf.
    pub postfix_dir: &'static str,
    /// The platform's `postfix` and `postconf` programs.
    pub postfix_program: &'static str,
    pub postconf_program: &'static str,
    /// The one setting both numbers come from.
    pub setting: &'static str,
    /// Its value when it is not set.
    pub default: u32,
    /// What rewrites the files, and when.
    pub generator: &'static str,
    /// The user the platform's commands run as (`None`: root).
    pub run_as: Option<&'static str>,
    /// amavisd's master pid file.
    pub pid_file: &'static str,
    /// Where amavisd and Postfix log.
    pub mail_log: &'static str,
    /// What else the platform runs on the same host by default, that the memory reserve holds.
    pub other_consumers: &'static str,
    pub sources: &'static [&'static str],
}

impl PlatformFacts {
    /// The platform's amavisd master, by its pid file.
    pub fn master(&self) -> crate::inputs::release::Master {
        crate::inputs::release::Master::PidFile(self.pid_file)
    }

    /// `command` run as the platform's user, from root's shell.
    fn as_user(&self, command: &str) -> String {
        match self.run_as {
            Some(user) => format!("su - {user} -c '{command}'"),
            None => command.to_owned(),
        }
    }

    /// The command that sets the number on this server.
    pub fn change_command(&self, n: Concurrency) -> String {
        self.set_command(&n.to_string())
    }

    /// The command that sets the setting to `value` (a number, or a placeholder).
    fn set_command(&self, value: &str) -> String {
        match self.platform {
            Platform::Zimbra => self.as_user(&format!("zmprov ms \"$(zmhostname)\" {} {value}", self.setting)),
            Platform::Carbonio => self.as_user(&format!("carbonio prov ms \"$(zmhostname)\" {} {value}", self.setting)),
            Platform::Univention => format!("ucr set {}={value}", self.setting),
        }
    }

    /// The command that prints the value this server uses.
    pub fn read_command(&self) -> String {
        match self.platform {
            Platform::Zimbra => self.as_user(&format!("zmprov gs -e \"$(zmhostname)\" {}", self.setting)),
            Platform::Carbonio => self.as_user(&format!("carbonio prov gs -e \"$(zmhostname)\" {}", self.setting)),
            Platform::Univention => format!("ucr get {}", self.setting),
        }
    }

    /// The steps that set the number the platform's way, apply it, and verify it.
    pub fn steps(&self, n: Concurrency, current: Option<u32>) -> Vec<Step> {
        let step = |description: String, command: String, kind: StepKind| Step { description, command, kind };
        let mut steps = vec![
            step(
                format!("Read the value {} uses now (note it for the rollback)", self.setting),
                self.read_command(),
                StepKind::Backup,
            ),
            step(
                format!("Set {} to {n}: the platform writes both numbers from it ({})", self.setting, self.generator),
                self.change_command(n),
                StepKind::Change,
            ),
        ];
        match self.platform {
            Platform::Zimbra => steps.push(step(
                "Apply it now rather than at zmconfigd's next pass: zmamavisdctl restart rewrites amavisd.conf and restarts amavisd, zmmtactl reload rewrites master.cf and reloads Postfix".to_owned(),
                self.as_user("zmamavisdctl restart && zmmtactl reload"),
                StepKind::Restart,
            )),
            Platform::Carbonio => steps.push(step(
                "Apply it now: with Carbonio's systemd targets, restart carbonio-mailthreat (its start asks configd to rewrite amavisd.conf) and reload carbonio-postfix; without them, zmamavisdctl and zmmtactl as on Zimbra".to_owned(),
                format!(
                    "if systemctl is-enabled --quiet carbonio-mta.target 2>/dev/null; then systemctl restart carbonio-mailthreat.service && systemctl reload carbonio-postfix.service; else {}; fi",
                    self.as_user("zmamavisdctl restart && zmmtactl reload")
                ),
                StepKind::Restart,
            )),
            Platform::Univention => {
                steps.push(step(
                    "Check amavisd's configuration without starting it (UCS 5's amavisd-new has no test-config; showkeys reads every file the same way and fails on an error)".to_owned(),
                    "amavisd-new showkeys".to_owned(),
                    StepKind::Validate,
                ));
                steps.push(step(
                    "Reload amavisd, then Postfix (ucr set has rewritten both files; it restarts nothing)".to_owned(),
                    "systemctl reload amavis && postfix reload".to_owned(),
                    StepKind::Restart,
                ));
            }
        }
        steps.push(step(
            "Let Postfix check its installation".to_owned(),
            format!("{} check", self.postfix_program),
            StepKind::Validate,
        ));
        steps.push(step(
            format!("Verify that Postfix reads {n}"),
            format!("{} -c {} -h -F 'smtp-amavis/unix/process_limit'", self.postconf_program, self.postfix_dir),
            StepKind::Verify,
        ));
        // A raise unless the value read is higher.
        let raised = current.is_none_or(|current| n.get() >= current);
        steps.push(step(
            crate::inputs::release::count_children_description(self.master(), n.get(), raised),
            crate::inputs::release::count_children_command(self.master(), n.get(), raised),
            StepKind::Verify,
        ));
        let back = current.map_or_else(|| "the value step 1 printed".to_owned(), |v| v.to_string());
        steps.push(step(
            format!("If anything went wrong: set {} back to {back}, and apply it as above", self.setting),
            self.set_command(&current.map_or_else(|| "OLD".to_owned(), |v| v.to_string())),
            StepKind::Rollback,
        ));
        steps
    }
}

const ZIMBRA: PlatformFacts = PlatformFacts {
    platform: Platform::Zimbra,
    title: "Zimbra Collaboration",
    markers: &["/opt/zimbra/conf/zmconfigd.cf", "/opt/zimbra/common/conf/master.cf"],
    amavis_conf: Some("/opt/zimbra/conf/amavisd.conf"),
    postfix_dir: "/opt/zimbra/common/conf",
    postfix_program: "/opt/zimbra/common/sbin/postfix",
    postconf_program: "/opt/zimbra/common/sbin/postconf",
    setting: "zimbraAmavisMaxServers",
    default: 10,
    generator: "zmconfigd rewrites /opt/zimbra/conf/amavisd.conf and /opt/zimbra/common/conf/master.cf from their .in templates within about 60 s of a change, and again whenever amavisd or the MTA is started",
    run_as: Some("zimbra"),
    pid_file: "/opt/zimbra/log/amavisd.pid",
    mail_log: "/var/log/zimbra.log",
    other_consumers: "Zimbra runs its mailbox server (Java, heap 20-25% of RAM by zmsetup), MariaDB (innodb buffer pool 30% of RAM) and OpenLDAP on the same host by default: the reserve must hold them (--reserve)",
    sources: sources![
        "Zimbra/zm-amavis conf/amavisd.conf.in: `$max_servers = %%zimbraAmavisMaxServers%%;`, $pid_file /opt/zimbra/log/amavisd.pid",
        "Zimbra/zm-postfix conf/postfix/master.cf.in: `smtp-amavis unix - - n - %%zimbraAmavisMaxServers%% smtp`",
        "Zimbra/zm-mailbox store/conf/attrs/zimbra-attrs.xml id 1461: zimbraAmavisMaxServers, globalConfig and server, default 10",
        "Zimbra/zm-ldap-utilities conf/zmconfigd.cf: SECTION amavis (REWRITE conf/amavisd.conf.in, VAR zimbraAmavisMaxServers, RESTART antivirus amavis mta) and SECTION mta (REWRITE common/conf/master.cf.in); zmconfigd_interval 60 (LC.java)",
        "Zimbra/zm-core-utils src/bin/zmamavisdctl, zmmtactl (configrewrite on start and reload), zmhostname; src/libexec/zmsyslogsetup: local0 and mail to /var/log/zimbra.log",
        "Zimbra/zm-build rpmconf/Install/zmsetup.pl: mailboxd heap 25% of RAM (20% above 16 GB), MariaDB 30%",
    ],
};

const CARBONIO: PlatformFacts = PlatformFacts {
    platform: Platform::Carbonio,
    title: "Zextras Carbonio",
    markers: &["/opt/zextras/conf/zmconfigd.cf", "/opt/zextras/common/conf/master.cf"],
    amavis_conf: Some("/opt/zextras/conf/amavisd.conf"),
    postfix_dir: "/opt/zextras/common/conf",
    postfix_program: "/opt/zextras/common/sbin/postfix",
    postconf_program: "/opt/zextras/common/sbin/postconf",
    setting: "zimbraAmavisMaxServers",
    default: 10,
    generator: "configd rewrites /opt/zextras/conf/amavisd.conf and /opt/zextras/common/conf/master.cf from their .in templates within about 60 s of a change, and again whenever amavisd or the MTA is started",
    run_as: Some("zextras"),
    pid_file: "/run/carbonio/amavisd.pid",
    mail_log: "/var/log/carbonio.log",
    other_consumers: "Carbonio runs its mailbox (appserver) JVM (heap 20-25% of RAM by setup), MariaDB (30% of RAM) and OpenLDAP on the same host by default: the reserve must hold them (--reserve)",
    sources: sources![
        "zextras/carbonio-amavis conf/amavisd.conf.in (tag 4.0.7): `$max_servers = %%zimbraAmavisMaxServers%%;`, $pid_file /run/carbonio/amavisd.pid",
        "zextras/carbonio-mta mta/postfix_master.cf.in (tag 4.2.0): `smtp-amavis unix - - n - %%zimbraAmavisMaxServers%% smtp`",
        "zextras/carbonio-mailbox attrs.xml id 1461 (tag 4.21.0): zimbraAmavisMaxServers, default 10",
        "zextras/carbonio-core carbonio-configd.service (User=zextras, /opt/zextras/libexec/zmconfigd); carbonio-core-utils conf/configd.cf, src/bin/carbonio.sh (only as zextras), src/bin/amavisdctl.sh (exits when carbonio-*.target is enabled)",
        "zextras/carbonio-thirds perl/amavisd/carbonio-mailthreat.service (ExecStartPre asks configd to REWRITE amavis), native/postfix/carbonio-postfix.service (ExecReload postfix reload)",
        "zextras/carbonio-core-utils src/libexec/syslogsetup.pl: local0 and mail to /var/log/carbonio.log",
    ],
};

const UNIVENTION: PlatformFacts = PlatformFacts {
    platform: Platform::Univention,
    title: "Univention Corporate Server",
    markers: &["/etc/univention/base.conf"],
    amavis_conf: None,
    postfix_dir: "/etc/postfix",
    postfix_program: "postfix",
    postconf_program: "postconf",
    setting: "mail/antivir/max_servers",
    default: 2,
    generator: "ucr set rewrites /etc/amavis/conf.d/60-univention and the smtp-amavis line of /etc/postfix/master.cf at once, from the UCR templates",
    run_as: None,
    pid_file: "/var/run/amavis/amavisd.pid",
    mail_log: "/var/log/mail.log",
    other_consumers: "UCS runs OpenLDAP, the Univention Directory Listener and often Samba 4 and Dovecot on the same host: the reserve must hold them (--reserve)",
    sources: sources![
        "univention/univention-corporate-server mail/univention-antivir-mail: conffiles/etc/amavis/conf.d/60-univention (`$max_servers = ` mail/antivir/max_servers, default 2; $pid_file /var/run/amavis/amavisd.pid), debian/*.univention-config-registry (File etc/amavis/conf.d/60-univention, Variables mail/antivir/max_servers)",
        "univention/univention-corporate-server mail/univention-mail-postfix: conffiles/etc/postfix/master.cf.d/30_antivir (`smtp-amavis unix - - n - %(maxproc)s smtp`, the same variable), 99_local (master.cf.local appended)",
        "univention-config-registry handler.py: a registered variable's files are rewritten when it is set; no restart is registered for these files",
    ],
};

/// `plan` on a platform: its steps in place of the edits, and what it means for the snippets and
/// the memory reserve (the CLI prints it above the plan, the page above the result).
pub fn platform_plan(plan: &mut Plan, platform: Platform) -> String {
    let facts = platform.facts();
    plan.steps = facts.steps(plan.concurrency, None);
    plan.lowering_note = format!("{} applies the number to both sides itself.", facts.title);
    format!(
        "{} generates both numbers from {} ({}). Do not paste the snippets: they show what it will write. Change the number with `{}` (the steps). {}.",
        facts.title,
        facts.setting,
        facts.generator,
        facts.change_command(plan.concurrency),
        facts.other_consumers
    )
}

/// The platform whose marker paths all exist (`exists` answers for a path as on the server).
pub fn detect(exists: impl Fn(&str) -> bool) -> Option<Platform> {
    Platform::ALL.into_iter().find(|p| p.facts().markers.iter().all(|m| exists(m)))
}

/// UCR's header on the files it writes (univention-config-registry handler.py `warning_string`).
const UCR_MARK: &[u8] = b"might be overwritten by\n#          univention-config-registry.";

/// Whether `text` is a file that univention-config-registry wrote.
pub fn generated_by_ucr(text: &[u8]) -> bool {
    text.windows(UCR_MARK.len()).any(|w| w == UCR_MARK)
}

/// Says, in `report`, that the platform generates both numbers: the change is its command, and
/// files that disagree (with each other, or with the setting where it was read) are a hand edit
/// or a rewrite not done yet.
///
/// `setting` is the setting as read on the server: its value, nothing to read it from (a copied
/// tree), or why reading it failed.
pub fn note_platform(
    report: &mut Report,
    platform: Platform,
    generated: &[String],
    setting: &Result<Option<SettingValue>, String>,
) {
    let facts = platform.facts();
    let amavisd = report.amavis.max_servers;
    let postfix = report.postfix.effective;
    let command = facts.set_command(&report.suggested.map_or_else(|| "N".to_owned(), |n| n.to_string()));
    let mut message = format!(
        "{} generates both numbers from {} ({}): an edit of {} by hand is undone; change the number with `{command}`",
        facts.title,
        facts.setting,
        facts.generator,
        if generated.is_empty() { "these files".to_owned() } else { generated.join(" or ") }
    );
    if let Err(why) = setting {
        message.push_str(&format!("; {} could not be read: {why}", facts.setting));
    }
    if let Ok(Some(setting)) = setting {
        message.push_str(&format!("; {} is {} ({})", facts.setting, setting.value, setting.from));
        let files: Vec<String> = [amavisd, postfix].into_iter().flatten().map(|n| n.to_string()).collect();
        match setting.number() {
            Some(value) if [amavisd, postfix].iter().any(|n| n.is_some_and(|n| n != value)) => {
                message.push_str(&format!(
                    "; the files say {}, not {value}: a hand edit, or a rewrite not done yet",
                    files.join(" and ")
                ));
                report.findings.push(Finding::new(FindingCode::PlatformGenerated, Severity::Warning, message, None));
                return;
            }
            Some(_) => {}
            None => message.push_str(": not a number of children"),
        }
    }
    if report.status == Status::Mismatch
        && let (Some(a), Some(p)) = (amavisd, postfix)
    {
        message.push_str(&format!(
            "; the files disagree ({a} and {p}), which the platform never writes: a hand edit, or a rewrite not done yet (read the setting with `{}`)",
            facts.read_command()
        ));
    }
    report.findings.push(Finding::new(FindingCode::PlatformGenerated, Severity::Warning, message, None));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_per_platform() {
        let n = Concurrency::new(12).expect("12");
        assert_eq!(
            Platform::Zimbra.facts().change_command(n),
            "su - zimbra -c 'zmprov ms \"$(zmhostname)\" zimbraAmavisMaxServers 12'"
        );
        assert_eq!(
            Platform::Carbonio.facts().change_command(n),
            "su - zextras -c 'carbonio prov ms \"$(zmhostname)\" zimbraAmavisMaxServers 12'"
        );
        assert_eq!(Platform::Univention.facts().change_command(n), "ucr set mail/antivir/max_servers=12");
        assert_eq!("Zimbra".parse::<Platform>(), Ok(Platform::Zimbra));
        assert!("plesk".parse::<Platform>().is_err_and(|e| e.contains("zimbra, carbonio, univention")));
    }

    #[test]
    fn detection_needs_every_marker() {
        let zimbra = ["/opt/zimbra/conf/zmconfigd.cf", "/opt/zimbra/common/conf/master.cf"];
        assert_eq!(detect(|p| zimbra.contains(&p)), Some(Platform::Zimbra));
        assert_eq!(detect(|p| p == zimbra[0]), None);
        assert!(generated_by_ucr(
            b"# Warning: This file is auto-generated and might be overwritten by\n#          univention-config-registry.\n"
        ));
    }
}
