//! Unified diffs of the changes, coloured on a terminal, with the values of secrets masked.
//!
//! Config files hold passwords next to the lines amavis-tune edits (amavisd's `@lookup_sql_dsn`,
//! Postfix's `smtp_sasl_password_maps`), and a diff's context shows them. Every line of a diff
//! (context, removed and added) whose assignment has a name that looks like a secret keeps its
//! name and operator, and its value, to the end of the line, becomes [`MASK`]. This is a
//! best effort on the common forms; `--no-diff` prints no file contents at all.

use std::io::{self, IsTerminal, Write};

use similar::{ChangeTag, TextDiff};

/// What a secret's value is shown as.
pub(crate) const MASK: &str = "********";

/// Words that make an assignment's name look like it holds a secret (compared in lowercase).
/// A bare `pass` is left out: amavisd's many `bypass_*` names would match it.
const SECRET_WORDS: [&str; 9] =
    ["password", "passwd", "pwd", "secret", "dsn", "apikey", "api_key", "token", "credential"];

/// How the diffs are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiffStyle {
    /// Not at all (`--no-diff`): one line names the file instead.
    Hidden,
    Plain,
    /// With ANSI colours.
    Colour,
}

impl DiffStyle {
    /// Hidden when `--no-diff` was given; else coloured on a terminal unless `NO_COLOR` is set.
    pub(crate) fn for_stdout(no_diff: bool) -> DiffStyle {
        if no_diff {
            DiffStyle::Hidden
        } else if io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            DiffStyle::Colour
        } else {
            DiffStyle::Plain
        }
    }
}

pub(crate) fn write_diff(out: &mut dyn Write, path: &str, old: &[u8], new: &[u8], style: DiffStyle) -> io::Result<()> {
    let (red, green, cyan, reset) = match style {
        DiffStyle::Hidden => return writeln!(out, "(the diff of {path} is not shown: --no-diff)"),
        DiffStyle::Plain => ("", "", "", ""),
        DiffStyle::Colour => ("\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[0m"),
    };
    writeln!(out, "--- {path}")?;
    writeln!(out, "+++ {path}")?;
    let diff = TextDiff::from_lines(old, new);
    let old_masked = masked_lines(&lossy_lines(diff.old_slices()));
    let new_masked = masked_lines(&lossy_lines(diff.new_slices()));
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        writeln!(out, "{cyan}{}{reset}", hunk.header())?;
        for change in hunk.iter_changes() {
            let (sign, colour_on, masked) = match change.tag() {
                ChangeTag::Delete => ("-", red, change.old_index().and_then(|i| old_masked.get(i))),
                ChangeTag::Insert => ("+", green, change.new_index().and_then(|i| new_masked.get(i))),
                ChangeTag::Equal => (" ", "", change.old_index().and_then(|i| old_masked.get(i))),
            };
            let text = String::from_utf8_lossy(change.value());
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let text = masked.and_then(Option::as_deref).unwrap_or(text);
            let off = if colour_on.is_empty() { "" } else { reset };
            writeln!(out, "{colour_on}{sign}{text}{off}")?;
            if change.missing_newline() {
                writeln!(out, "\\ No newline at end of file")?;
            }
        }
    }
    Ok(())
}

/// The diff's lines as text, without their line ends.
fn lossy_lines(lines: &[&[u8]]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let text = String::from_utf8_lossy(line);
            text.trim_end_matches(['\n', '\r']).to_owned()
        })
        .collect()
}

/// How far a secret's value runs past its own line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Continues {
    /// It ends on this line.
    No,
    /// Perl (a `$`, `@` or `%` name): until a line whose statement ends with `;`.
    UntilSemicolon,
    /// Postfix main.cf (a name at the start of the line): over the lines that start with
    /// whitespace.
    WhileIndented,
}

/// A line that assigns a secret, masked, and how far its value runs.
#[derive(Debug, PartialEq, Eq)]
struct SecretAssignment {
    masked: String,
    continues: Continues,
}

