//! A scanner for amavisd's Perl configuration that finds the assignments to `$max_servers`.
//!
//! It is not a Perl parser: it tokenizes just enough Perl (comments, POD, `__END__`, quoted
//! strings, `q`/`qq`/`qw`/`qr`/`m`/`s`/`tr`/`y` with any delimiter, here-documents, regex
//! literals) to tell a real assignment from a mention in a comment or a string. A value it cannot
//! be sure of (anything but a plain decimal literal) is reported, never guessed.

use std::ops::Range;

use crate::config::diagnostic::{Diagnostic, DiagnosticCode, encoding_diagnostics};

mod statements;

pub use statements::{Include, PolicyPort, PortAssignment, SocketAssignment};

/// The variable this scanner looks for, and the packages it may be named with.
const NAMES: [&str; 3] = ["max_servers", "main::max_servers", "Amavis::Conf::max_servers"];

/// What an assignment sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignedValue {
    /// A plain decimal literal, or a quoted string of decimal digits (`'12'`, which Perl reads as
    /// the number 12); its byte range is the literal's, quotes included, so that an edit writes a
    /// plain number in its place.
    Number { value: u32, range: Range<usize> },
    /// Anything else: an expression, a statement modifier, a compound assignment.
    Expression { text: String },
}

/// One assignment to `$max_servers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The physical line of `$max_servers`.
    pub line: usize,
    pub value: AssignedValue,
    /// Inside a `{ ... }` block (maybe conditional), so not certain to run.
    pub in_block: bool,
    /// Byte range of the statement, from the variable to the `;` included (or to where it ends).
    pub statement: Range<usize>,
}

impl Assignment {
    /// The number, when the assignment certainly sets one.
    pub fn number(&self) -> Option<u32> {
        match self.value {
            AssignedValue::Number { value, .. } if !self.in_block => Some(value),
            _ => None,
        }
    }
}

/// A scanned amavisd configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmavisConf {
    text: Vec<u8>,
    pub assignments: Vec<Assignment>,
    pub diagnostics: Vec<Diagnostic>,
    /// Byte offset of the start of the last line that is just `1;` (with optional comment), where
    /// a new assignment belongs.
    pub final_true: Option<usize>,
    /// Statements that make amavisd read other files, in file order.
    pub includes: Vec<Include>,
    /// Assignments to `$inet_socket_port`, in file order.
    pub socket_ports: Vec<PortAssignment>,
    /// Assignments to `@listen_sockets` (amavisd 2.11+, which takes precedence over
    /// `$inet_socket_port`), in file order: their TCP ports.
    pub listen_sockets: Vec<PortAssignment>,
    /// Assignments to `$unix_socketname`, in file order.
    pub socket_names: Vec<SocketAssignment>,
    /// Policy banks bound to a TCP port (`$interface_policy{'10026'} = ...`), in file order.
    pub policy_ports: Vec<statements::PolicyPort>,
    /// Assignments to `$forward_method` (`path` holds the value), in file order.
    pub forward_methods: Vec<SocketAssignment>,
}

impl AmavisConf {
    /// Scans a file. Never fails.
    pub fn parse(text: &[u8]) -> AmavisConf {
        let mut diagnostics = encoding_diagnostics(text);
        let mut scanner = Scanner { text, pos: 0, line: 1, tokens: Vec::new(), brace_depth: 0, heredocs: Vec::new() };
        scanner.run();
        let assignments = find_assignments(&scanner.tokens, text, &mut diagnostics);
        diagnostics.sort_by_key(|d| d.line);
        AmavisConf {
            text: text.to_vec(),
            assignments,
            diagnostics,
            final_true: final_true(&scanner.tokens, text),
            includes: statements::includes(&scanner.tokens, text),
            socket_ports: statements::socket_ports(&scanner.tokens, text),
            listen_sockets: statements::listen_sockets(&scanner.tokens, text),
            socket_names: statements::socket_names(&scanner.tokens, text),
            policy_ports: statements::policy_ports(&scanner.tokens, text),
            forward_methods: statements::forward_methods(&scanner.tokens, text),
        }
    }

    /// The file's bytes: exactly the input of [`AmavisConf::parse`].
    pub fn render(&self) -> &[u8] {
        &self.text
    }

