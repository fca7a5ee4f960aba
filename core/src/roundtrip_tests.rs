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
