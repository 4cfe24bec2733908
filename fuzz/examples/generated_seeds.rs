//! Writes the seeds a target makes at run time (see `generated_seeds`) into a folder, for
//! `make fuzz`: `cargo run --release --example generated_seeds -- <target> <dir>`.

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(target), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: generated_seeds <target> <dir>");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("generated_seeds: cannot create {}: {e}", dir.display());
        std::process::exit(1);
    }
    for (i, seed) in asc_connector_fuzz::generated_seeds(&target)
        .iter()
        .enumerate()
    {
        let path = dir.join(format!("generated-{i:02}"));
        if let Err(e) = std::fs::write(&path, seed) {
            eprintln!("generated_seeds: cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
    }
}
