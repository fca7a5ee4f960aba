use std::rc::Rc;

use amavis_tune_core::Plan;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub(crate) struct Props {
    pub(crate) plan: Rc<Plan>,
}

/// The memory budget as one stacked SVG bar (each consumer, then what is free), with the safe
/// maximum marked, and the figures as a table for screen readers and copying, each row with the
/// bar's colour as its legend.
#[component]
pub(crate) fn BudgetChart(props: &Props) -> Html {
    let budget = &props.plan.budget;
    // The bar spans the larger of RAM and what is required, so an overflow is visible.
    // Integer coordinates on a 1000-wide axis: positions are rounded cumulative sums, so the
    // segments tile exactly (and the page needs no float formatting code).
    let scale = u128::from(budget.total.0.max(budget.required.0).max(1));
    let width = |mib: u64| ((u128::from(mib) * 1000 + scale / 2) / scale) as u64;
    let mut cumulative = 0;
    let segments: Vec<Html> = budget
        .consumers
        .iter()
        .enumerate()
        .map(|(index, consumer)| {
            let x = width(cumulative);
            cumulative += consumer.mib.0;
            let w = width(cumulative) - x;
            html! {
                <rect x={x.to_string()} y="0" width={w.to_string()} height="40" class={format!("c{index} {}", consumer.id.as_str())}>
                    <title>{ format!("{}: {} MiB", consumer.label, consumer.mib.0) }</title>
                </rect>
            }
        })
        .collect();
    let plan = &props.plan;
    let per_child = plan.assumptions.per_child.0;
    let children = u64::from(plan.concurrency.get());
    let safe_end = width(budget.safe_max_mark.0);
    let ram_end = width(budget.total.0);
    html! {
        <section class="card budget" aria-label="Memory budget">
            <h2>{ format!("Memory budget: {} of {} MiB", budget.required.0, budget.total.0) }</h2>
            <svg viewBox="0 0 1000 60" role="img" aria-label={format!("{} MiB required of {} MiB", budget.required.0, budget.total.0)} preserveAspectRatio="none">
                <rect x="0" y="0" width={ram_end.to_string()} height="40" class="ram" />
                { for segments }
                <line x1={safe_end.to_string()} x2={safe_end.to_string()} y1="0" y2="52" class="safe-max" />
                <text x={safe_end.min(990).to_string()} y="59" class="safe-max-label" text-anchor="end">{ format!("safe max {}", plan.safe_max) }</text>
            </svg>
            <table>
                <tbody>
                    { for budget.consumers.iter().enumerate().map(|(index, c)| html! {
                        <tr><th scope="row"><span class={format!("swatch c{index}")} aria-hidden="true"></span>{ c.label.clone() }</th><td>{ format!("{} MiB", c.mib.0) }</td><td>{ if c.origin == amavis_tune_core::Origin::Override { "override" } else { "default" } }</td></tr>
                    }) }
                    <tr class={classes!(if budget.fits { "free" } else { "short" })}>
                        <th scope="row"><span class="swatch free" aria-hidden="true"></span>{ if budget.fits { "free" } else { "short by" } }</th>
                        <td>{ format!("{} MiB", budget.free_mib.unsigned_abs()) }</td><td></td>
                    </tr>
                </tbody>
            </table>
            <p class="note">{ format!("{children} children x {per_child} MiB. ") }{ budget.clamd_note().unwrap_or_else(|| "No ClamAV.".to_owned()) }</p>
        </section>
    }
}
