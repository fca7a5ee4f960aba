//! Properties of every reader: it never panics, and rendering gives back the input byte for byte.

use proptest::prelude::*;

use crate::{AmavisConf, MainCf, MasterCf};

/// Bytes drawn mostly from the characters the syntaxes care about, plus anything at all.
fn syntax_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> = b" \t\r\n#=${}()[]<>;:'\"`/\\-_qsmyrtw0123456789ax\x00\xff\xe9".to_vec();
    prop_oneof![
        prop::collection::vec(prop::sample::select(alphabet), 0..400),
        prop::collection::vec(any::<u8>(), 0..400),
        "(\\$max_servers|smtp-amavis|-o|\\{|\\}|=|;|1;|\n|  |#|'|\"|q\\{|<<EOT|EOT|=pod|=cut|[0-9]{1,3}|-)*"
            .prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn master_cf_round_trips(text in syntax_bytes()) {
        let doc = MasterCf::parse(&text);
        prop_assert_eq!(doc.render(), text.as_slice());
        for entry in &doc.entries {
            for field in &entry.fields {
                prop_assert!(field.range.end <= text.len());
            }
            let _ = entry.options();
        }
    }

    #[test]
    fn main_cf_round_trips(text in syntax_bytes()) {
        let doc = MainCf::parse(&text);
        prop_assert_eq!(doc.render(), text.as_slice());
        for parameter in &doc.parameters {
            prop_assert!(parameter.value_range.start <= parameter.value_range.end && parameter.value_range.end <= text.len());
        }
    }

    #[test]
    fn amavis_conf_round_trips(text in syntax_bytes()) {
        let doc = AmavisConf::parse(&text);
        prop_assert_eq!(doc.render(), text.as_slice());
        for assignment in &doc.assignments {
            prop_assert!(assignment.statement.end <= text.len());
            if let crate::AssignedValue::Number { value, range } = &assignment.value {
                let digits: String = String::from_utf8_lossy(&text[range.clone()]).replace('_', "");
                prop_assert_eq!(digits, value.to_string());
            }
        }
    }
}

/// `after` is `before` with `range` replaced by `new`, give or take spaces right after it.
fn only_field_changed(before: &[u8], after: &[u8], range: std::ops::Range<usize>, new: &[u8]) -> bool {
    let skip_spaces = |bytes: &[u8]| -> Vec<u8> { bytes.iter().copied().skip_while(|&b| b == b' ').collect() };
    after.len() >= range.start + new.len()
        && before[..range.start] == after[..range.start]
        && &after[range.start..range.start + new.len()] == new
        && skip_spaces(&before[range.end..]) == skip_spaces(&after[range.start + new.len()..])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn set_maxproc_changes_only_that_field(text in syntax_bytes(), n in 2u32..100_000) {
        let doc = MasterCf::parse(&text);
        for index in 0..doc.entries.len() {
            let once = crate::set_maxproc(&doc, index, n);
            let reparsed = MasterCf::parse(&once);
            prop_assert_eq!(reparsed.entries.len(), doc.entries.len());
            for (i, (old, new)) in doc.entries.iter().zip(&reparsed.entries).enumerate() {
                let old_fields: Vec<&str> = old.fields.iter().map(|f| f.text.as_str()).collect();
                let mut new_fields: Vec<&str> = new.fields.iter().map(|f| f.text.as_str()).collect();
                if i == index {
                    prop_assert_eq!(new_fields[crate::MAXPROC_FIELD], n.to_string());
                    new_fields[crate::MAXPROC_FIELD] = old_fields[crate::MAXPROC_FIELD];
                }
                prop_assert_eq!(old_fields, new_fields);
            }
            prop_assert!(only_field_changed(&text, &once, doc.entries[index].maxproc().range.clone(), n.to_string().as_bytes()));
            prop_assert_eq!(crate::set_maxproc(&reparsed, index, n), once.clone(), "idempotent");
        }
    }

    #[test]
    fn set_parameter_changes_only_that_parameter(text in syntax_bytes(), n in 2u32..100_000) {
        let doc = MainCf::parse(&text);
        let once = crate::set_parameter(&doc, "smtp-amavis_destination_concurrency_limit", &n.to_string());
        let reparsed = MainCf::parse(&once);
        prop_assert_eq!(reparsed.get("smtp-amavis_destination_concurrency_limit").map(|p| p.value.clone()), Some(n.to_string()));
        let others = |d: &MainCf| -> Vec<(String, String)> {
            d.parameters.iter().filter(|p| p.name != "smtp-amavis_destination_concurrency_limit").map(|p| (p.name.clone(), p.value.clone())).collect()
        };
        prop_assert_eq!(others(&doc), others(&reparsed));
        prop_assert_eq!(crate::set_parameter(&reparsed, "smtp-amavis_destination_concurrency_limit", &n.to_string()), once, "idempotent");
    }

    #[test]
    fn set_max_servers_is_idempotent_and_read_back(text in syntax_bytes(), n in 2u32..100_000) {
        let doc = AmavisConf::parse(&text);
        if let Ok(once) = crate::set_max_servers(&doc, n) {
            let reparsed = AmavisConf::parse(&once);
            // An edit is only made where it takes effect: a top-level plain number.
            let last = reparsed.last();
            prop_assert!(last.is_some_and(|a| a.number() == Some(n)), "{:?}", last);
            prop_assert_eq!(crate::set_max_servers(&reparsed, n), Ok(once), "idempotent");
        }
    }
}
