//! Build script: nothing to generate yet.
fn main() {}