/// `line` with the value of a secret-named assignment masked, or `None` when the line assigns
/// no secret. Comments (`#` first, in Perl and Postfix alike) are never masked.
fn secret_assignment(line: &str) -> Option<SecretAssignment> {
    let code = line.trim_start();
    if code.is_empty() || code.starts_with('#') {
        return None;
    }
    let bytes = line.as_bytes();
    for (at, _) in line.match_indices('=') {
        let next = bytes.get(at + 1).copied();
        let previous = at.checked_sub(1).map(|p| bytes[p]);
        // `==`, `=~`, `!=`, `<=`, `>=` compare; `=>` pairs a hash key with its value.
        if matches!(next, Some(b'=' | b'~')) || matches!(previous, Some(b'=' | b'!' | b'<' | b'>')) {
            continue;
        }
        let pair = next == Some(b'>');
        let operator_end = if pair { at + 2 } else { at + 1 };
        // Perl's compound assignments (`.=`, `||=`, `//=`) name the variable before their operator.
        let before = line[..at].trim_end().trim_end_matches(['.', '|', '/', '+', '-', '*', '&', '^']).trim_end();
        let Some(name) = before.split_whitespace().last() else { continue };
        let lowercase = name.to_ascii_lowercase();
        if !SECRET_WORDS.iter().any(|word| lowercase.contains(word)) {
            continue;
        }
        let value_start = operator_end + (line[operator_end..].len() - line[operator_end..].trim_start().len());
        let perl = name.starts_with(['$', '@', '%']);
        let continues = if pair {
            Continues::No
        } else if perl {
            if ends_statement(line) { Continues::No } else { Continues::UntilSemicolon }
        } else if !line.starts_with(char::is_whitespace) && before == name {
            Continues::WhileIndented
        } else {
            Continues::No
        };
        // An empty value (it goes on, on the next lines) still gets a space before the mask.
        let separator = if value_start == line.len() && value_start == operator_end { " " } else { "" };
        return Some(SecretAssignment { masked: format!("{}{separator}{MASK}", &line[..value_start]), continues });
    }
    None
}

/// Whether a Perl line ends its statement: a `;` with nothing after it but a comment.
fn ends_statement(line: &str) -> bool {
    line.rfind(';').is_some_and(|at| {
        let rest = line[at + 1..].trim();
        rest.is_empty() || rest.starts_with('#')
    })
}

/// Every line of a file, masked where it assigns a secret or continues a secret's value (a Perl
/// statement over several lines, a main.cf value on indented lines), else `None`. Comment and
/// blank lines inside such a value are shown as they are.
fn masked_lines(lines: &[String]) -> Vec<Option<String>> {
    let mut open = Continues::No;
    lines
        .iter()
        .map(|line| {
            let code = line.trim_start();
            if code.is_empty() || code.starts_with('#') {
                return None;
            }
            let indent = &line[..line.len() - code.len()];
            let continued = match open {
                Continues::No => false,
                // A statement at the start of a line that assigns a `$`, `@` or `%` name is a
                // new one: an unterminated value masks no further than that.
                Continues::UntilSemicolon => !starts_perl_statement(line),
                Continues::WhileIndented => !indent.is_empty(),
            };
            if continued {
                if open == Continues::UntilSemicolon && ends_statement(line) {
                    open = Continues::No;
                }
                return Some(format!("{indent}{MASK}"));
            }
            open = Continues::No;
            let secret = secret_assignment(line)?;
            open = secret.continues;
            Some(secret.masked)
        })
        .collect()
}

