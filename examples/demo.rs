//! A CNN head (f32 and int8) and a token-pooling step, on the path this CPU gets, checked
//! against every other path available here.
//!
//! Run: `cargo run --release --example demo`

use globalpool::{
    Isa, Layout, Pooler, QuantMean, Rounding, Shape, global_avg_pool, global_max_pool,
};

fn main() -> Result<(), globalpool::Error> {
    let detected = Pooler::detect();
    println!(
        "globalpool: detected path = {} ({detected:?})",
        detected.isa()
    );
    let available: Vec<&str> = Isa::ALL
        .iter()
        .filter(|&&isa| Pooler::with_isa(isa).is_some())
        .map(|isa| isa.name())
        .collect();
    println!("paths this CPU can run: {}", available.join(", "));

    // A MobileNetV2 head: 1 image, 1280 channels, 7x7, channels-last (TFLite layout).
    let shape = Shape::new(1, 1280, 7 * 7);
    let features: Vec<f32> = (0..shape.input_len().unwrap())
        .map(|i| ((i * 7919) % 1013) as f32 / 1013.0)
        .collect();
    let mut avg = vec![0.0f32; 1280];
    let mut max = vec![0.0f32; 1280];
    global_avg_pool(&features, shape, Layout::Nhwc, &mut avg)?;
    global_max_pool(&features, shape, Layout::Nhwc, &mut max)?;
    println!("\nNHWC 1x7x7x1280 head:");
    println!("  avg[0..4] = {:?}", &avg[..4]);
    println!("  max[0..4] = {:?}", &max[..4]);

    // Mean pooling of token embeddings: 4 sequences x 128 tokens x 768 dimensions.
    let tokens = Shape::new(4, 768, 128);
    let embeddings: Vec<f32> = (0..tokens.input_len().unwrap())
        .map(|i| ((i % 97) as f32 - 48.0) / 48.0)
        .collect();
    let mut pooled = vec![0.0f32; 4 * 768];
    global_avg_pool(&embeddings, tokens, Layout::Nhwc, &mut pooled)?;
    println!(
        "\nmean of 4 x 128 tokens x 768 dims: pooled[0..4] = {:?}",
        &pooled[..4]
    );

    // Every path gives the same bits.
    println!("\nbit-identical on every path:");
    for &isa in Isa::ALL {
        let Some(p) = Pooler::with_isa(isa) else {
            continue;
        };
        let mut a = vec![0.0f32; 1280];
        let mut m = vec![0.0f32; 1280];
        p.avg(&features, shape, Layout::Nhwc, &mut a)?;
        p.max(&features, shape, Layout::Nhwc, &mut m)?;
        let same = a.iter().zip(&avg).all(|(x, y)| x.to_bits() == y.to_bits())
            && m.iter().zip(&max).all(|(x, y)| x.to_bits() == y.to_bits());
        println!(
            "  {:9} {}",
            isa.name(),
            if same { "identical" } else { "DIFFERENT" }
        );
        assert!(same, "{isa} differs from the detected path");
    }

    // A quantized int8 head, as a TFLite model runs it: AVERAGE_POOL_2D (`avg`) and MEAN with
    // its own output quantization (`mean_quantized`), bit-exact with the TFLite reference.
    let q8: Vec<i8> = (0..1280 * 49i32)
        .map(|i: i32| (i * 37 % 255 - 128) as i8)
        .collect();
    let mut avg8 = vec![0i8; 1280];
    let mut mean8 = vec![0i8; 1280];
    let quant = QuantMean::new(0.05, -3, 0.02, 5, Rounding::Double)?;
    let p = Pooler::detect();
    p.avg(&q8, shape, Layout::Nhwc, &mut avg8)?;
    p.mean_quantized(&q8, shape, Layout::Nhwc, &quant, &mut mean8)?;
    println!(
        "
int8 NHWC 1x7x7x1280 head:"
    );
    println!("  AVERAGE_POOL_2D[0..4] = {:?}", &avg8[..4]);
    println!("  MEAN (0.05, -3) -> (0.02, 5) [0..4] = {:?}", &mean8[..4]);
    for &isa in Isa::ALL {
        if let Some(other) = Pooler::with_isa(isa) {
            let (mut a, mut m) = (vec![0i8; 1280], vec![0i8; 1280]);
            other.avg(&q8, shape, Layout::Nhwc, &mut a)?;
            other.mean_quantized(&q8, shape, Layout::Nhwc, &quant, &mut m)?;
            assert!(
                a == avg8 && m == mean8,
                "{isa} differs from the detected path"
            );
        }
    }
    println!("  identical on every path");

    // Bad arguments are errors, not panics.
    let err = global_avg_pool(&features[..100], shape, Layout::Nhwc, &mut avg).unwrap_err();
    println!("\nwrong input length -> Err({err})");
    Ok(())
}
