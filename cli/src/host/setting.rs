//! The platform's setting as this server holds it (core's `platform` reads the text): UCR's
//! layer files, under `--root` too; on this machine, Zimbra's and Carbonio's read command when
//! the platform's program is there.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use amavis_tune_core::{Platform, SettingValue, UCR_LAYERS, prov_value, ucr_value};

use crate::host::layout::{confine, under};

/// How long the platform's read command may take: `zmprov` starts a JVM and asks LDAP.
const PROV_DEADLINE: Duration = Duration::from_secs(60);

/// The programs the read command runs, per platform (where they are installed).
fn prov_program(platform: Platform) -> Option<&'static str> {
    match platform {
        Platform::Zimbra => Some("/opt/zimbra/bin/zmprov"),
        Platform::Carbonio => Some("/opt/zextras/bin/carbonio"),
        Platform::Univention => None,
    }
}

/// The setting's value, or why it was not read (`Ok(None)`: nothing to read it from here, as in
/// a copied Zimbra tree, where the value is in the platform's LDAP).
pub(crate) fn read(root: &Path, platform: Platform) -> Result<Option<SettingValue>, String> {
    let facts = platform.facts();
    if platform == Platform::Univention {
        let layers: Vec<(&str, String)> = UCR_LAYERS
            .iter()
            .filter_map(|path| {
                let file = confine(root, &under(root, path)).ok()?;
                Some((*path, crate::host::read::read_small(&file)?))
            })
            .collect();
        if layers.is_empty() {
            return Ok(None);
        }
        let texts: Vec<(&str, &str)> = layers.iter().map(|(path, text)| (*path, text.as_str())).collect();
        return Ok(Some(ucr_value(&texts, facts.setting).unwrap_or_else(|| SettingValue {
            value: facts.default.to_string(),
            from: "not set in UCR: the template's default".to_owned(),
        })));
    }
    // Zimbra's and Carbonio's value is in their LDAP: read on the server itself, as root (the
    // command runs as the platform's user through su).
    let Some(program) = prov_program(platform) else { return Ok(None) };
    if root != Path::new("/") || !Path::new(program).is_file() || !rustix::process::geteuid().is_root() {
        return Ok(None);
    }
    let command_text = facts.read_command();
    let mut command = Command::new("sh");
    command.arg("-c").arg(&command_text);
    let finished = crate::host::deadline::run(command, PROV_DEADLINE)?;
    match prov_value(&finished.stdout, facts.setting) {
        Some(value) if finished.status.success() => Ok(Some(SettingValue { value, from: format!("`{command_text}`") })),
        _ => {
            let said = finished.stderr.lines().chain(finished.stdout.lines()).find(|l| !l.trim().is_empty());
            Err(format!(
                "`{command_text}` ({}) printed no {}: {}",
                finished.status,
                facts.setting,
                said.unwrap_or("").trim()
            ))
        }
    }
}

/// The value a platform's rollback goes back to: the setting as read; else the files' number,
/// which is the setting's only when both sides agree (else one was edited by hand).
pub(crate) fn rollback_value(
    setting: &Result<Option<SettingValue>, String>,
    report: &amavis_tune_core::Report,
) -> Option<u32> {
    let read = setting.as_ref().ok().and_then(Option::as_ref).and_then(SettingValue::number);
    read.or(report.amavis.max_servers.filter(|&a| Some(a) == report.postfix.effective))
}
