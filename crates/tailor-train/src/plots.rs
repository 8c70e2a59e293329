//! SVG plots for training reports: loss and validation curves per epoch, and Recall@K per
//! method. SVG because plotters' SVG backend writes labels as `<text>` elements that the viewer
//! renders, so the training machine needs no system fonts and plotters no font-loading features.
//! Plotting never panics on odd input: non-finite values leave gaps, empty input gives empty axes.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::TrainError;

const TRAINING_SIZE: (u32, u32) = (1200, 480);
const RECALL_SIZE: (u32, u32) = (800, 560);
const FONT: &str = "sans-serif";
const MARKER_RADIUS: i32 = 3;

/// What plotters' SVG backend fails with: it writes into a string, so in practice a layout error.
type DrawError = DrawingAreaErrorKind<std::io::Error>;
type DrawResult = Result<(), DrawError>;

/// What one training epoch reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub train_bce: f64,
    pub train_info_nce: f64,
    pub valid_recall_at_10: f64,
    pub valid_mrr: f64,
    pub seconds: f64,
}

/// Two panels side by side: training losses (total, BCE, InfoNCE) per epoch, and validation
/// Recall@10 / MRR per epoch.
///
/// Epochs are drawn in `epoch` order whatever their order in the slice. Up to 50 epochs every
/// point gets a marker (beyond that only isolated ones), so a single epoch still shows; a
/// non-finite value leaves a gap. Zero epochs give a valid SVG with the title and empty,
/// labelled axes rather than an error, so a report can always link the file.
pub fn plot_training_curves(
    path: &Path,
    title: &str,
    epochs: &[EpochRecord],
) -> Result<(), TrainError> {
    let mut sorted: Vec<&EpochRecord> = epochs.iter().collect();
    sorted.sort_by_key(|record| record.epoch);
    // i64 epochs so that a lone epoch 0 can sit mid-axis.
    let epoch_of = |r: &EpochRecord| i64::try_from(r.epoch).unwrap_or(i64::MAX);
    let column = |value: fn(&EpochRecord) -> f64| -> Vec<(i64, f64)> {
        sorted.iter().map(|r| (epoch_of(r), value(r))).collect()
    };
    let losses = [
        ("total", column(|r| r.train_loss), BLACK),
        ("BCE", column(|r| r.train_bce), BLUE),
        ("InfoNCE", column(|r| r.train_info_nce), RED),
    ];
    let metrics = [
        ("Recall@10", column(|r| r.valid_recall_at_10), BLUE),
        ("MRR", column(|r| r.valid_mrr), RED),
    ];
    // Markers show where the measurements are, until there are so many they hide the lines.
    let mark_all = sorted.len() <= 50;
    let (epoch_range, epoch_ticks) = epoch_axis(sorted.iter().map(|r| epoch_of(r)));

    render(path, TRAINING_SIZE, |root| {
        let root = root.titled(title, (FONT, 24))?;
        let panels = root.split_evenly((1, 2));
        let panels = [
            (
                &panels[0],
                "training loss",
                "loss",
                value_axis(losses.iter().flat_map(|s| &s.1).map(|p| p.1), true),
                &losses[..],
                SeriesLabelPosition::UpperRight,
            ),
            (
                &panels[1],
                "validation",
                "Recall@10 / MRR",
                metric_axis(metrics.iter().flat_map(|s| &s.1).map(|p| p.1)),
                &metrics[..],
                SeriesLabelPosition::LowerRight,
            ),
        ];
        for (area, caption, y_desc, y_range, series, legend_at) in panels {
            let mut chart = ChartBuilder::on(area)
                .caption(caption, (FONT, 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(
                    epoch_range.clone().with_key_points(epoch_ticks.clone()),
                    y_range,
                )?;
            chart
                .configure_mesh()
                .x_desc("epoch")
                .y_desc(y_desc)
                .label_style((FONT, 13))
                .draw()?;
            for (name, points, color) in series {
                draw_named_line(&mut chart, name, points, color.stroke_width(2), mark_all)?;
            }
            draw_legend(&mut chart, legend_at)?;
        }
        Ok(())
    })
}

/// Recall@K against K, one line per method, with a legend. The x axis is logarithmic in K, from
/// 1 to the largest K in `series`, so Recall@1, @5, @10 and @50 all get room.
///
/// Points with K = 0 (not on a log axis) or a non-finite recall leave a gap. An empty `series`,
/// or series without points, give a valid SVG with the title and empty axes over K = 1..=50.
pub fn plot_recall_at_k(
    path: &Path,
    title: &str,
    series: &[(String, Vec<(usize, f64)>)],
) -> Result<(), TrainError> {
    // f64 K so the log axis can be used; K = 0 becomes NaN, which the drawing skips.
    let series: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(name, points)| {
            let points = points
                .iter()
                .map(|&(k, recall)| (if k == 0 { f64::NAN } else { k as f64 }, recall))
                .collect();
            (name.as_str(), points)
        })
        .collect();
    let finite = || {
        series
            .iter()
            .flat_map(|s| &s.1)
            .filter(|p| p.0.is_finite() && p.1.is_finite())
    };
    let max_k = finite().map(|p| p.0).fold(f64::NAN, f64::max);
    let max_k = if max_k.is_nan() { 50.0 } else { max_k.max(2.0) };
    let y_range = metric_axis(finite().map(|p| p.1));

    render(path, RECALL_SIZE, |root| {
        let root = root.titled(title, (FONT, 24))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (1.0..max_k)
                    .log_scale()
                    .with_key_points(log_ticks(max_k, &[1.0, 2.0, 5.0]))
                    .with_light_points(log_ticks(max_k, &[2.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0])),
                y_range,
            )?;
        chart
            .configure_mesh()
            .x_desc("K (log scale)")
            .y_desc("Recall@K")
            .x_label_formatter(&|k| format!("{k:.0}"))
            .label_style((FONT, 13))
            .draw()?;
        for (index, (name, points)) in series.iter().enumerate() {
            let style = Palette99::pick(index).stroke_width(2);
            draw_named_line(&mut chart, name, points, style, false)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    })
}

/// Horizontal bars, one per (name, value), in the given order, each labelled with its value:
/// e.g. NDCG@10 per model. Non-finite values draw no bar but keep their row.
pub fn plot_bars(
    path: &Path,
    title: &str,
    value_label: &str,
    bars: &[(String, f64)],
) -> Result<(), TrainError> {
    let rows = bars.len().max(1);
    let height = 120 + 44 * rows as u32;
    let x_range = value_axis(bars.iter().map(|b| b.1).chain([0.0]), true);
    let x_max = x_range.end;
    render(path, (1000, height), |root| {
        let root = root.titled(title, (FONT, 24))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(330)
            .build_cartesian_2d(x_range, (0..rows).into_segmented())?;
        let names: Vec<&str> = bars.iter().map(|b| b.0.as_str()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(value_label)
            .y_label_formatter(&|segment| match segment {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    names.get(*i).copied().unwrap_or_default().to_string()
                }
                SegmentValue::Last => String::new(),
            })
            .label_style((FONT, 13))
            .draw()?;
        for (index, (_, value)) in bars.iter().enumerate().filter(|(_, b)| b.1.is_finite()) {
            let color = Palette99::pick(index).filled();
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(index)),
                    (*value, SegmentValue::Exact(index + 1)),
                ],
                color,
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("{value:.4}"),
                (value + x_max * 0.01, SegmentValue::CenterOf(index)),
                (FONT, 13),
            )))?;
        }
        Ok(())
    })
}