    /// The assignment in force after this file runs: the last one.
    pub fn last(&self) -> Option<&Assignment> {
        self.assignments.last()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `$name`, `@name`, `%name`; the text includes the sigil.
    Variable,
    Identifier,
    Number,
    /// Any quoted or quote-like literal, regex or here-document.
    Literal,
    /// Punctuation: operators, brackets, `;`.
    Punct,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    range: Range<usize>,
    line: usize,
    brace_depth: usize,
}

struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    tokens: Vec<Token>,
    brace_depth: usize,
    /// Here-document terminators waiting for the end of the current line (and whether `<<~`).
    heredocs: Vec<(Vec<u8>, bool)>,
}

impl Scanner<'_> {
    fn peek(&self, ahead: usize) -> u8 {
        self.text.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn at_line_start(&self) -> bool {
        self.pos == 0 || self.text[self.pos - 1] == b'\n'
    }

    fn bump(&mut self) {
        if self.text[self.pos] == b'\n' {
            self.line += 1;
            self.pos += 1;
            if !self.heredocs.is_empty() {
                self.skip_heredoc_bodies();
            }
        } else {
            self.pos += 1;
        }
    }

    fn push(&mut self, kind: Kind, start: usize, line: usize) {
        self.tokens.push(Token { kind, range: start..self.pos, line, brace_depth: self.brace_depth });
    }

    /// Whether the next token is an operand (so `/` starts a regex, not a division).
    fn expects_operand(&self) -> bool {
        match self.tokens.last() {
            None => true,
            Some(token) => match token.kind {
                Kind::Variable | Kind::Number | Kind::Literal => false,
                Kind::Identifier => matches!(
                    &self.text[token.range.clone()],
                    b"split"
                        | b"if"
                        | b"unless"
                        | b"and"
                        | b"or"
                        | b"not"
                        | b"return"
                        | b"grep"
                        | b"map"
                        | b"join"
                        | b"push"
                        | b"unshift"
                        | b"x"
                        | b"lt"
                        | b"gt"
                        | b"le"
                        | b"ge"
                        | b"eq"
                        | b"ne"
                        | b"cmp"
                        | b"while"
                        | b"until"
                ),
                Kind::Punct => !matches!(self.text[token.range.end - 1], b')' | b']' | b'}'),
            },
        }
    }

    fn run(&mut self) {
        while self.pos < self.text.len() {
            let start = self.pos;
            let line = self.line;
            let byte = self.text[self.pos];
            match byte {
                b'\n' | b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => self.bump(),
                b'#' => self.skip_line(),
                b'=' if self.at_line_start() && self.peek(1).is_ascii_alphabetic() => self.skip_pod(),
                b'_' if self.at_line_start() && (self.starts_with(b"__END__") || self.starts_with(b"__DATA__")) => {
                    self.pos = self.text.len();
                }
                b'\'' | b'"' | b'`' => {
                    self.pos += 1;
                    self.skip_delimited(byte);
                    self.push(Kind::Literal, start, line);
                }
                b'$' | b'@' | b'%' | b'&' if self.is_variable_start() => {
                    self.scan_variable();
                    self.push(Kind::Variable, start, line);
                }
                b'/' if self.expects_operand() => {
                    self.pos += 1;
                    self.skip_delimited(b'/');
                    self.skip_modifiers();
                    self.push(Kind::Literal, start, line);
                }
                b'<' if self.peek(1) == b'<' && self.heredoc_ahead() => {
                    self.scan_heredoc_start();
                    self.push(Kind::Literal, start, line);
                }
                b'0'..=b'9' => {
                    while self.pos < self.text.len()
                        && (self.text[self.pos].is_ascii_alphanumeric() || matches!(self.text[self.pos], b'_' | b'.'))
                    {
                        self.pos += 1;
                    }
                    self.push(Kind::Number, start, line);
                }
                b if b.is_ascii_alphabetic() || b == b'_' => {
                    while self.pos < self.text.len()
                        && (self.text[self.pos].is_ascii_alphanumeric()
                            || self.text[self.pos] == b'_'
                            || (self.text[self.pos] == b':' && self.peek(1) == b':'))
                    {
                        self.pos += if self.text[self.pos] == b':' { 2 } else { 1 };
                    }
                    let word = &self.text[start..self.pos];
                    if self.quote_like(word) {
                        self.push(Kind::Literal, start, line);
                    } else {
                        self.push(Kind::Identifier, start, line);
                    }
                }
                b'{' => {
                    self.pos += 1;
                    self.push(Kind::Punct, start, line);
                    self.brace_depth += 1;
                }
                b'}' => {
                    self.brace_depth = self.brace_depth.saturating_sub(1);
                    self.pos += 1;
                    self.push(Kind::Punct, start, line);
                }
                _ => {
                    // Operators: `=` alone must stay distinguishable from `==`, `=~`, `=>`, `+=`.
                    self.pos += 1;
                    while self.pos < self.text.len() && is_operator_continuation(self.text[start], self.text[self.pos])
                    {
                        self.pos += 1;
                    }
                    self.push(Kind::Punct, start, line);
                }
            }
        }
    }

    fn starts_with(&self, prefix: &[u8]) -> bool {
        self.text[self.pos..].starts_with(prefix)
            && self.text.get(self.pos + prefix.len()).is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'_')
    }

    fn skip_line(&mut self) {
        while self.pos < self.text.len() && self.text[self.pos] != b'\n' {
            self.pos += 1;
        }
    }

    /// POD runs from a line starting with `=word` to a line starting with `=cut`, inclusive.
    fn skip_pod(&mut self) {
        loop {
            self.skip_line();
            if self.pos >= self.text.len() {
                return;
            }
            self.bump();
            if self.text[self.pos..].starts_with(b"=cut") {
                self.skip_line();
                return;
            }
        }
    }

    fn is_variable_start(&self) -> bool {
        let next = self.peek(1);
        match self.text[self.pos] {
            b'$' => next != 0 && !matches!(next, b' ' | b'\t' | b'\n' | b'\r'),
            // `@x`, `%x`, `&x` are variables only when a name or `{` follows; else operators.
            _ => next.is_ascii_alphabetic() || next == b'_' || next == b'{' || next == b'$' || next == b':',
        }
    }

    fn scan_variable(&mut self) {
        self.pos += 1;
        while self.peek(0) == b'$' || self.peek(0) == b'#' && self.peek(1) != b'{' && self.text[self.pos - 1] == b'$' {
            // `$$name` (a dereference) and `$#array`.
            self.pos += 1;
        }
        if self.peek(0) == b'{' {
            // `${name}` or `${ expression }`: skip to the matching brace.
            let mut depth = 0usize;
            while self.pos < self.text.len() {
                match self.text[self.pos] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            self.pos += 1;
                            return;
                        }
                    }
                    _ => {}
                }
                self.bump();
            }
            return;
        }
        if self.peek(0).is_ascii_alphabetic() || self.peek(0) == b'_' || self.peek(0) == b':' {
            while self.pos < self.text.len()
                && (self.text[self.pos].is_ascii_alphanumeric()
                    || self.text[self.pos] == b'_'
                    || (self.text[self.pos] == b':' && self.peek(1) == b':'))
            {
                self.pos += if self.text[self.pos] == b':' { 2 } else { 1 };
            }
        } else if self.pos < self.text.len() && self.text[self.pos] != b'\n' {
            // A punctuation variable: `$_`, `$/`, `$0`, `$;` ...
            self.pos += 1;
            while self.peek(0).is_ascii_digit() {
                self.pos += 1;
            }
        }
    }

    /// Skips to the closing delimiter, honouring backslash escapes and nested brackets.
    fn skip_delimited(&mut self, open: u8) {
        let close = match open {
            b'(' => b')',
            b'[' => b']',
            b'{' => b'}',
            b'<' => b'>',
            other => other,
        };
        let mut depth = 1usize;
        while self.pos < self.text.len() {
            let byte = self.text[self.pos];
            if byte == b'\\' && self.pos + 1 < self.text.len() {
                self.pos += 1;
                self.bump();
                continue;
            }
            if byte == close {
                depth -= 1;
                if depth == 0 {
                    self.pos += 1;
                    return;
                }
            } else if byte == open && close != open {
                depth += 1;
            }
            self.bump();
        }
    }

    fn skip_modifiers(&mut self) {
        while self.peek(0).is_ascii_alphabetic() {
            self.pos += 1;
        }
    }

    fn skip_spaces_and_comments(&mut self) {
        loop {
            match self.peek(0) {
                b' ' | b'\t' | b'\r' | b'\n' => self.bump(),
                b'#' => self.skip_line(),
                _ => return,
            }
        }
    }

    /// After a word: if it is a quote-like operator followed by a delimiter, consume its parts.
    fn quote_like(&mut self, word: &[u8]) -> bool {
        let parts = match word {
            b"q" | b"qq" | b"qw" | b"qr" | b"m" => 1,
            b"s" | b"tr" | b"y" => 2,
            _ => return false,
        };
        // A sigil or `->` before the word makes it a name (`$s`, `->m`); `=>` after, a hash key.
        let previous = self.tokens.last().map(|t| &self.text[t.range.clone()]);
        if previous.is_some_and(|p| p == b"->" || p == b"{" && self.peek(0) == b'}') {
            return false;
        }
        let save = (self.pos, self.line);
        self.skip_spaces_and_comments();
        let delimiter = self.peek(0);
        let valid = delimiter != 0
            && !delimiter.is_ascii_alphanumeric()
            && delimiter != b'_'
            && !(delimiter == b'=' && self.peek(1) == b'>')
            && !(delimiter == b',' || delimiter == b';' || delimiter == b')')
            && !(delimiter == b'=' && self.pos != save.0);
        if !valid {
            self.pos = save.0;
            self.line = save.1;
            return false;
        }
        self.pos += 1;
        self.skip_delimited(delimiter);
        if parts == 2 {
            if matches!(delimiter, b'(' | b'[' | b'{' | b'<') {
                self.skip_spaces_and_comments();
                let second = self.peek(0);
                if second != 0 {
                    self.pos += 1;
                    self.skip_delimited(second);
                }
            } else {
                self.skip_delimited(delimiter);
            }
        }
        self.skip_modifiers();
        true
    }

    fn heredoc_ahead(&self) -> bool {
        let after = self.text.get(self.pos + 2..).unwrap_or_default();
        let after = after.strip_prefix(b"~").unwrap_or(after);
        matches!(after.first(), Some(b'"' | b'\''))
            || after.first().is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    }

    fn scan_heredoc_start(&mut self) {
        self.pos += 2;
        let indented = self.peek(0) == b'~';
        if indented {
            self.pos += 1;
        }
        let tag = match self.peek(0) {
            quote @ (b'"' | b'\'') => {
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.text.len() && self.text[self.pos] != quote && self.text[self.pos] != b'\n' {
                    self.pos += 1;
                }
                let tag = self.text[start..self.pos].to_vec();
                if self.peek(0) == quote {
                    self.pos += 1;
                }
                tag
            }
            _ => {
                let start = self.pos;
                while self.pos < self.text.len()
                    && (self.text[self.pos].is_ascii_alphanumeric() || self.text[self.pos] == b'_')
                {
                    self.pos += 1;
                }
                self.text[start..self.pos].to_vec()
            }
        };
        self.heredocs.push((tag, indented));
    }

    /// Called just after a line end: skips the bodies of the here-documents begun on that line.
    fn skip_heredoc_bodies(&mut self) {
        let pending = std::mem::take(&mut self.heredocs);
        for (tag, indented) in pending {
            while self.pos < self.text.len() {
                let end =
                    self.text[self.pos..].iter().position(|&b| b == b'\n').map_or(self.text.len(), |i| self.pos + i);
                let mut line = &self.text[self.pos..end];
                if line.last() == Some(&b'\r') {
                    line = &line[..line.len() - 1];
                }
                if indented {
                    line = &line[line.iter().position(|b| !matches!(b, b' ' | b'\t')).unwrap_or(line.len())..];
                }
                let done = line == tag.as_slice();
                self.pos = (end + 1).min(self.text.len());
                self.line += 1;
                if done {
                    break;
                }
            }
        }
    }
}