/// Whether `line` starts, at its first column, a Perl assignment to a `$`, `@` or `%` name.
fn starts_perl_statement(line: &str) -> bool {
    let Some(at) = line.find('=') else { return false };
    line.starts_with(['$', '@', '%']) && line[..at].split_whitespace().count() == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(line: &str, expect: Option<&str>) {
        assert_eq!(secret_assignment(line).map(|secret| secret.masked).as_deref(), expect, "{line}");
    }

    #[test]
    fn secret_assignments() {
        check("$sql_password = 'secretpw';", Some("$sql_password = ********"));
        check("  $database_password='x'; # the db", Some("  $database_password=********"));
        check(
            "@lookup_sql_dsn = ( ['DBI:mysql:database=mail;host=127.0.0.1', 'amavis', 'pw'] );",
            Some("@lookup_sql_dsn = ********"),
        );
        check("@storage_sql_dsn = @lookup_sql_dsn;", Some("@storage_sql_dsn = ********"));
        check("my $api_key .= 'abc';", Some("my $api_key .= ********"));
        check("$ApiKey ||= 'abc';", Some("$ApiKey ||= ********"));
        check("$hash{token} = 'abc';", Some("$hash{token} = ********"));
        check("  password => 'abc',", Some("  password => ********"));
        check("smtp_sasl_password_maps = static:user:pw", Some("smtp_sasl_password_maps = ********"));
        check("smtp_sasl_password_maps =", Some("smtp_sasl_password_maps = ********"));
        check("    -o smtp_sasl_password_maps=static:u:pw", Some("    -o smtp_sasl_password_maps=********"));
        check("ldap_bind_pw_secret=x", Some("ldap_bind_pw_secret=********"));
        check("$x = 1; $sql_passwd = 'pw';", Some("$x = 1; $sql_passwd = ********"));
    }

    #[test]
    fn not_secrets() {
        check("$max_servers = 4;", None);
        check("smtp-amavis unix -      -       n       -       4       smtp", None);
        check("smtp-amavis_destination_concurrency_limit = 4", None);
        check("# $sql_password = 'secretpw';", None);
        check("   # smtp_sasl_password_maps = static:u:pw", None);
        check("#@lookup_sql_dsn = ( ['DBI:mysql:database=mail', 'u', 'pw'] );", None);
        check("@bypass_spam_checks_maps = (1);", None);
        check("$banner = 'my password is here';", None);
        check("if ($password == 1) {", None);
        check("return 1 if $token eq 'x';", None);
        check("    ['DBI:mysql:database=mail;host=127.0.0.1', 'amavis', 'pw'],", None);
        check("", None);
    }

    #[track_caller]
    fn check_file(text: &str, expect: &[Option<&str>]) {
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let masked = masked_lines(&lines);
        assert_eq!(masked.iter().map(Option::as_deref).collect::<Vec<_>>(), expect, "{text}");
    }

    #[test]
    fn values_over_several_lines() {
        check_file(
            "@lookup_sql_dsn = (\n  # primary\n  ['DBI:mysql:database=mail', 'u', 'pw'],\n  ['DBI:x', 'v', 'pw2'] );\n$max_servers = 4;\n",
            &[Some("@lookup_sql_dsn = ********"), None, Some("  ********"), Some("  ********"), None],
        );
        check_file("$sql_password = 'unterminated'\n$max_servers = 4;\n", &[Some("$sql_password = ********"), None]);
        check_file(
            "smtp_sasl_password_maps =\n    static:user:pw\n\n    # note\n    more\nrelayhost = [mx]\n  indented\n",
            &[
                Some("smtp_sasl_password_maps = ********"),
                Some("    ********"),
                None,
                None,
                Some("    ********"),
                None,
                None,
            ],
        );
        check_file(
            "smtp-amavis unix - - n - 2 smtp\n    -o smtp_sasl_password_maps=static:u:pw\n    -o max_use=20\n",
            &[None, Some("    -o smtp_sasl_password_maps=********"), None],
        );
    }

    #[test]
    fn diffs_mask_context_and_changes() {
        let old = "$sql_password = 'pw1';\n$max_servers = 2;\n# $sql_password = 'commented';\n$api_key = 'k1';\n";
        let new = "$sql_password = 'pw1';\n$max_servers = 4;\n# $sql_password = 'commented';\n$api_key = 'k2';\n";
        let mut out = Vec::new();
        write_diff(&mut out, "50-user", old.as_bytes(), new.as_bytes(), DiffStyle::Plain).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "--- 50-user\n+++ 50-user\n@@ -1,4 +1,4 @@\n $sql_password = ********\n-$max_servers = 2;\n+$max_servers = 4;\n # $sql_password = 'commented';\n-$api_key = ********\n+$api_key = ********\n"
        );
        let mut out = Vec::new();
        write_diff(&mut out, "50-user", old.as_bytes(), new.as_bytes(), DiffStyle::Hidden).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "(the diff of 50-user is not shown: --no-diff)\n");
    }
}
