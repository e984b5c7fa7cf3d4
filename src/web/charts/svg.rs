//! A chart as plain SVG primitives (rectangles, lines, text) laid out here,
//! so the template only prints them and escapes every text. No script and
//! no style attribute (the CSP allows neither): colours are presentation
//! attributes, and a second series is hatched as well as coloured, so the
//! two differ without colour too.

use super::scale::Scale;

/// Width of every chart's view box; the page scales it to the column.
const WIDTH: f64 = 720.0;
/// Text and the zero line (17:1 on white).
pub const INK: &str = "#1b1b1b";
/// Grid lines: decorative, the tick labels carry the values.
const GRID: &str = "#b1b4b6";
const FONT_SIZE: &str = "13";

/// One series of bars: its name (for the legend), colour and whether it is
/// hatched.
pub struct Series {
    pub name: String,
    pub colour: &'static str,
    pub hatched: bool,
}

/// A legend swatch: a square in a series' colour (or hatch).
pub struct Swatch {
    pub x: String,
    pub y: String,
    pub size: String,
    pub fill: String,
    pub stroke: &'static str,
}

/// One bar: its box, the value it stands for (for the reader of the
/// markup, as `data-value`) and its own text (shown on hover).
pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub value: i64,
    pub title: String,
}

/// The bars of one series, drawn in one group that carries their fill and
/// stroke once (a page holds about eighty bars).
pub struct SeriesBars {
    pub fill: String,
    pub stroke: &'static str,
    pub bars: Vec<Bar>,
}

/// Straight lines of one stroke as one path (`M x y H x` or `V y`).
pub struct Path {
    pub d: String,
    pub stroke: &'static str,
}

pub struct Label {
    pub x: String,
    pub y: String,
    pub text: String,
}

/// Labels of one anchor, in one group that carries it once (`start`, the
/// default, is not written).
pub struct Labels {
    pub anchor: &'static str,
    pub labels: Vec<Label>,
}

/// A hatch: white stripes across the series colour.
pub struct Pattern {
    pub id: String,
    pub colour: &'static str,
}

pub struct Drawing {
    pub width: String,
    pub height: String,
    pub font_size: &'static str,
    pub ink: &'static str,
    pub patterns: Vec<Pattern>,
    pub paths: Vec<Path>,
    pub swatches: Vec<Swatch>,
    pub series: Vec<SeriesBars>,
    pub labels: Vec<Labels>,
}

/// A coordinate to one decimal, without a trailing `.0` (the page carries
/// several hundred of them).
fn n(v: f64) -> String {
    let text = format!("{v:.1}");
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_owned(),
        None => text,
    }
}

impl Drawing {
    fn new(height: f64) -> Self {
        Drawing {
            width: n(WIDTH),
            height: n(height),
            font_size: FONT_SIZE,
            ink: INK,
            patterns: vec![],
            paths: vec![],
            swatches: vec![],
            series: vec![],
            labels: vec![],
        }
    }

    /// A straight line, added to the path of its stroke.
    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &'static str) {
        let (sx1, sy1, sx2, sy2) = (n(x1), n(y1), n(x2), n(y2));
        let segment = if sy1 == sy2 {
            format!("M{sx1} {sy1}H{sx2}")
        } else if sx1 == sx2 {
            format!("M{sx1} {sy1}V{sy2}")
        } else {
            format!("M{sx1} {sy1}L{sx2} {sy2}")
        };
        match self.paths.iter_mut().find(|p| p.stroke == stroke) {
            Some(path) => path.d.push_str(&segment),
            None => self.paths.push(Path { d: segment, stroke }),
        }
    }

    fn label(&mut self, (x, y): (f64, f64), anchor: &'static str, text: String) {
        let label = Label {
            x: n(x),
            y: n(y),
            text,
        };
        match self.labels.iter_mut().find(|l| l.anchor == anchor) {
            Some(group) => group.labels.push(label),
            None => self.labels.push(Labels {
                anchor,
                labels: vec![label],
            }),
        }
    }

    /// The fill of `series`, with its hatch defined once.
    fn fill(&mut self, id: &str, index: usize, series: &Series) -> String {
        if !series.hatched {
            return series.colour.to_owned();
        }
        let pattern = format!("{id}-hatch-{index}");
        if !self.patterns.iter().any(|p| p.id == pattern) {
            self.patterns.push(Pattern {
                id: pattern.clone(),
                colour: series.colour,
            });
        }
        format!("url(#{pattern})")
    }

    fn swatch(&mut self, (x, y): (f64, f64), fill: String, stroke: &'static str) {
        self.swatches.push(Swatch {
            x: n(x),
            y: n(y),
            size: n(16.0),
            fill,
            stroke,
        });
    }

    /// An empty group of bars for one series.
    fn series_bars(&mut self, fill: String, stroke: &'static str) {
        self.series.push(SeriesBars {
            fill,
            stroke,
            bars: vec![],
        });
    }

    /// A bar of series `s` (its group made by [`Drawing::series_bars`]).
    fn bar(&mut self, s: usize, (x, y, w, h): (f64, f64, f64, f64), value: i64, title: String) {
        if let Some(group) = self.series.get_mut(s) {
            group.bars.push(Bar {
                x: n(x),
                y: n(y),
                w: n(w),
                h: n(h),
                value,
                title,
            });
        }
    }
}

