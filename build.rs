//! Embeds every rule file under `rules/` into the binary, and derives a build
//! id (a hash of the sources and rules) that keys the result cache.
use std::path::Path;

fn collect(dir: &Path, ext: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let rules_dir = Path::new(&manifest).join("rules");
    let src_dir = Path::new(&manifest).join("src");
    println!("cargo:rerun-if-changed={}", rules_dir.display());
    println!("cargo:rerun-if-changed={}", src_dir.display());
    let mut files = Vec::new();
    collect(&rules_dir, "toml", &mut files);
    files.sort();
    let mut code = String::from("pub const RULES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={f}");
        let rel = f.strip_prefix(&format!("{}/", manifest.replace('\\', "/"))).unwrap_or(f);
        code.push_str(&format!("    ({rel:?}, include_str!({f:?})),\n"));
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    std::fs::write(out, code).unwrap();

    // Results cached by another build of stackfit are never reused: the
    // cache key includes an FNV-1a hash of every source and rule file.
    let mut sources = files;
    collect(&src_dir, "rs", &mut sources);
    sources.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &sources {
        for b in f.bytes().chain(std::fs::read(f).unwrap_or_default()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let version = std::env::var("CARGO_PKG_VERSION").unwrap();
    println!("cargo:rustc-env=STACKFIT_BUILD_ID={version}-{h:016x}");
}
