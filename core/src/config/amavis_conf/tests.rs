use super::*;

/// One entry per assignment: `line:value` (`line:expr(...)`, `line:block:value`), then diagnostics.
#[track_caller]
fn check(text: &str, expect: &str) {
    let doc = AmavisConf::parse(text.as_bytes());
    assert_eq!(doc.render(), text.as_bytes());
    let mut out: Vec<String> = doc
        .assignments
        .iter()
        .map(|a| {
            let value = match &a.value {
                AssignedValue::Number { value, range } => {
                    let literal = text[range.clone()].replace('_', "");
                    assert_eq!(literal.trim_matches(['\'', '"']).parse::<u32>().ok(), Some(*value), "{literal}");
                    value.to_string()
                }
                AssignedValue::Expression { text } => format!("expr({text})"),
            };
            format!("{}:{}{}", a.line, if a.in_block { "block:" } else { "" }, value)
        })
        .collect();
    out.extend(doc.diagnostics.iter().map(|d| format!("!{}", d.line)));
    assert_eq!(out.join(" "), expect);
}

#[test]
fn plain_assignments() {
    check("$max_servers = 4;\n1;\n", "1:4");
    check("$max_servers=4;", "1:4");
    check("$max_servers   =   12  ;  # twelve\n", "1:12");
    check("$max_servers = 4; $max_servers = 6;\n", "1:4 1:6");
    check("$max_servers\n  = 8\n  ;\n", "1:8");
    check("$max_servers = 1_0;", "1:10");
    check("$main::max_servers = 3;", "1:3");
    check("$Amavis::Conf::max_servers = 3;", "1:3");
    check("${max_servers} = 3;", "1:3");
    check("our $max_servers = 5;", "1:5");
}

/// A quoted string of digits is the number Perl reads (`'12' + 0` is 12; leading zeros are not
/// octal in a string); anything else quoted is an expression.
#[test]
fn quoted_digits_are_numbers() {
    check("$max_servers = '12';\n", "1:12");
    check("$max_servers = \"7\";\n", "1:7");
    check("$max_servers = '012';\n", "1:12");
    check("$max_servers = '12abc';\n", "1:expr(= '12abc';)");
    check("$max_servers = '1_000';\n", "1:expr(= '1_000';)");
    check("$max_servers = '';\n", "1:expr(= '';)");
    check("$max_servers = q(12);\n", "1:expr(= q(12);)");
}

#[test]
fn mentions_that_are_not_assignments() {
    check("# $max_servers = 4;\n", "");
    check("$x = '$max_servers = 4;';\n", "");
    check("$x = \"$max_servers = 4;\";\n", "");
    check("$x = q{ $max_servers = 4; };\n", "");
    check("$x = qq( $max_servers = 4; );\n", "");
    check("@x = qw/ $max_servers = 4 /;\n", "");
    check("$max_requests = $max_servers * 2;\n", "");
    check("if ($max_servers == 4) { }\n", "");
    check("$max_servers_extra = 9;\n", "");
    check("=pod\n\n$max_servers = 4;\n\n=cut\n$max_servers = 5;\n", "6:5");
    check("1;\n__END__\n$max_servers = 4;\n", "");
    check("print <<EOT;\n$max_servers = 4;\nEOT\n$max_servers = 7;\n", "4:7");
    check("print <<~'EOT';\n  $max_servers = 4;\n  EOT\n$max_servers = 7;\n", "4:7");
    check("$re = qr'^$max_servers = 4;'i;\n$max_servers = 3;\n", "2:3");
    check("$x =~ s{a}{$max_servers = 4;}g;\n$max_servers = 3;\n", "2:3");
    check("$x =~ s/a/$max_servers = 4;/g;\n", "");
    check("$x =~ tr/a-z/A-Z/; $max_servers = 2;\n", "1:2");
    check("@a = split /;/, $s; $max_servers = 2;\n", "1:2");
    check("$half = $total / 2; $max_servers = 2; $y = 4 / 2;\n", "1:2");
    check("my $max_servers = 4;\n", "!1");
}

#[test]
fn values_that_cannot_be_read() {
    check("$max_servers = $x * 2;\n", "1:expr(= $x * 2;)");
    check("$max_servers = 4 if $busy;\n", "1:expr(= 4 if $busy;)");
    check("$max_servers += 2;\n", "1:expr(+= 2;)");
    check("$max_servers = 010;\n", "1:expr(= 010;)");
    check("$max_servers = 4.5;\n", "1:expr(= 4.5;)");
    check("$max_servers = 99999999999;\n", "1:expr(= 99999999999;)");
    check("if ($big) { $max_servers = 8; }\n", "1:block:8");
    check("$max_servers = 4", "1:4 !1");
}

#[test]
fn final_true_line() {
    let text = "use strict;\n$x = 1;\n\n1;  # ensure a defined return\n";
    let doc = AmavisConf::parse(text.as_bytes());
    assert_eq!(doc.final_true, Some(text.find("1;  #").unwrap()));
    assert_eq!(AmavisConf::parse(b"$x = 1;\n").final_true, None);
}

#[test]
fn hostile_input_does_not_panic() {
    for text in [
        "$",
        "$$",
        "${",
        "q",
        "s{",
        "<<",
        "<<EOT",
        "'",
        "\"\\",
        "/",
        "=x",
        "$max_servers =",
        "$max_servers",
        "${max_servers",
    ] {
        let doc = AmavisConf::parse(text.as_bytes());
        assert_eq!(doc.render(), text.as_bytes());
    }
}
