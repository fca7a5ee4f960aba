//! The properties of `crate::invariants` on generated input: every reader round-trips, every
//! patch changes only its number and is idempotent, check and apply never panic.

use proptest::prelude::*;

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

fn holds(property: crate::invariants::Property) -> Result<(), TestCaseError> {
    property.map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn master_cf_keeps_its_properties(text in syntax_bytes(), n in 2u32..100_000) {
        holds(crate::invariants::master_cf(&text, n, usize::MAX))?;
    }

    #[test]
    fn main_cf_keeps_its_properties(text in syntax_bytes(), n in 2u32..100_000) {
        holds(crate::invariants::main_cf(&text, n))?;
    }

    #[test]
    fn amavis_conf_keeps_its_properties(text in syntax_bytes(), n in 2u32..100_000) {
        holds(crate::invariants::amavis_conf(&text, n))?;
    }

}

proptest! {
    // Three files and two methods per case, and a fuzz target for more: fewer cases here.
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn check_and_apply_keep_their_properties(master in syntax_bytes(), main in syntax_bytes(), amavis in syntax_bytes(), n in 2u32..200) {
        let joined = [master, main, amavis].join(&0xFE);
        holds(crate::invariants::check_and_apply(&joined, n))?;
    }

    #[test]
    fn permalinks_keep_their_properties(text in "(https://x/\\?|v=|ram=|[0-9]{1,6}|[GMT]|&|os=debian|clamav=off|concurrency=|%[0-9A-F]{2}|.)*") {
        holds(crate::invariants::permalink(text.as_bytes()))?;
    }
}
