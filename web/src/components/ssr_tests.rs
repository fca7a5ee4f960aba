//! The pure parts of the view, rendered natively with yew's server-side renderer.

use std::rc::Rc;

use amavis_tune_core::{Concurrency, Inputs, MiB, Os, plan};
use yew::LocalServerRenderer;

use super::budget_chart::{BudgetChart, Props as BudgetProps};
use super::snippet_card::{Props as SnippetProps, SnippetCard};
use super::summary::{Props as SummaryProps, Summary};

fn sample(ram_gib: u64, n: u32) -> Rc<amavis_tune_core::Plan> {
    Rc::new(plan(&Inputs { concurrency: Concurrency::new(n).ok(), ..Inputs::new(MiB::from_gib(ram_gib), Os::Debian) }))
}

#[test]
fn summary_shows_n_safe_max_and_warnings() {
    let html = futures::executor::block_on(
        LocalServerRenderer::<Summary>::with_props(SummaryProps { plan: sample(6, 40) }).render(),
    );
    assert!(html.contains(r#"<span id="result-n" class="n">40</span>"#), "{html}");
    // 6144 - 614 headroom - 1024 - 3072 - 184 = 1250 -> 17 children of 70 MiB.
    assert!(html.contains("Safe maximum for this RAM: 17"), "{html}");
    assert!(html.contains(r#"data-code="exceeds-safe-max""#), "{html}");
    let calm = futures::executor::block_on(
        LocalServerRenderer::<Summary>::with_props(SummaryProps { plan: sample(8, 4) }).render(),
    );
    assert!(!calm.contains("warnings"), "{calm}");
}

#[test]
fn snippet_text_is_escaped_not_interpreted() {
    let mut snippet = sample(8, 4).snippets[0].clone();
    snippet.content = "<script>alert(1)</script><img src=x onerror=alert(2)>\n".to_owned();
    let html = futures::executor::block_on(
        LocalServerRenderer::<SnippetCard>::with_props(SnippetProps { snippet, paste: true }).render(),
    );
    assert!(!html.contains("<script>") && !html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
}

/// Where a platform writes the files, a snippet shows what it will write and offers nothing to
/// paste: no copy button, no one-line command.
#[test]
fn a_platform_s_snippet_is_not_offered_to_paste() {
    let snippet =
        sample(8, 4).snippets.iter().find(|s| s.command.is_some()).cloned().expect("a snippet with a command");
    let render = |paste: bool| {
        futures::executor::block_on(
            LocalServerRenderer::<SnippetCard>::with_props(SnippetProps { snippet: snippet.clone(), paste }).render(),
        )
    };
    let offered = render(true);
    assert!(offered.contains(r#"class="copy""#) && offered.contains("Or run: "), "{offered}");
    let shown = render(false);
    assert!(!shown.contains(r#"class="copy""#) && !shown.contains("Or run: "), "{shown}");
    assert!(shown.contains(&snippet.content), "{shown}");
}

#[test]
fn budget_chart_has_one_segment_per_consumer_and_the_safe_max() {
    let plan = sample(8, 10);
    let html = futures::executor::block_on(
        LocalServerRenderer::<BudgetChart>::with_props(BudgetProps { plan: plan.clone() }).render(),
    );
    for consumer in &plan.budget.consumers {
        assert!(html.contains(&format!("{}: {} MiB", consumer.label, consumer.mib.0)), "{}: {html}", consumer.id);
    }
    assert!(html.contains("safe max 44"), "{html}");
    // 1024 + 1536 + 1536 + 184 + 44 x 70 = 7360 MiB of the 8192 the bar spans.
    assert!(html.contains(r#"x1="898""#), "{html}");
    // 1024 + 3072 + 184 + 10 x 70 + 819 headroom.
    assert!(html.contains("Memory budget: 5799 of 8192 MiB"), "{html}");
}