/// One line per (name, points) of a per-epoch value, e.g. each model's validation NDCG@10.
pub fn plot_epoch_series(
    path: &Path,
    title: &str,
    value_label: &str,
    series: &[(String, Vec<(i64, f64)>)],
) -> Result<(), TrainError> {
    let mut epochs: Vec<i64> = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .collect();
    epochs.sort_unstable();
    let (x_range, ticks) = epoch_axis(epochs.into_iter());
    let y_range = value_axis(series.iter().flat_map(|s| s.1.iter().map(|p| p.1)), true);
    render(path, RECALL_SIZE, |root| {
        let root = root.titled(title, (FONT, 24))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(x_range.with_key_points(ticks), y_range)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(value_label)
            .label_style((FONT, 13))
            .draw()?;
        for (index, (name, points)) in series.iter().enumerate() {
            let style = Palette99::pick(index).stroke_width(2);
            draw_named_line(&mut chart, name, points, style, points.len() <= 50)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    })
}

/// Draws into an in-memory SVG and writes it only once complete, so a failed plot leaves no
/// truncated file and file errors name the path.
fn render(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult,
) -> Result<(), TrainError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present())
            .map_err(|source| TrainError::Plot {
                path: path.to_path_buf(),
                source,
            })?;
    }
    std::fs::write(path, svg).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// One legend entry plus the line, broken at non-finite points. Isolated points get a marker
