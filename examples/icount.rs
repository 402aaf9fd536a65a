//! A fixed workload for counting executed instructions (used by `benches/arm_icount.py`, which
//! runs it under `qemu-aarch64` with execution logging): fills an input with a cheap
//! deterministic pattern, then runs one pooling op `calls` times on the chosen path.
//!
//! Run: `cargo run --release --example icount -- <isa> <nchw|nhwc> <avg|max|min|sum> <batch>
//! <channels> <spatial> <calls>`, e.g. `... -- neon nchw sum 1 64 12544 3`. `<isa>` is a path
//! name as printed by `Isa::name` (`scalar`, `portable`, `neon`, ...).

use std::hint::black_box;
use std::process::ExitCode;

use globalpool::{Isa, Layout, Pooler, Shape};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("icount: {msg}");
            eprintln!(
                "usage: icount <isa> <nchw|nhwc> <avg|max|min|sum> <batch> <channels> <spatial> <calls>"
            );
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let [isa, layout, op, batch, channels, spatial, calls] = args else {
        return Err(format!("expected 7 arguments, got {}", args.len()));
    };
    let isa = *Isa::ALL
        .iter()
        .find(|i| i.name() == isa)
        .ok_or_else(|| format!("unknown isa {isa:?}"))?;
    let pooler = Pooler::with_isa(isa).ok_or_else(|| format!("{isa} is not available here"))?;
    let layout = match layout.as_str() {
        "nchw" => Layout::Nchw,
        "nhwc" => Layout::Nhwc,
        _ => return Err(format!("unknown layout {layout:?}")),
    };
    let num = |s: &str| s.parse::<usize>().map_err(|e| format!("{s:?}: {e}"));
    let shape = Shape::new(num(batch)?, num(channels)?, num(spatial)?);
    let calls = num(calls)?;
    let len = shape.input_len().ok_or("input size overflows")?;
    let outputs = shape.output_len().ok_or("output size overflows")?;

    // Small integers over 251 (no NaN, no infinity): cheap to generate, exact to sum.
    let input: Vec<f32> = (0..len).map(|i| (i % 251) as f32 - 125.0).collect();
    let mut output = vec![0.0f32; outputs];
    for _ in 0..calls {
        let (i, o) = (black_box(&input[..]), black_box(&mut output[..]));
        let r = match op.as_str() {
            "avg" => pooler.avg(i, shape, layout, o),
            "max" => pooler.max(i, shape, layout, o),
            "min" => pooler.min(i, shape, layout, o),
            "sum" => pooler.sum(i, shape, layout, o),
            _ => return Err(format!("unknown op {op:?}")),
        };
        r.map_err(|e| e.to_string())?;
        black_box(&mut output);
    }
    println!("{}", output.iter().map(|&x| f64::from(x)).sum::<f64>());
    Ok(())
}