/// Bars grouped by category (months) along x, one per series, values up
/// the y axis; a legend above. `values[s][i]` is series `s` in category
/// `i`, `titles` the same shape.
pub fn columns(
    id: &str,
    categories: &[String],
    series: &[Series],
    values: &[Vec<i64>],
    titles: &[Vec<String>],
    scale: &Scale,
    ticks: &[String],
) -> Drawing {
    let (left, right, top, bottom) = (92.0, 12.0, 44.0, 40.0);
    let plot_h = 240.0;
    let plot_w = WIDTH - left - right;
    let mut d = Drawing::new(top + plot_h + bottom);
    // Legend entries 260 units apart, closer when more series share the row.
    let step = (plot_w / series.len().max(1) as f64).min(260.0);
    for (s, one) in series.iter().enumerate() {
        let x = left + step * s as f64;
        let fill = d.fill(id, s, one);
        d.swatch((x, 10.0), fill.clone(), one.colour);
        d.series_bars(fill, one.colour);
        d.label((x + 22.0, 23.0), "start", one.name.clone());
    }
    for (tick, text) in scale.ticks().into_iter().zip(ticks) {
        let y = top + plot_h * (1.0 - scale.fraction(tick));
        let stroke = if tick == 0 { INK } else { GRID };
        d.line((left, y), (WIDTH - right, y), stroke);
        d.label((left - 6.0, y + 4.0), "end", text.clone());
    }
    let count = categories.len().max(1);
    let band = plot_w / count as f64;
    // Bars no wider than 64 units, each group centred in its month.
    let width = (band * 0.8 / series.len().max(1) as f64).min(64.0);
    let group = width * series.len() as f64;
    let every = count.div_ceil(12);
    for (i, category) in categories.iter().enumerate() {
        let start = left + band * i as f64 + (band - group) / 2.0;
        for s in 0..series.len() {
            let value = values.get(s).and_then(|v| v.get(i)).copied().unwrap_or(0);
            let h = plot_h * scale.fraction(value);
            let title = titles
                .get(s)
                .and_then(|t| t.get(i))
                .cloned()
                .unwrap_or_default();
            d.bar(
                s,
                (start + width * s as f64, top + plot_h - h, width, h),
                value,
                title,
            );
        }
        if i % every == 0 {
            let x = left + band * (i as f64 + 0.5);
            d.label((x, top + plot_h + 20.0), "middle", category.clone());
        }
    }
    d
}

