//! Every benchmark case of `benches/pool.rs` (f32) and `benches/int8.rs` (int8) as shares of
//! the read-only probe, measured so that the shared machine's noise cancels out. A kernel (the
//! row probe, the naive loops, each path's `avg` and `max`) runs in slices of about a
//! millisecond, each right after a slice of the probe, in rounds over all kernels of a case, and
//! the whole set of cases is measured in several passes (about 15 s each). Each figure is
//! from a kernel's fastest slice over all passes, its share of the probe against the probe's
//! fastest slice. On this machine the speed swings by up to 2x from one second or minute to
//! the next (other guests on the host), and not evenly: in slow phases compute-bound kernels
//! lose more than the probe, so even ratios measured side by side move. Noise only ever adds
//! time, so the fastest slice is the closest to what the hardware does undisturbed, and it
//! repeats from run to run (a median or mean, and criterion's percentages of one kernel after
//! the other for a second or more each, mix the phases). Inputs start on a 64-byte boundary
//! (speed on other alignments: `benches/pool.rs`, whose inputs start wherever the allocator
//! puts them). It prints the README's two tables (Markdown) and takes about a minute.
//!
//! Run: `cargo bench --bench ratios`, or `cargo bench --bench ratios -- 7x7` to filter cases by
//! name. `GP_PASSES` (default 3) sets how often the whole set of cases is measured,
//! `GP_ROUNDS` (default 21) the rounds of each case per pass.

use std::hint::black_box;
use std::time::Instant;

use globalpool::{Element, Isa, Layout, Pooler, Shape};

#[path = "common/probe.rs"]
mod probe;

use probe::{has_row_probe, probe, probe_rows};

#[path = "common/cases.rs"]
mod cases;

use cases::{CASES, f32_value, i8_word, naive_avg_f32, naive_avg_i8, naive_max_f32};

/// Time each kernel runs per slice (nanoseconds), as a whole number of calls.
const SLICE_NS: f64 = 1e6;

/// One kernel of a case: a label and a call.
struct Item<'a> {
    label: String,
    run: Box<dyn FnMut() + 'a>,
}

impl<'a> Item<'a> {
    fn new(label: impl Into<String>, run: impl FnMut() + 'a) -> Self {
        Item {
            label: label.into(),
            run: Box::new(run),
        }
    }
}

/// The probe over `bytes`, and the row probe over rows of `row` bytes where it runs.
fn probes(bytes: &[u8], row: Option<usize>) -> Vec<Item<'_>> {
    let mut items = vec![Item::new("probe", move || {
        black_box(probe(black_box(bytes)));
    })];
    if let Some(row) = row.filter(|&r| has_row_probe(r)) {
        items.push(Item::new("row probe", move || {
            black_box(probe_rows(black_box(bytes), row));
        }));
    }
    items
}

/// Each path's `avg` and `max` over `x`, labelled `avg/<path>` and `max/<path>`.
fn path_items<'a, T: Element + Default>(
    paths: &'a [(Pooler, String)],
    x: &'a [T],
    shape: Shape,
    layout: Layout,
) -> Vec<Item<'a>> {
    let outs = shape.output_len().unwrap();
    let mut items = Vec::new();
    for (p, tag) in paths {
        let mut o = vec![T::default(); outs];
        items.push(Item::new(format!("avg/{tag}"), move || {
            p.avg(black_box(x), shape, layout, &mut o).unwrap()
        }));
        let mut o = vec![T::default(); outs];
        items.push(Item::new(format!("max/{tag}"), move || {
            p.max(black_box(x), shape, layout, &mut o).unwrap()
        }));
    }
    items
}

/// The median of `v` (not empty).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `items` (the first one the probe) in `rounds` rounds, in each round every other item
/// right after a slice of the probe; returns each item's nanoseconds per call in each of its
/// slices.
fn measure(items: &mut [Item<'_>], rounds: usize) -> Vec<Vec<f64>> {
    // Calls per slice, from one timed call after a warm-up call.
    let calls: Vec<u32> = items
        .iter_mut()
        .map(|it| {
            (it.run)();
            let t = Instant::now();
            (it.run)();
            let ns = t.elapsed().as_nanos().max(1) as f64;
            (SLICE_NS / ns).clamp(1.0, 1e6) as u32
        })
        .collect();
    // Nanoseconds per call of one slice of `item`.
    let slice = |item: &mut Item<'_>, k: u32| {
        let start = Instant::now();
        for _ in 0..k {
            (item.run)();
        }
        start.elapsed().as_nanos() as f64 / f64::from(k)
    };
    let n = items.len();
    let mut ns = vec![Vec::with_capacity(rounds * n); n];
    for _ in 0..rounds {
        for i in 1..n {
            let p = slice(&mut items[0], calls[0]);
            let t = slice(&mut items[i], calls[i]);
            ns[0].push(p);
            ns[i].push(t);
        }
    }
    ns
}

/// One case and layout of a table: its input bytes, and per label every slice's nanoseconds
/// per call over all passes.
struct Group {
    name: String,
    bytes: usize,
    slices: Vec<(String, Vec<f64>)>,
}

/// One table: the groups in the order of their first pass.
struct Table {
    groups: Vec<Group>,
}

impl Table {
    fn new() -> Self {
        Table { groups: Vec::new() }
    }

