//! A deterministic, dependency-free fuzz pass: every fixture source file is
//! mutated many ways (truncated, spliced, bracket-stuffed, lines shuffled or
//! duplicated, bytes flipped) and the whole mutated project is scanned with
//! every rule. The run must finish without a panic or a usage error.

mod common;

use std::path::Path;

/// xorshift64*: reproducible without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(text: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut t = text.to_vec();
    let cut = |rng: &mut Rng, len: usize| {
        let a = rng.below(len + 1);
        let b = a + rng.below(len + 1 - a);
        (a, b)
    };
    match rng.below(7) {
        0 => t.truncate(rng.below(t.len() + 1)),
        1 => {
            let (a, b) = cut(rng, t.len());
            t.drain(a..b);
        }
        2 => {
            let (a, b) = cut(rng, t.len());
            let piece = t[a..b].to_vec();
            let at = rng.below(t.len() + 1);
            t.splice(at..at, piece);
        }
        3 => {
            let at = rng.below(t.len() + 1);
            let open: Vec<u8> = b"([{".iter().cycle().take(rng.below(300)).copied().collect();
            t.splice(at..at, open);
        }
        4 => {
            let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
            for i in (1..lines.len()).rev() {
                let j = rng.below(i + 1);
                lines.swap(i, j);
            }
            t = lines.join(&b'\n');
        }
        5 => {
            for _ in 0..rng.below(20) + 1 {
                if !t.is_empty() {
                    let i = rng.below(t.len());
                    const NOISE: &[u8] = b"\"'`\\\n\t:;,.()[]{}=<>/*#@$";
                    t[i] = NOISE[rng.below(NOISE.len())];
                }
            }
        }
        _ => {
            let n = rng.below(4) + 2;
            t = t.repeat(n);
        }
    }
    t
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("py" | "js" | "ts" | "tsx" | "mjs" | "jsx")) {
            out.push(p);
        }
    }
}

#[test]
fn mutated_fixture_projects_never_crash_the_scan() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    sources(&fixtures, &mut files);
    files.sort();
    assert!(!files.is_empty());
    let rounds: u64 = std::env::var("STACKFIT_MUTATION_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    for round in 0..rounds {
        let project = common::Project::new();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (round + 1));
        for (i, f) in files.iter().enumerate() {
            let rel = f.strip_prefix(&fixtures).unwrap();
            let text = std::fs::read(f).unwrap();
            for k in 0..3 {
                let name = format!("m{i}_{k}_{}", rel.file_name().unwrap().to_string_lossy());
                let dir = rel.parent().unwrap().to_string_lossy().to_string();
                project.write(&format!("{dir}/{name}"), mutate(&text, &mut rng));
            }
        }
        // Settings-like and manifest files keep their names so project rules engage.
        for f in &files {
            let rel = f.strip_prefix(&fixtures).unwrap().to_string_lossy().to_string();
            if rel.contains("settings") || rel.ends_with("manage.py") {
                project.write(&rel, mutate(&std::fs::read(f).unwrap(), &mut rng));
            }
        }
        let run = project.run(&["check", "--no-cache", "--no-default-excludes", "--format", "json", "."]);
        run.assert_survived();
        let _ = run.json();
    }
}
