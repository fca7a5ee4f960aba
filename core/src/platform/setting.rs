//! The platform's setting as the server holds it: read from UCR's layered files as
//! univention-config-registry reads them, or from the output of the platform's read command.
//! No I/O: the caller hands in the files' text and the command's output.

use serde::Serialize;

/// UCR's layer files, the most important first: a value in an earlier file wins
/// (univention-config-registry's `backend.py`, `LAYER_PRIORITIES`: forced, schedule, ldap,
/// normal, defaults; `base-defaults.conf` holds the packages' defaults since UCS 5.0).
pub const UCR_LAYERS: [&str; 5] = [
    "/etc/univention/base-forced.conf",
    "/etc/univention/base-schedule.conf",
    "/etc/univention/base-ldap.conf",
    "/etc/univention/base.conf",
    "/etc/univention/base-defaults.conf",
];

/// The setting's value as the platform holds it, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingValue {
    /// The value as written (a number, on a server that works).
    pub value: String,
    /// Where: the UCR layer's file, the platform's command, or the platform's default.
    pub from: String,
}

impl SettingValue {
    /// The value as a number of children, when it is one.
    pub fn number(&self) -> Option<u32> {
        self.value.trim().parse().ok()
    }
}

/// `key`'s value in one UCR layer's text, as UCR loads a layer: a file of fewer than two lines
/// is not loaded; a line with a `#` before any `:` is a comment; a line is `KEY: VALUE`, split at
/// the first `": "`, the value stripped; a later line for the same key wins.
fn ucr_layer_value(text: &str, key: &str) -> Option<String> {
    text.split_inclusive('\n').nth(1)?;
    let mut found = None;
    for line in text.lines() {
        let before_colon = line.split(':').next().unwrap_or(line);
        if before_colon.contains('#') {
            continue;
        }
        if let Some((name, value)) = line.split_once(": ")
            && name == key
        {
            found = Some(value.trim().to_owned());
        }
    }
    found
}

/// `key`'s value from UCR's layers (`(path, text)` for each of [`UCR_LAYERS`] that exists, in
/// that order): the first layer that sets it. `None` when no layer does.
pub fn ucr_value(layers: &[(&str, &str)], key: &str) -> Option<SettingValue> {
    layers.iter().find_map(|(path, text)| {
        ucr_layer_value(text, key).map(|value| SettingValue { value, from: format!("UCR, {path}") })
    })
}

/// The attribute's value in the output of `zmprov gs -e HOST ATTR` (Carbonio's `carbonio prov`
/// prints the same): a `# name HOST` line, then `ATTR: VALUE`.
pub fn prov_value(output: &str, attribute: &str) -> Option<String> {
    output.lines().find_map(|line| line.strip_prefix(attribute)?.strip_prefix(": ").map(|v| v.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "mail/antivir/max_servers";

    #[test]
    fn ucr_reads_its_layers_in_order() {
        let normal = "# univention_ base.conf\n\nmail/antivir/max_servers: 6\nmail/antivir/spam: yes\n";
        let forced = "# univention_ base.conf\n\nmail/antivir/max_servers: 4\n";
        let read = |layers: &[(&str, &str)]| ucr_value(layers, KEY);
        assert_eq!(
            read(&[(UCR_LAYERS[3], normal)]),
            Some(SettingValue { value: "6".into(), from: "UCR, /etc/univention/base.conf".into() })
        );
        assert_eq!(read(&[(UCR_LAYERS[0], forced), (UCR_LAYERS[3], normal)]).and_then(|v| v.number()), Some(4));
        // Not set anywhere; a comment; a file of one line (UCR does not load it); a longer key.
        assert_eq!(read(&[(UCR_LAYERS[3], "# univention_ base.conf\n\nmail/antivir/spam: yes\n")]), None);
        assert_eq!(read(&[(UCR_LAYERS[3], "# x\n#mail/antivir/max_servers: 9\n")]), None);
        assert_eq!(read(&[(UCR_LAYERS[3], "mail/antivir/max_servers: 9")]), None);
        assert_eq!(read(&[(UCR_LAYERS[3], "# x\nmail/antivir/max_servers/x: 9\n")]), None);
        // The value is stripped; a `#` after the colon is part of it; the last line wins.
        let later = "# x\nmail/antivir/max_servers:  7 \nmail/antivir/max_servers: 8\n";
        assert_eq!(read(&[(UCR_LAYERS[3], later)]).map(|v| v.value), Some("8".into()));
        let hash = "# x\nmail/antivir/max_servers: 3#x\n";
        assert_eq!(read(&[(UCR_LAYERS[3], hash)]).map(|v| (v.value.clone(), v.number())), Some(("3#x".into(), None)));
    }

    #[test]
    fn prov_output() {
        let output = "# name mail.example.com\nzimbraAmavisMaxServers: 12\n";
        assert_eq!(prov_value(output, "zimbraAmavisMaxServers").as_deref(), Some("12"));
        assert_eq!(prov_value("# name mail.example.com\n", "zimbraAmavisMaxServers"), None);
        assert_eq!(prov_value("zimbraAmavisMaxServersX: 3\n", "zimbraAmavisMaxServers"), None);
    }
}