/// (they would draw nothing as a line); `mark_all` marks every point.
fn draw_named_line<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    name: &str,
    points: &[(X::ValueType, f64)],
    style: ShapeStyle,
    mark_all: bool,
) -> DrawResult
where
    X: Ranged,
    X::ValueType: Copy + IsFinite + 'static,
    Y: Ranged<ValueType = f64>,
{
    // An empty series carries the legend entry, so it exists even when every value is NaN.
    chart
        .draw_series(std::iter::empty::<PathElement<(X::ValueType, f64)>>())?
        .label(name)
        .legend(move |(x, y)| PathElement::new(vec![(x - 10, y), (x + 10, y)], style));
    for run in finite_runs(points) {
        if mark_all || run.len() == 1 {
            chart.draw_series(
                run.iter()
                    .map(|&p| Circle::new(p, MARKER_RADIUS, style.filled())),
            )?;
        }
        if run.len() > 1 {
            chart.draw_series(LineSeries::new(run, style))?;
        }
    }
    Ok(())
}

fn draw_legend<'a, 'b: 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 13))
        .draw()?;
    Ok(())
}

/// Coordinates that can be NaN; integer epochs never are.
trait IsFinite {
    fn is_finite_coord(&self) -> bool;
}

impl IsFinite for i64 {
    fn is_finite_coord(&self) -> bool {
        true
    }
}

impl IsFinite for f64 {
    fn is_finite_coord(&self) -> bool {
        self.is_finite()
    }
}

/// Maximal runs of consecutive points whose coordinates are all finite.
fn finite_runs<X: Copy + IsFinite>(points: &[(X, f64)]) -> Vec<Vec<(X, f64)>> {
    points
        .split(|(x, y)| !(x.is_finite_coord() && y.is_finite()))
        .filter(|run| !run.is_empty())
        .map(<[_]>::to_vec)
        .collect()
}

/// Ticks at `mantissas` times each power of ten up to `max`: plotters' own log ticks crowd
/// (and repeat "10") on short ranges.
fn log_ticks(max: f64, mantissas: &[f64]) -> Vec<f64> {
    let mut ticks = Vec::new();
    let mut decade = 1.0;
    while decade <= max {
        ticks.extend(
            mantissas
                .iter()
                .map(|m| m * decade)
                .filter(|&tick| tick <= max),
        );
        decade *= 10.0;
    }
    ticks
}

/// Epoch axis covering the (sorted) epochs, and its ticks: every epoch when there are few,
/// else about ten evenly spaced. One epoch is centred on the axis; none give 0..1.
fn epoch_axis(epochs: impl Iterator<Item = i64>) -> (Range<i64>, Vec<i64>) {
    let mut epochs: Vec<i64> = epochs.collect();
    epochs.dedup();
    let (Some(&lo), Some(&hi)) = (epochs.first(), epochs.last()) else {
        return (0..1, vec![0, 1]);
    };
    if lo == hi {
        return (lo.saturating_sub(1)..hi.saturating_add(1), epochs);
    }
    if epochs.len() <= 12 {
        return (lo..hi, epochs);
    }
    let step = (hi.saturating_sub(lo) / 10).max(1);
    let ticks = std::iter::successors(Some(lo), |tick| tick.checked_add(step))
        .take_while(|&tick| tick <= hi)
        .collect();
    (lo..hi, ticks)
}

/// Axis over the finite values with 5% headroom, from 0 when `from_zero` and all values are
/// positive; never empty and never infinite, whatever the values.
fn value_axis(values: impl Iterator<Item = f64>, from_zero: bool) -> Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return 0.0..1.0;
    }
    let lo = if from_zero { lo.min(0.0) } else { lo };
    // Halving keeps the span and the headroom finite even for values near f64::MAX.
    let (lo, hi) = (lo.max(f64::MIN / 4.0), hi.min(f64::MAX / 4.0));
    let span = hi - lo;
    if span <= 0.0 {
        let pad = (lo.abs() * 0.1).max(1.0);
        return lo - pad..hi + pad;
    }
    lo..hi + span * 0.05
}

/// Axis for metrics in [0, 1]: exactly 0..1, so panels and runs compare at a glance, widened
/// (with headroom) only if a value falls outside.
fn metric_axis(values: impl Iterator<Item = f64>) -> Range<f64> {
    let values: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    if values.iter().all(|v| (0.0..=1.0).contains(v)) {
        return 0.0..1.0;
    }
    value_axis(values.into_iter().chain([0.0, 1.0]), true)
}
