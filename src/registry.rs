//! The composition root: what each layer contributes to the engine. The
//! rules (Rust and declarative), the model layer's and the profile's fact
//! extractors, and the file passes are listed here and nowhere in
//! `engine/`, so adding a framework or a rule family touches this file, not
//! the engine.

use crate::engine::{Builtins, Engine};
use std::path::PathBuf;

/// Builtin declarative rule files, embedded at build time (see build.rs).
mod declarative {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// Everything builtin, in a fixed order (rule order is report order for
/// ties; extractors run in this order).
pub fn builtins() -> Builtins {
    Builtins {
        code_rules: crate::rules::code_rules(),
        declarative: declarative::RULES.to_vec(),
        extractors: crate::model::EXTRACTORS
            .iter()
            .chain(crate::rules::EXTRACTORS)
            .chain(crate::profile::EXTRACTORS)
            .collect(),
        passes: vec![&crate::model::nest::pass::PASS],
    }
}

/// The engine with the builtin rules and those in `extra_dirs`.
pub fn engine(extra_dirs: &[PathBuf]) -> Result<Engine, String> {
    Engine::load(&builtins(), extra_dirs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::load_decl;
    use crate::engine::rule::{RuleKind, RuleOrigin};
    use crate::model::nest::services::NestFacts;
    use crate::parse::{Lang, Source, ALL_LANGS};

    #[test]
    fn builtin_declarative_rules_validate_and_combine() {
        for (name, text) in declarative::RULES {
            load_decl(text, RuleOrigin::File(PathBuf::from(name)), true).unwrap();
        }
        let engine = engine(&[]).unwrap();
        for lang in ALL_LANGS {
            if let Err(e) = engine.combined_query(lang) {
                panic!("{}: {e}", lang.name());
            }
        }
    }

    /// Builtin declarative rules are all rooted in a node kind: none of
    /// them needs the whole-tree query pass.
    #[test]
    fn builtin_declarative_rules_run_from_their_root_kinds() {
        let engine = engine(&[]).unwrap();
        for lang in ALL_LANGS {
            if let Ok(Some(q)) = engine.combined_query(lang) {
                assert!(q.rest.is_none(), "{}", lang.name());
                assert!(q.anchored.as_ref().is_some_and(|a| a.roots.iter().any(|r| *r)), "{}", lang.name());
            }
        }
    }

    /// `prefilter-words` needles count only as whole words; plain needles
    /// anywhere. A file that no rule lets through is not parsed.
    #[test]
    fn prefilter_words_need_word_boundaries() {
        let engine = engine(&[]).unwrap();
        let only = |id: &str| -> Vec<bool> { engine.rules.iter().map(|r| r.meta.id == id).collect() };
        let run =
            |id: &str, code: &str| engine.analyse("a.py", Lang::Python, &Source::new(code.into()), &only(id), false);
        let data = "PLACES = (('BE-LTA', 'Leval'), ('CA-YPL', 'Pickle Lake'), ('X', 'evaluation'), ('Y', 'Vandill'))\n";
        assert!(run("python/eval", data).prefiltered);
        assert!(run("python/unsafe-deserialization", data).prefiltered);
        let out = run("python/eval", "def f(request):\n    return eval(request.GET['q'])\n");
        assert!(!out.prefiltered);
        assert_eq!(out.findings.len(), 1);
        let out = run("python/eval", "x = 1\nr = exec\n");
        assert!(!out.prefiltered, "a word at the end of the file counts");
        // Substring needles still match inside words: `_pickle`, `cPickle`.
        let out = run("python/unsafe-deserialization", "import cPickle\ndef f(b):\n    return cPickle.loads(b)\n");
        assert!(!out.prefiltered);
        assert!(!run("python/unsafe-deserialization", "import _pickle\n").prefiltered);
        assert!(!run("python/unsafe-deserialization", "from dill import loads\n").prefiltered);
    }

    #[test]
    fn service_methods_get_conditional_findings_with_what_they_depend_on() {
        let src = Source::new(
            r#"import { Injectable } from "@nestjs/common";
import * as fs from "fs";
import * as path from "path";
const AT = new Date().toISOString();
@Injectable()
export class FilesService {
  read(dir: string, name: string) {
    const data = this.load(name);
    return fs.promises.readFile(path.join("/srv", dir, name));
  }
  private load(name: string) {
    return fs.readFileSync("x.json", "utf8");
  }
  tick() {
    return fs.readFileSync("y.json", "utf8");
  }
}
"#
            .to_string(),
        );
        let engine = engine(&[]).unwrap();
        let enabled = vec![true; engine.rules.len()];
        let out = engine.analyse("src/files.service.ts", Lang::TypeScript, &src, &enabled, false);
        // Alone, the file has no request handler: nothing.
        assert!(out.findings.iter().all(|f| !f.rule_id.contains("handler") && f.rule_id != "node/path-traversal"));
        let nest = out.facts.get::<NestFacts>().cloned().expect("nest facts");
        type Got<'a> = Vec<(u32, &'a str, Vec<(&'a str, Option<u32>)>)>;
        let got: Got = nest
            .conditional
            .iter()
            .map(|c| {
                (
                    c.finding.span.start_line,
                    c.finding.rule_id.as_str(),
                    c.when.iter().map(|w| (w.method.as_str(), w.param)).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                // `load` runs when `read` does (or when called itself).
                (12, "node/sync-api-in-handler", vec![("read", None), ("load", None)]),
                (15, "node/sync-api-in-handler", vec![("tick", None)]),
                // Either parameter carrying request data makes the path tainted.
                (9, "node/path-traversal", vec![("read", Some(0)), ("read", Some(1))]),
            ]
        );
    }

    #[test]
    fn code_rule_node_kinds_exist_in_their_languages() {
        let engine = engine(&[]).unwrap();
        for r in &engine.rules {
            if let RuleKind::Code(c) = &r.kind {
                for kind in c.kinds {
                    assert!(
                        r.meta.langs.iter().any(|l| l.ts_language().id_for_node_kind(kind, true) != 0),
                        "{}: node kind '{kind}' exists in none of its languages",
                        r.meta.id
                    );
                }
            }
        }
    }
}
