//! The other statements of an amavisd configuration that decide what `check` reads: the files it
//! makes amavisd read (`include_config_files`, `read_config`, `require`, `do`) and where amavisd
//! listens (`$inet_socket_port`, `$unix_socketname`).

use super::{Kind, Token};

/// A statement that makes amavisd read another file at that point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// The physical line of the statement.
    pub line: usize,
    /// Byte offset of the statement, so an assignment before or after it can be ordered with it.
    pub offset: usize,
    /// `include_config_files`, `read_config`, `require` or `do`.
    pub keyword: String,
    /// The file, when the statement names it with a plain string literal; `None` when it is
    /// computed (a variable, an interpolated string), which cannot be followed without Perl.
    pub path: Option<String>,
    /// Whether the statement may not run: a statement modifier (`if`, `unless`) or inside a block.
    pub conditional: bool,
    /// The statement as written, for messages.
    pub text: String,
}

/// One assignment to `$inet_socket_port`: the TCP ports amavisd listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortAssignment {
    pub line: usize,
    /// The ports, when the value is a plain number or a list of plain numbers; `None` otherwise.
    pub ports: Option<Vec<u16>>,
}

/// One assignment to `$unix_socketname`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketAssignment {
    pub line: usize,
    /// The path, when the value is a plain string literal.
    pub path: Option<String>,
}

const INCLUDE_KEYWORDS: [&str; 4] = ["include_config_files", "read_config", "require", "do"];

/// The value of a plain string literal: single-quoted, or double-quoted with nothing Perl would
/// interpolate.
fn plain_string(text: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(text).ok()?;
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        return Some(inner.replace("\\'", "'").replace("\\\\", "\\"));
    }
    let inner = text.strip_prefix('"').and_then(|t| t.strip_suffix('"'))?;
    (!inner.contains(['$', '@', '\\'])).then(|| inner.to_owned())
}

/// The index of the `;` that ends the statement starting at `from`, at this nesting (or the last
/// token before the enclosing block closes).
fn statement_end(tokens: &[Token], text: &[u8], from: usize) -> usize {
    let mut depth = 0isize;
    let mut end = from;
    while end < tokens.len() {
        match &text[tokens[end].range.clone()] {
            b"(" | b"[" | b"{" => depth += 1,
            b")" | b"]" | b"}" if depth == 0 => return end.saturating_sub(1).max(from),
            b")" | b"]" | b"}" => depth -= 1,
            b";" if depth == 0 => return end,
            _ => {}
        }
        end += 1;
    }
    tokens.len().saturating_sub(1)
}

pub(super) fn includes(tokens: &[Token], text: &[u8]) -> Vec<Include> {
    let mut found = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        if token.kind != Kind::Identifier {
            continue;
        }
        let word = &text[token.range.clone()];
        let Some(keyword) = INCLUDE_KEYWORDS.iter().find(|k| k.as_bytes() == word) else { continue };
        // `->do(...)`, `$x{do}` and the like are not the builtin.
        if index > 0 && matches!(&text[tokens[index - 1].range.clone()], b"->" | b"{" | b"&") {
            continue;
        }
        let mut next = index + 1;
        let parenthesised = tokens.get(next).is_some_and(|t| &text[t.range.clone()] == b"(");
        if parenthesised {
            next += 1;
        }
        let Some(argument) = tokens.get(next) else { continue };
        // `require Some::Module;` and `do { ... }` read no configuration file.
        if matches!(*keyword, "require" | "do") && argument.kind != Kind::Literal && argument.kind != Kind::Variable {
            continue;
        }
        let end = statement_end(tokens, text, index);
        let statement = &tokens[index..=end];
        let conditional = token.brace_depth > 0
            || statement
                .iter()
                .any(|t| t.kind == Kind::Identifier && matches!(&text[t.range.clone()], b"if" | b"unless"));
        let line_text = String::from_utf8_lossy(&text[token.range.start..tokens[end].range.end]).into_owned();
        // Each literal argument is one file (include_config_files takes a list).
        let mut arguments = Vec::new();
        let mut position = next;
        while position <= end {
            let t = &tokens[position];
            match t.kind {
                Kind::Literal => arguments.push(plain_string(&text[t.range.clone()])),
                Kind::Variable => arguments.push(None),
                _ => {}
            }
            position += 1;
            let separator = tokens.get(position).map(|t| &text[t.range.clone()]);
            if separator != Some(b",") || !matches!(*keyword, "include_config_files" | "read_config") {
                break;
            }
            position += 1;
        }
        if arguments.is_empty() {
            arguments.push(None);
        }
        for path in arguments {
            found.push(Include {
                line: token.line,
                offset: token.range.start,
                keyword: (*keyword).to_owned(),
                path,
                conditional,
                text: line_text.clone(),
            });
        }
    }
    found
}

fn assigned<'a>(tokens: &'a [Token], text: &[u8], name: &[u8]) -> Vec<(usize, &'a [Token])> {
    let mut found = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        if token.kind != Kind::Variable || &text[token.range.clone()] != name {
            continue;
        }
        if tokens.get(index + 1).is_none_or(|t| &text[t.range.clone()] != b"=") {
            continue;
        }
        let end = statement_end(tokens, text, index + 2);
        let value_end = if &text[tokens[end].range.clone()] == b";" { end } else { end + 1 };
        found.push((token.line, &tokens[(index + 2).min(value_end)..value_end]));
    }
    found
}