fn is_operator_continuation(first: u8, next: u8) -> bool {
    match first {
        b'=' => matches!(next, b'=' | b'~' | b'>'),
        b'!' => matches!(next, b'=' | b'~'),
        b'-' => matches!(next, b'>' | b'=' | b'-'),
        b'+' => matches!(next, b'=' | b'+'),
        b'*' | b'/' | b'.' | b'|' | b'&' | b'^' | b'%' | b'x' => next == b'=' || next == first,
        b'<' | b'>' => matches!(next, b'=' | b'<' | b'>'),
        b':' => next == b':',
        _ => false,
    }
}

fn find_assignments(tokens: &[Token], text: &[u8], diagnostics: &mut Vec<Diagnostic>) -> Vec<Assignment> {
    let mut assignments = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        if token.kind != Kind::Variable {
            continue;
        }
        let name = &text[token.range.clone()];
        let Some(bare) = name.strip_prefix(b"$") else { continue };
        let bare = bare.strip_prefix(b"{").and_then(|b| b.strip_suffix(b"}")).unwrap_or(bare);
        if !NAMES.iter().any(|n| n.as_bytes() == bare) {
            continue;
        }
        let previous = index.checked_sub(1).map(|i| &text[tokens[i].range.clone()]);
        if previous == Some(b"my") {
            diagnostics.push(Diagnostic::new(
                token.line,
                DiagnosticCode::LexicalMaxServers,
                "`my $max_servers` declares a new lexical variable: amavisd does not see it",
            ));
            continue;
        }
        let Some(operator) = tokens.get(index + 1) else { continue };
        let operator_text = &text[operator.range.clone()];
        if operator.kind != Kind::Punct || !(operator_text == b"=" || is_compound_assignment(operator_text)) {
            continue;
        }
        // The expression runs to the `;` at this nesting, or to the end of the enclosing block.
        let mut depth = 0isize;
        let mut end = index + 2;
        let mut terminated = false;
        while end < tokens.len() {
            let t = &text[tokens[end].range.clone()];
            match t {
                b"(" | b"[" | b"{" => depth += 1,
                b")" | b"]" | b"}" if depth == 0 => break,
                b")" | b"]" | b"}" => depth -= 1,
                b";" if depth == 0 => {
                    terminated = true;
                    break;
                }
                _ => {}
            }
            end += 1;
        }
        let expression = &tokens[index + 2..end];
        let statement_end = if terminated {
            tokens[end].range.end
        } else {
            expression.last().map_or(operator.range.end, |t| t.range.end)
        };
        let value = match expression {
            [number] if operator_text == b"=" && number.kind == Kind::Number => decimal(&text[number.range.clone()])
                .map(|value| AssignedValue::Number { value, range: number.range.clone() }),
            [literal] if operator_text == b"=" && literal.kind == Kind::Literal => {
                quoted_digits(&text[literal.range.clone()])
                    .map(|value| AssignedValue::Number { value, range: literal.range.clone() })
            }
            _ => None,
        }
        .unwrap_or_else(|| AssignedValue::Expression {
            text: String::from_utf8_lossy(&text[operator.range.start..statement_end]).trim().to_owned(),
        });
        if !terminated {
            diagnostics.push(Diagnostic::new(
                token.line,
                DiagnosticCode::UnterminatedAssignment,
                "this assignment to $max_servers has no closing `;`",
            ));
        }
        assignments.push(Assignment {
            line: token.line,
            value,
            in_block: token.brace_depth > 0,
            statement: token.range.start..statement_end,
        });
    }
    assignments
}

