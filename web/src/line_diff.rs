//! A small line diff for the patched files. amavis-tune's edits replace lines in place or insert
//! a line or two, so "common prefix and suffix, then line by line" gives the exact diff without a
//! general diff library's weight in the WebAssembly (README, "The web calculator").

/// One line of the rendered diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Same(String),
    Removed(String),
    Added(String),
    /// Unchanged lines left out, with how many.
    Skipped(usize),
}

/// Unchanged lines shown around each change.
const CONTEXT: usize = 2;

pub fn diff(old: &str, new: &str) -> Vec<Line> {
    let old: Vec<&str> = old.split_inclusive('\n').collect();
    let new: Vec<&str> = new.split_inclusive('\n').collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..].iter().rev().zip(new[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (old_mid, new_mid) = (&old[prefix..old.len() - suffix], &new[prefix..new.len() - suffix]);
    let mut middle: Vec<Line> = Vec::new();
    if old_mid.len() == new_mid.len() {
        for (a, b) in old_mid.iter().zip(new_mid) {
            if a == b {
                middle.push(Line::Same((*a).to_owned()));
            } else {
                middle.push(Line::Removed((*a).to_owned()));
                middle.push(Line::Added((*b).to_owned()));
            }
        }
    } else {
        middle.extend(old_mid.iter().map(|l| Line::Removed((*l).to_owned())));
        middle.extend(new_mid.iter().map(|l| Line::Added((*l).to_owned())));
    }
    let mut all: Vec<Line> = old[..prefix].iter().map(|l| Line::Same((*l).to_owned())).collect();
    all.extend(middle);
    all.extend(old[old.len() - suffix..].iter().map(|l| Line::Same((*l).to_owned())));
    collapse(all)
}

/// Keeps `CONTEXT` unchanged lines around each change and folds the rest into `Skipped`.
fn collapse(lines: Vec<Line>) -> Vec<Line> {
    let changed: Vec<usize> =
        lines.iter().enumerate().filter(|(_, l)| !matches!(l, Line::Same(_))).map(|(i, _)| i).collect();
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= CONTEXT);
    let mut out = Vec::new();
    let mut skipped = 0;
    for (index, line) in lines.into_iter().enumerate() {
        if matches!(line, Line::Same(_)) && !near(index) {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            out.push(Line::Skipped(skipped));
            skipped = 0;
        }
        out.push(line);
    }
    if skipped > 0 {
        out.push(Line::Skipped(skipped));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(old: &str, new: &str, expect: &str) {
        let rendered: Vec<String> = diff(old, new)
            .into_iter()
            .map(|line| match line {
                Line::Same(l) => format!(" {}", l.trim_end()),
                Line::Removed(l) => format!("-{}", l.trim_end()),
                Line::Added(l) => format!("+{}", l.trim_end()),
                Line::Skipped(n) => format!("~{n}"),
            })
            .collect();
        assert_eq!(rendered.join("|"), expect);
    }

    #[test]
    fn diffs() {
        check("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\n", "~1| b| c|-d|+D| e| f|~1");
        check("1;\n", "$m = 2;\n1;\n", "+$m = 2;| 1;");
        check("a\nx\n1\n2\n3\n4\n5\n6\ny\nb\n", "a\nX\n1\n2\n3\n4\n5\n6\nY\nb\n", " a|-x|+X| 1| 2|~2| 5| 6|-y|+Y| b");
        check("a\n", "a\nb = 1\n", " a|+b = 1");
        check("same\n", "same\n", "~1");
        check("", "x\n", "+x");
    }
}
