//! Small SVG charts, rendered with the page (no JavaScript, no charting bundle): bars per day
//! and a funnel of horizontal bars. Colours come from the stylesheet (the page's policy allows
//! no inline styles); each bar's `<title>` is its tooltip, and the figure's caption and the
//! table beside it carry the numbers for screen readers.

use chrono::NaiveDate;
use leptos::prelude::*;

/// How a chart writes its values.
pub type Formatter = std::sync::Arc<dyn Fn(i64) -> String + Send + Sync>;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
/// Room for the value axis on the left and the day labels below.
const LEFT: f64 = 84.0;
const BOTTOM: f64 = 22.0;

/// Bars of one figure per day, the largest value labelled on the axis.
#[component]
pub fn DailyBars(
    title: String,
    values: Vec<(NaiveDate, i64)>,
    /// How a value is written ("€12.50", "3").
    format: Formatter,
    #[prop(default = "chart-bar")] class: &'static str,
) -> impl IntoView {
    let max = values.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let plot = WIDTH - LEFT;
    let step = plot / values.len().max(1) as f64;
    let bar = (step * 0.8).max(1.0);
    let total: i64 = values.iter().map(|(_, v)| *v).sum();
    let first = values.first().map(|(day, _)| day.format("%d %b").to_string()).unwrap_or_default();
    let last = values.last().map(|(day, _)| day.format("%d %b").to_string()).unwrap_or_default();
    let caption = format!("{title}: {} in all, at most {} a day", format(total), format(max));
    let bars = values
        .iter()
        .enumerate()
        .map(|(n, (day, value))| {
            let height = (HEIGHT - BOTTOM) * (*value as f64) / max as f64;
            let tip = format!("{}: {}", day.format("%Y-%m-%d"), format(*value));
            view! {
                <rect class=class x=format!("{:.1}", LEFT + n as f64 * step) y=format!("{:.1}", HEIGHT - BOTTOM - height)
                    width=format!("{bar:.1}") height=format!("{height:.1}")>
                    <title>{tip}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=caption.clone()>
                <line class="chart-axis" x1=LEFT y1=0 x2=LEFT y2=HEIGHT - BOTTOM/>
                <line class="chart-axis" x1=LEFT y1=HEIGHT - BOTTOM x2=WIDTH y2=HEIGHT - BOTTOM/>
                <text class="chart-label" x=LEFT - 6.0 y=12 text-anchor="end">{format(max)}</text>
                <text class="chart-label" x=LEFT - 6.0 y=HEIGHT - BOTTOM text-anchor="end">"0"</text>
                <text class="chart-label" x=LEFT y=HEIGHT - 6.0>{first}</text>
                <text class="chart-label" x=WIDTH y=HEIGHT - 6.0 text-anchor="end">{last}</text>
                {bars}
            </svg>
            <figcaption>{caption}</figcaption>
        </figure>
    }
}

/// Horizontal bars, each step as long as its count, with its share of the step before.
#[component]
pub fn FunnelBars(steps: Vec<(String, i64)>) -> impl IntoView {
    let max = steps.iter().map(|(_, count)| *count).max().unwrap_or(0).max(1);
    let row = 34.0;
    let height = row * steps.len() as f64;
    let label_width = 130.0;
    let bars = steps
        .iter()
        .enumerate()
        .map(|(n, (step, count))| {
            let width = (WIDTH - label_width - 90.0) * (*count as f64) / max as f64;
            let share = match n.checked_sub(1).map(|before| steps[before].1) {
                Some(before) if before > 0 => {
                    format!("{count} ({:.1} %)", 100.0 * *count as f64 / before as f64)
                }
                _ => count.to_string(),
            };
            let y = n as f64 * row;
            view! {
                <text class="chart-label" x=label_width - 8.0 y=y + 20.0 text-anchor="end">{step.clone()}</text>
                <rect class="chart-bar" x=label_width y=y + 6.0 width=format!("{width:.1}") height=row - 12.0>
                    <title>{format!("{step}: {share}")}</title>
                </rect>
                <text class="chart-label" x=label_width + width + 6.0 y=y + 20.0>{share}</text>
            }
        })
        .collect_view();
    let caption: Vec<String> =
        steps.iter().map(|(step, count)| format!("{step} {count}")).collect();
    view! {
        <figure class="chart" data-testid="funnel">
            <svg viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-label=caption.join(", ")>{bars}</svg>
        </figure>
    }
}