fn is_compound_assignment(operator: &[u8]) -> bool {
    operator.len() >= 2 && operator.ends_with(b"=") && !matches!(operator, b"==" | b"!=" | b"<=" | b">=")
}

/// A plain decimal literal (Perl allows `_` between digits), no leading zero (that is octal).
fn decimal(text: &[u8]) -> Option<u32> {
    let digits: Vec<u8> = text.iter().copied().filter(|&b| b != b'_').collect();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    if text.starts_with(b"_") || text.ends_with(b"_") {
        return None;
    }
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// `'12'` or `"12"`: a string of decimal digits, which Perl numifies to that number (leading
/// zeros included: `'012'` is 12, not octal). Anything else in quotes is not a plain number.
fn quoted_digits(text: &[u8]) -> Option<u32> {
    let inner = text
        .strip_prefix(b"'")
        .and_then(|t| t.strip_suffix(b"'"))
        .or_else(|| text.strip_prefix(b"\"").and_then(|t| t.strip_suffix(b"\"")))?;
    if inner.is_empty() || !inner.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(inner).ok()?.parse().ok()
}

/// The start of the line of the last top-level `1;` statement.
fn final_true(tokens: &[Token], text: &[u8]) -> Option<usize> {
    let position = (0..tokens.len().saturating_sub(1)).rev().find(|&i| {
        let statement_start = i == 0 || matches!(&text[tokens[i - 1].range.clone()], b";" | b"}");
        statement_start
            && &text[tokens[i].range.clone()] == b"1"
            && &text[tokens[i + 1].range.clone()] == b";"
            && tokens[i].brace_depth == 0
    })?;
    let start = tokens[position].range.start;
    Some(text[..start].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1))
}

#[cfg(test)]
mod tests;