pub(super) fn socket_ports(tokens: &[Token], text: &[u8]) -> Vec<PortAssignment> {
    assigned(tokens, text, b"$inet_socket_port")
        .into_iter()
        .map(|(line, value)| {
            let words: Vec<&[u8]> = value.iter().map(|t| &text[t.range.clone()]).collect();
            let numbers = match words.as_slice() {
                [one] => Some(vec![*one]),
                [b"[", inner @ .., b"]"] => {
                    Some(inner.iter().enumerate().filter(|(i, _)| i % 2 == 0).map(|(_, w)| *w).collect())
                }
                _ => None,
            };
            let ports = numbers.and_then(|numbers| {
                numbers
                    .iter()
                    .map(|w| std::str::from_utf8(w).ok().and_then(|w| w.parse::<u16>().ok()))
                    .collect::<Option<Vec<u16>>>()
            });
            PortAssignment { line, ports }
        })
        .collect()
}

/// Assignments to `@listen_sockets` (amavisd 2.11 and later): the TCP ports among its
/// elements (`'127.0.0.1:10024'`, `'[::1]:10026'`, `'10032'`); a unix socket (a path) has none.
/// `ports` is `None` when an element is not a plain string (a variable, an expression), so the
/// ports cannot be told statically.
pub(super) fn listen_sockets(tokens: &[Token], text: &[u8]) -> Vec<PortAssignment> {
    assigned(tokens, text, b"@listen_sockets")
        .into_iter()
        .map(|(line, value)| {
            let mut ports = Some(Vec::new());
            let inner = match value {
                [open, inner @ .., close]
                    if &text[open.range.clone()] == b"(" && &text[close.range.clone()] == b")" =>
                {
                    inner
                }
                other => other,
            };
            for token in inner {
                let word = &text[token.range.clone()];
                match token.kind {
                    Kind::Punct if word == b"," => {}
                    Kind::Literal => {
                        let elements: Vec<String> = match word.strip_prefix(b"qw") {
                            Some(rest) if rest.len() >= 2 => String::from_utf8_lossy(&rest[1..rest.len() - 1])
                                .split_whitespace()
                                .map(str::to_owned)
                                .collect(),
                            _ => match plain_string(word) {
                                Some(element) => vec![element],
                                // An interpolated string: a path under a variable is a unix
                                // socket; anything else cannot be told.
                                None if word.contains(&b'/') => Vec::new(),
                                None => {
                                    ports = None;
                                    break;
                                }
                            },
                        };
                        for element in elements {
                            if element.starts_with('/') {
                                continue;
                            }
                            let port = element.rsplit(':').next().unwrap_or(&element);
                            match (ports.as_mut(), port.parse::<u16>()) {
                                (Some(list), Ok(port)) => list.push(port),
                                _ => ports = None,
                            }
                        }
                    }
                    _ => {
                        ports = None;
                        break;
                    }
                }
            }
            PortAssignment { line, ports }
        })
        .collect()
}

/// One `$interface_policy{'PORT'} = 'BANK';`: a policy bank for connections to a port (or
/// `ADDR:PORT`; Amavis.pm looks up `$interface_policy{$dst_port}` and
/// `{"$dst_addr:$dst_port"}`). It names a port amavisd is meant to serve, but amavisd listens only
/// where `$inet_socket_port` or `@listen_sockets` say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPort {
    pub line: usize,
    pub port: u16,
    /// The bank's name, when a plain string.
    pub bank: Option<String>,
}

pub(super) fn policy_ports(tokens: &[Token], text: &[u8]) -> Vec<PolicyPort> {
    let word = |i: usize| tokens.get(i).map(|t: &Token| &text[t.range.clone()]);
    let mut found = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        if token.kind != Kind::Variable || &text[token.range.clone()] != b"$interface_policy" {
            continue;
        }
        let (Some(b"{"), Some(key), Some(b"}"), Some(b"=")) =
            (word(index + 1), word(index + 2), word(index + 3), word(index + 4))
        else {
            continue;
        };
        let key = plain_string(key).unwrap_or_else(|| String::from_utf8_lossy(key).into_owned());
        let port = key.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
        if let Some(port) = port {
            found.push(PolicyPort { line: token.line, port, bank: word(index + 5).and_then(plain_string) });
        }
    }
    found
}

pub(super) fn socket_names(tokens: &[Token], text: &[u8]) -> Vec<SocketAssignment> {
    string_assignments(tokens, text, b"$unix_socketname")
}

/// Assignments to `$forward_method` (where amavisd hands mail back), at the top level.
pub(super) fn forward_methods(tokens: &[Token], text: &[u8]) -> Vec<SocketAssignment> {
    string_assignments(tokens, text, b"$forward_method")
}

fn string_assignments(tokens: &[Token], text: &[u8], name: &[u8]) -> Vec<SocketAssignment> {
    assigned(tokens, text, name)
        .into_iter()
        .map(|(line, value)| SocketAssignment {
            line,
            path: match value {
                [literal] if literal.kind == Kind::Literal => plain_string(&text[literal.range.clone()]),
                _ => None,
            },
        })
        .collect()
}
