//! Draws one of bench/run's charts as SVG: one line per series, from a TSV of
//! `series<TAB>x<TAB>y` rows (x on a logarithmic axis: table sizes and connection counts
//! both span orders of magnitude).
//!
//! Usage: bench-chart DATA.tsv CHART.svg TITLE X-LABEL Y-LABEL [LEGEND]
//! LEGEND: where the legend goes, `upper-left` (default), `middle-right` or `lower-right`.

use std::collections::BTreeMap;
use std::error::Error;

use plotters::prelude::*;

/// A named line of (x, y) points.
type Series = (String, Vec<(f64, f64)>);

/// Series in the order they first appear, each with its points in x order.
fn read_series(path: &str) -> Result<Vec<Series>, Box<dyn Error>> {
    let text = std::fs::read_to_string(path)?;
    let mut order = Vec::new();
    let mut points: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [series, x, y] = fields[..] else {
            return Err(format!("not series<TAB>x<TAB>y: {line}").into());
        };
        if !points.contains_key(series) {
            order.push(series.to_owned());
        }
        points
            .entry(series.to_owned())
            .or_default()
            .push((x.parse()?, y.parse()?));
    }
    Ok(order
        .into_iter()
        .map(|series| {
            let mut line = points.remove(&series).unwrap_or_default();
            line.sort_by(|a, b| a.0.total_cmp(&b.0));
            (series, line)
        })
        .collect())
}

/// 1k, 250k, 1M: axis labels people read at a glance.
fn short(value: f64) -> String {
    if value >= 1_000_000.0 {
        format!("{}M", value / 1_000_000.0)
    } else if value >= 1_000.0 {
        format!("{}k", value / 1_000.0)
    } else {
        format!("{value}")
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (data, output, title, x_label, y_label, legend) = match &args[..] {
        [data, output, title, x_label, y_label] => (data, output, title, x_label, y_label, None),
        [data, output, title, x_label, y_label, legend] => {
            (data, output, title, x_label, y_label, Some(legend.as_str()))
        }
        _ => {
            return Err(
                "usage: bench-chart DATA.tsv CHART.svg TITLE X-LABEL Y-LABEL [LEGEND]".into(),
            )
        }
    };
    let legend = match legend {
        None | Some("upper-left") => SeriesLabelPosition::UpperLeft,
        Some("middle-right") => SeriesLabelPosition::MiddleRight,
        Some("lower-right") => SeriesLabelPosition::LowerRight,
        Some(other) => return Err(format!("unknown legend position {other}").into()),
    };
    let series = read_series(data)?;
    let all = || series.iter().flat_map(|(_, points)| points.iter());
    let (x_min, x_max) = all().fold((f64::MAX, f64::MIN), |(lo, hi), &(x, _)| {
        (lo.min(x), hi.max(x))
    });
    // Every value 0 (no false timeout at any size) is a flat line, drawn on an axis to 1.
    let y_max = match all().fold(0.0f64, |hi, &(_, y)| hi.max(y)) * 1.1 {
        highest if highest > 0.0 => highest,
        _ => 1.0,
    };
    if series.is_empty() || x_min <= 0.0 {
        return Err(format!("{data}: nothing to draw").into());
    }

    let root = SVGBackend::new(output, (960, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d((x_min..x_max * 1.05).log_scale(), 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|x| short(*x))
        .y_label_formatter(&|y| {
            if y_max > 100.0 {
                short(*y)
            } else {
                format!("{y:.1}")
            }
        })
        .draw()?;
    for (index, (name, points)) in series.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], color.stroke_width(2)));
        chart.draw_series(
            points
                .iter()
                .map(|&point| Circle::new(point, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
