//! Fingerprints the domain's source for the projections: every figure the projector stores is
//! a sum of derivations by this code, and the projector diffs a subject's new derivation against
//! its old one re-derived by the same code, so stored projections are only valid for the
//! derivation code that built them. The hash changes with any change to `src/`, and the
//! projector rebuilds its projections when it differs from the one stored with them.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=src");
    let mut files = Vec::new();
    collect(Path::new("src"), &mut files);
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in &files {
        file.to_string_lossy().replace('\\', "/").hash(&mut hasher);
        match std::fs::read(file) {
            Ok(bytes) => bytes.hash(&mut hasher),
            Err(e) => panic!("cannot read {}: {e}", file.display()),
        }
    }
    println!(
        "cargo:rustc-env=CASEFLOW_DERIVATION_SOURCE={:016x}",
        hasher.finish()
    );
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}
