//! One stacked bar of memory, in plain characters that survive a copy into a ticket: each
//! consumer gets a letter, what is left is `.`.

/// Width of the bar, in characters, for the whole of `total`.
const WIDTH: u64 = 60;

/// `[rrrrccccccRRRRRRpkkkkhhh.........]` and its legend, for `(letter, label, MiB)` segments.
pub(crate) fn stacked_bar(segments: &[(char, &str, u64)], total: u64) -> (String, String) {
    let scale = total.max(segments.iter().map(|s| s.2).sum()).max(1);
    let mut bar = String::from("[");
    let mut used = 0u64;
    let mut drawn = 0u64;
    for (letter, _, mib) in segments {
        used += mib;
        // Cumulative rounding, so the bar is exactly as long as the sum says.
        let end = (u128::from(used) * u128::from(WIDTH) / u128::from(scale)) as u64;
        bar.extend(std::iter::repeat_n(*letter, end.saturating_sub(drawn) as usize));
        drawn = drawn.max(end);
    }
    let total_end = (u128::from(total) * u128::from(WIDTH) / u128::from(scale)) as u64;
    bar.extend(std::iter::repeat_n('.', total_end.saturating_sub(drawn) as usize));
    bar.push(']');
    if used > total {
        bar.push_str(" over");
    }
    let legend =
        segments.iter().map(|(letter, label, mib)| format!("{letter} {label} {mib}")).collect::<Vec<_>>().join(", ");
    (bar, format!("{legend}, . free (MiB)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars() {
        let (bar, legend) = stacked_bar(&[('a', "one", 30), ('b', "two", 30)], 120);
        assert_eq!(bar, format!("[{}{}{}]", "a".repeat(15), "b".repeat(15), ".".repeat(30)));
        assert_eq!(legend, "a one 30, b two 30, . free (MiB)");
        let (bar, _) = stacked_bar(&[('a', "one", 100), ('b', "two", 50)], 100);
        assert_eq!(bar, format!("[{}{}] over", "a".repeat(40), "b".repeat(20)));
    }
}