/// One horizontal bar per category, its name written before it and its
/// value after it (direct labels: nothing to match by colour), a value
/// axis below.
pub fn rows(
    categories: &[String],
    values: &[i64],
    value_labels: &[String],
    titles: &[String],
    colour: &'static str,
    scale: &Scale,
    ticks: &[String],
) -> Drawing {
    let (left, right, top, row) = (270.0, 130.0, 8.0, 32.0);
    let plot_w = WIDTH - left - right;
    let plot_h = row * categories.len() as f64;
    let mut d = Drawing::new(top + plot_h + 30.0);
    d.series_bars(colour.to_owned(), colour);
    for (tick, text) in scale.ticks().into_iter().zip(ticks) {
        let x = left + plot_w * scale.fraction(tick);
        let stroke = if tick == 0 { INK } else { GRID };
        d.line((x, top), (x, top + plot_h), stroke);
        d.label((x, top + plot_h + 20.0), "middle", text.clone());
    }
    for (i, category) in categories.iter().enumerate() {
        let value = values.get(i).copied().unwrap_or(0);
        let y = top + row * i as f64;
        let w = plot_w * scale.fraction(value);
        let title = titles.get(i).cloned().unwrap_or_default();
        d.bar(0, (left, y + 6.0, w, row - 12.0), value, title);
        d.label((left - 8.0, y + row / 2.0 + 4.0), "end", category.clone());
        let text = value_labels.get(i).cloned().unwrap_or_default();
        d.label((left + w + 6.0, y + row / 2.0 + 4.0), "start", text);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> Vec<Series> {
        vec![
            Series {
                name: "Sales".into(),
                colour: "#0b3d6e",
                hatched: false,
            },
            Series {
                name: "Purchases".into(),
                colour: "#b35c00",
                hatched: true,
            },
        ]
    }

    fn months() -> Vec<String> {
        vec!["2025-03".into(), "2025-04".into()]
    }

    /// The two series over the two months, untitled.
    fn two_months(id: &str, values: &[Vec<i64>], scale: &Scale, ticks: &[String]) -> Drawing {
        columns(id, &months(), &two(), values, &[], scale, ticks)
    }

    /// Every bar, series by series.
    fn bars(d: &Drawing) -> Vec<&Bar> {
        d.series.iter().flat_map(|s| &s.bars).collect()
    }

    fn texts(d: &Drawing) -> Vec<&str> {
        d.labels
            .iter()
            .flat_map(|g| &g.labels)
            .map(|l| l.text.as_str())
            .collect()
    }

    #[test]
    fn coordinates_drop_a_trailing_zero_decimal() {
        assert_eq!(n(44.0), "44");
        assert_eq!(n(20.54), "20.5");
        assert_eq!(n(0.04), "0");
        assert_eq!(n(-1.25), "-1.2");
    }

    #[test]
    fn zero_data_draws_flat_bars_on_the_axis() {
        let scale = Scale::fit(0);
        let ticks = ["0".to_owned(), "1".to_owned()];
        let d = two_months("c", &[vec![0, 0], vec![0, 0]], &scale, &ticks);
        let drawn = bars(&d);
        assert_eq!(drawn.len(), 4);
        assert!(drawn.iter().all(|r| r.h == "0" && r.y == "284"));
        assert!(texts(&d).contains(&"2025-04"));
        let d = rows(&months(), &[0, 0], &[], &[], INK, &scale, &ticks);
        assert!(bars(&d).iter().all(|r| r.w == "0"));
        let all = format!(
            "{:?}",
            bars(&d)
                .iter()
                .map(|r| (&r.x, &r.y, &r.w, &r.h))
                .collect::<Vec<_>>()
        );
        assert!(!all.contains("NaN") && !all.contains("inf"), "{all}");
    }

    #[test]
    fn one_huge_value_fills_the_plot_and_small_ones_stay_on_the_axis() {
        let scale = Scale::fit(i64::MAX);
        let d = two_months("c", &[vec![i64::MAX, 1], vec![0, 0]], &scale, &[]);
        let drawn = bars(&d);
        assert_eq!((drawn[0].y.as_str(), drawn[0].h.as_str()), ("44", "240"));
        assert_eq!(drawn[1].h, "0");
        let d = rows(&months(), &[i64::MAX, 5], &[], &[], INK, &scale, &[]);
        assert_eq!(bars(&d)[0].w, "320");
    }

    #[test]
    fn a_negative_value_never_draws_below_the_axis() {
        let scale = Scale::fit(100);
        let d = two_months("c", &[vec![-40, 100], vec![50, 0]], &scale, &[]);
        let drawn = bars(&d);
        assert_eq!(drawn[0].h, "0");
        assert_eq!(drawn[0].y, "284");
        assert_eq!(drawn[2].h, "120");
        assert_eq!(drawn[1].h, "240");
    }

    #[test]
    fn the_second_series_is_hatched_once_per_chart() {
        let d = two_months("chart-x", &[vec![1, 2], vec![3, 4]], &Scale::fit(4), &[]);
        assert_eq!(d.patterns.len(), 1);
        assert_eq!(d.patterns[0].id, "chart-x-hatch-1");
        assert_eq!(d.series[1].fill, "url(#chart-x-hatch-1)");
        assert_eq!(d.series[0].fill, "#0b3d6e");
        assert_eq!(d.swatches[1].fill, "url(#chart-x-hatch-1)");
        assert_eq!(d.swatches[1].stroke, "#b35c00");
    }

    #[test]
    fn lines_of_one_stroke_share_a_path_and_labels_of_one_anchor_a_group() {
        let ticks = ["0".to_owned(), "2".to_owned(), "4".to_owned()];
        let d = two_months("c", &[vec![1, 2], vec![3, 4]], &Scale::fit(4), &ticks);
        // The zero line in ink, the grid lines in one grey path.
        assert_eq!(d.paths.len(), 2);
        assert_eq!(d.paths[0].stroke, INK);
        assert_eq!(d.paths[0].d, "M92 284H708");
        assert_eq!(d.paths[1].stroke, GRID);
        assert_eq!(d.paths[1].d.matches('M').count(), ticks.len() - 1);
        let d = rows(&months(), &[1, 2], &[], &[], INK, &Scale::fit(2), &ticks);
        assert!(d.paths.iter().all(|p| p.d.contains('V')));
        // One group per anchor: start (names' values), end (names), middle
        // (ticks).
        let mut anchors: Vec<&str> = d.labels.iter().map(|g| g.anchor).collect();
        anchors.sort_unstable();
        assert_eq!(anchors, ["end", "middle", "start"]);
    }
}