    /// Adds one pass's slices of group `name`.
    fn add(&mut self, name: &str, bytes: usize, labels: Vec<String>, ns: Vec<Vec<f64>>) {
        let at = match self.groups.iter().position(|g| g.name == name) {
            Some(i) => i,
            None => {
                self.groups.push(Group {
                    name: name.to_string(),
                    bytes,
                    slices: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[at];
        for (l, t) in labels.into_iter().zip(ns) {
            match g.slices.iter_mut().find(|(m, _)| *m == l) {
                Some((_, all)) => all.extend(t),
                None => g.slices.push((l, t)),
            }
        }
    }

    /// Prints the table: a column per label (in the order they first appear; missing ones,
    /// the row probe of NHWC and `naive/max` of int8, leave their cells empty).
    fn print(&mut self, title: &str) {
        let mut header: Vec<String> = Vec::new();
        for g in &self.groups {
            for (l, _) in &g.slices {
                if !header.contains(l) {
                    header.push(l.clone());
                }
            }
        }
        println!("\n{title}\n");
        println!("| case | {} |", header.join(" | "));
        println!("|---|{}", "---|".repeat(header.len()));
        for g in &mut self.groups {
            let best = |t: &[f64]| t.iter().copied().fold(f64::MAX, f64::min);
            let probe = g.slices.first().map_or(f64::MAX, |(_, t)| best(t));
            let gbs = |t: f64| g.bytes as f64 / t;
            let mut cells = vec![String::new(); header.len()];
            for (l, t) in &mut g.slices {
                let i = header.iter().position(|h| h == l).unwrap_or(0);
                let b = best(t);
                cells[i] = if i == 0 {
                    format!("{:.1} ({:.0})", gbs(b), gbs(median(t)))
                } else {
                    format!("{:.1} ({:.0}%)", gbs(b), 100.0 * probe / b)
                };
            }
            println!("| {} | {} |", g.name, cells.join(" | "));
        }
    }
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let rounds = std::env::var("GP_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21usize)
        .max(1);
    let passes = std::env::var("GP_PASSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3usize)
        .max(1);
    // The detected path first, then the others from the widest down, `Portable` last.
    let detected = Pooler::detect().isa();
    let mut paths: Vec<Pooler> = Isa::ALL
        .iter()
        .rev()
        .filter_map(|&i| Pooler::with_isa(i))
        .collect();
    paths.sort_by_key(|p| (p.isa() != detected, p.isa() == Isa::Portable));
    let paths: Vec<(Pooler, String)> = paths
        .into_iter()
        .map(|p| {
            let star = if p.isa() == detected { "*" } else { "" };
            (p, format!("{}{star}", p.isa().name()))
        })
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f));
    let (mut f32_table, mut i8_table) = (Table::new(), Table::new());
    let started = Instant::now();
    for pass in 0..passes {
        for (name, batch, channels, spatial) in CASES {
            let shape = Shape::new(batch, channels, spatial);
            let n = shape.input_len().unwrap();
            let outs = shape.output_len().unwrap();
            for layout in [Layout::Nchw, Layout::Nhwc] {
                let group = format!("{name}/{layout:?}");
                if !wanted(&group) {
                    continue;
                }
                // f32, the data of `benches/pool.rs`, from a 64-byte boundary.
                let mut buf = vec![0.0f32; n + 16];
                let at = buf.as_ptr().align_offset(64);
                let x = &mut buf[at..at + n];
                for (i, v) in x.iter_mut().enumerate() {
                    *v = f32_value(i);
                }
                let x: &[f32] = x;
                let nchw = layout == Layout::Nchw;
                let mut items = probes(bytemuck::cast_slice(x), nchw.then_some(spatial * 4));
                let mut o = vec![0.0f32; outs];
                items.push(Item::new("naive/avg", move || {
                    naive_avg_f32(black_box(x), shape, layout, &mut o)
                }));
                let mut o = vec![0.0f32; outs];
                items.push(Item::new("naive/max", move || {
                    naive_max_f32(black_box(x), shape, layout, &mut o)
                }));
                items.extend(path_items(&paths, x, shape, layout));
                let labels: Vec<String> = items.iter().map(|i| i.label.clone()).collect();
                let ns = measure(&mut items, rounds);
                f32_table.add(&group, n * 4, labels, ns);
                drop(items);

                // int8, the data of `benches/int8.rs`.
                let mut buf = vec![0u32; n / 4 + 16];
                let at = buf.as_ptr().align_offset(64);
                let words = &mut buf[at..at + n / 4];
                for (i, w) in words.iter_mut().enumerate() {
                    *w = i8_word(i);
                }
                let x: &[i8] = bytemuck::cast_slice(words);
                let mut items = probes(bytemuck::cast_slice(words), nchw.then_some(spatial));
                let (mut o, mut acc) = (vec![0i8; outs], vec![0i32; channels]);
                items.push(Item::new("naive/avg", move || {
                    naive_avg_i8(black_box(x), shape, layout, &mut o, &mut acc)
                }));
                items.extend(path_items(&paths, x, shape, layout));
                let labels: Vec<String> = items.iter().map(|i| i.label.clone()).collect();
                let ns = measure(&mut items, rounds);
                i8_table.add(&group, n, labels, ns);
                eprintln!(
                    "pass {}: {group} ({:.0} s)",
                    pass + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let note = format!(
        "{passes} passes of {rounds} rounds. GB/s (10^9 bytes/s) in a kernel's fastest slice, in \
         parentheses as a share of the probe's fastest (the probe: in parentheses its median \
         GB/s over all its slices, for the noise); `*`: the detected path."
    );
    f32_table.print(&format!("f32, {note}"));
    i8_table.print(&format!("int8, {note}"));
}
