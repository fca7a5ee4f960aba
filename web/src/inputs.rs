//! From the form to core's `Inputs`: each field parsed by the same functions as the CLI flags,
//! each error kept for its field.

use amavis_tune_core::{ClamAv, Concurrency, Cpus, HeadroomPercent, Inputs, MiB, Overrides, parse_size};

use crate::state::{Form, TextField};

/// The inputs the plan uses, and the fields whose value could not be used (with why). A field in
/// error falls back to its default, so the page keeps working while it is corrected.
pub fn inputs(form: &Form) -> (Inputs, Vec<(TextField, String)>) {
    let mut errors = Vec::new();
    let mut size = |field: TextField| -> Option<MiB> {
        let text = field.get(form).trim();
        if text.is_empty() {
            return None;
        }
        parse_size(text).map_err(|e| errors.push((field, e.to_string()))).ok()
    };
    let ram = size(TextField::Ram);
    let overrides = Overrides {
        per_child: size(TextField::PerChild),
        clamd: size(TextField::Clamd),
        amavisd_parent: size(TextField::AmavisdParent),
        reserve: size(TextField::Reserve),
        headroom_percent: None,
    };
    let parsed = |field: TextField| -> Option<String> {
        let text = field.get(form).trim();
        (!text.is_empty()).then(|| text.to_owned())
    };
    let concurrency_text = parsed(TextField::Concurrency);
    let cpus_text = parsed(TextField::Cpus);
    let headroom_text = parsed(TextField::Headroom);
    let concurrency = concurrency_text
        .and_then(|t| t.parse::<Concurrency>().map_err(|e| errors.push((TextField::Concurrency, e.to_string()))).ok());
    let cpus =
        cpus_text.and_then(|t| t.parse::<Cpus>().map_err(|e| errors.push((TextField::Cpus, e.to_string()))).ok());
    let headroom_percent = headroom_text
        .and_then(|t| t.parse::<HeadroomPercent>().map_err(|e| errors.push((TextField::Headroom, e.to_string()))).ok());
    let service = parsed(TextField::Service).and_then(|t| {
        t.parse::<amavis_tune_core::ServiceName>().map_err(|e| errors.push((TextField::Service, e.to_string()))).ok()
    });
    if form.ram.trim().is_empty() {
        errors.push((TextField::Ram, "enter the server's RAM, e.g. 8G".to_owned()));
    }
    let inputs = Inputs {
        concurrency,
        clamav: if form.clamav { ClamAv::On { concurrent_reload: form.concurrent_reload } } else { ClamAv::Off },
        method: form.method,
        cpus,
        service: service.unwrap_or_default(),
        overrides: Overrides { headroom_percent, ..overrides },
        os_version: form.release.clone(),
        ..Inputs::new(ram.unwrap_or(MiB::from_gib(8)), form.os)
    };
    (inputs, errors)
}
