//! The parser layer: language detection, decoded source text with a line
//! index, and tree-sitter parsing with one reusable parser per thread.

pub mod flat;
pub mod syntax;
pub use syntax::Syntax;

use crate::finding::Span;
use std::cell::RefCell;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};
use tree_sitter::{Language, Parser, Tree};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Python,
    JavaScript,
    TypeScript,
    Tsx,
}

pub const ALL_LANGS: [Lang; 4] = [Lang::Python, Lang::JavaScript, Lang::TypeScript, Lang::Tsx];

impl Lang {
    /// Detects the language from the file name. `.d.ts` declaration files hold
    /// no executable code and are not analysed.
    pub fn from_path(path: &Path) -> Option<Lang> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
            return None;
        }
        let ext = name.rsplit_once('.')?.1;
        Some(match ext {
            "py" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            _ => return None,
        })
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
        }
    }

    pub fn is_js_family(self) -> bool {
        !matches!(self, Lang::Python)
    }

    pub fn ts_language(self) -> Language {
        match self {
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        }
    }

    /// Languages named in rule files: `python`, `javascript`, `typescript`,
    /// `tsx`, or `js` for the whole JavaScript family.
    pub fn parse_list(name: &str) -> Option<Vec<Lang>> {
        Some(match name {
            "python" => vec![Lang::Python],
            "javascript" => vec![Lang::JavaScript],
            "typescript" => vec![Lang::TypeScript, Lang::Tsx],
            "tsx" => vec![Lang::Tsx],
            "js" => vec![Lang::JavaScript, Lang::TypeScript, Lang::Tsx],
            _ => return None,
        })
    }
}

/// A decoded source file with a line index for position conversions.
pub struct Source {
    pub text: String,
    line_starts: Vec<u32>,
}

impl Source {
    pub fn new(mut text: String) -> Source {
        if text.starts_with('\u{feff}') {
            // A byte-order mark is invisible: drop it so columns count from
            // the first visible character.
            text.drain(..3);
        }
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        Source { text, line_starts }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of 1-based line `line`, without its line terminator.
    pub fn line(&self, line: u32) -> &str {
        let idx = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(idx) else {
            return "";
        };
        let end = self.line_starts.get(idx + 1).map(|&e| e as usize).unwrap_or(self.text.len());
        self.text[start as usize..end].trim_end_matches(['\n', '\r'])
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, byte: usize) -> u32 {
        match self.line_starts.binary_search(&(byte as u32)) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }

    pub fn line_start(&self, line: u32) -> usize {
        self.line_starts.get((line as usize).saturating_sub(1)).copied().unwrap_or(self.text.len() as u32) as usize
    }

    /// 1-based column, in Unicode scalar values, of a byte offset.
    pub fn column_of(&self, byte: usize) -> u32 {
        let byte = floor_char_boundary(&self.text, byte.min(self.text.len()));
        let line = self.line_of(byte);
        let start = self.line_start(line);
        self.text[start..byte].chars().count() as u32 + 1
    }

    pub fn span(&self, start_byte: usize, end_byte: usize) -> Span {
        let end_byte = end_byte.max(start_byte).min(self.text.len());
        Span {
            start_line: self.line_of(start_byte),
            start_column: self.column_of(start_byte),
            end_line: self.line_of(end_byte),
            end_column: self.column_of(end_byte),
            start_byte: start_byte as u32,
            end_byte: end_byte as u32,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Why a parse did not produce a tree.
#[derive(Debug)]
pub enum ParseError {
    Timeout(Duration),
    Failed,
}

thread_local! {
    static PARSERS: RefCell<[Option<Parser>; 4]> = const { RefCell::new([None, None, None, None]) };
}

/// Parses `text` with this thread's parser for `lang`, giving up after
/// `budget` so that one pathological file cannot stall the run.
pub fn parse(lang: Lang, text: &str, budget: Duration) -> Result<Tree, ParseError> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let slot = &mut parsers[lang.index()];
        let parser = slot.get_or_insert_with(|| {
            let mut p = Parser::new();
            p.set_language(&lang.ts_language()).expect("bundled grammar is compatible with the tree-sitter runtime");
            p
        });
        let started = Instant::now();
        let bytes = text.as_bytes();
        let mut progress = |_: &tree_sitter::ParseState| {
            if started.elapsed() > budget {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
        let tree = parser.parse_with_options(
            &mut |offset, _| if offset < bytes.len() { &bytes[offset..] } else { &[] },
            None,
            Some(options),
        );
        match tree {
            Some(t) => Ok(t),
            None => {
                parser.reset();
                if started.elapsed() > budget {
                    Err(ParseError::Timeout(budget))
                } else {
                    Err(ParseError::Failed)
                }
            }
        }
    })
}

/// Iterates over `node` and its named descendants (pre-order, iteratively,
/// so deeply nested code cannot overflow the stack), not descending into
/// nodes for which `visit` returns false. Anonymous nodes (punctuation,
/// operators, keywords: 35-45% of a tree) are not visited: visitors look
/// for named kinds and reach tokens through fields and children.
pub fn descendants<'t>(node: tree_sitter::Node<'t>, mut visit: impl FnMut(tree_sitter::Node<'t>) -> bool) {
    // Over the flattened tree of the file being analysed when there is one.
    if flat::with_current(node, &mut visit) {
        return;
    }
    let mut cursor = node.walk();
    let mut depth = 0usize;
    loop {
        let n = cursor.node();
        let descend = (depth > 0 && !n.is_named()) || visit(n);
        if descend && cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if depth == 0 {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            cursor.goto_parent();
            depth -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_languages_and_skips_declarations() {
        assert_eq!(Lang::from_path(Path::new("a/b.py")), Some(Lang::Python));
        assert_eq!(Lang::from_path(Path::new("x.mjs")), Some(Lang::JavaScript));
        assert_eq!(Lang::from_path(Path::new("x.jsx")), Some(Lang::JavaScript));
        assert_eq!(Lang::from_path(Path::new("x.cts")), Some(Lang::TypeScript));
        assert_eq!(Lang::from_path(Path::new("x.tsx")), Some(Lang::Tsx));
        assert_eq!(Lang::from_path(Path::new("x.d.ts")), None);
        assert_eq!(Lang::from_path(Path::new("x.pyi")), None);
        assert_eq!(Lang::from_path(Path::new("Makefile")), None);
    }

    #[test]
    fn positions_count_code_points() {
        let src = Source::new("a = 1\nb = 'é' + x\n".to_string());
        let x = src.text.find('x').unwrap();
        assert_eq!(src.line_of(x), 2);
        assert_eq!(src.column_of(x), 11);
        assert_eq!(src.line(2), "b = 'é' + x");
    }

    #[test]
    fn parses_each_language() {
        for (lang, code) in [
            (Lang::Python, "def f(x):\n    return x\n"),
            (Lang::JavaScript, "const f = (x) => <a>{x}</a>;"),
            (Lang::TypeScript, "function f<T>(x: T): T { return x }"),
            (Lang::Tsx, "const f = (x: number) => <div>{x}</div>;"),
        ] {
            let tree = parse(lang, code, Duration::from_secs(5)).unwrap();
            assert!(!tree.root_node().has_error(), "{lang:?}");
        }
    }
}
