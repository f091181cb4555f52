//! Catastrophic backtracking in JavaScript regular expressions. The pattern
//! is parsed with `regex-syntax` (after rewriting the JavaScript-only
//! syntax it rejects: lookarounds, backreferences, `[^]`, identity
//! escapes), turned into a Glushkov automaton (one state per character
//! position), and tested for exponential ambiguity: some state can loop
//! back to itself along two different paths that read the same text.
//! Backtracking engines such as V8's then try exponentially many ways to
//! match a long input that finally fails. A loop that the pattern can end
//! right after is not reported: the engine succeeds there instead of
//! backtracking.

use regex_syntax::ast::{self, Ast, RepetitionKind, RepetitionRange};
use regex_syntax::hir::{self, ClassUnicode, ClassUnicodeRange, HirKind};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone)]
pub struct Verdict {
    /// The ambiguous repetition, as written: "`(\w+\s?)*`".
    pub culprit: String,
}

/// Rewrites JavaScript regex syntax into what `regex-syntax` parses, keeping
/// a map from output bytes to input bytes. Lookaround groups become
/// non-capturing groups whose output offsets are returned, so that the
/// automaton can skip them.
fn translate(pattern: &str, flags: &str) -> (String, Vec<usize>, Vec<usize>) {
    let mut out = String::new();
    let mut map = Vec::new();
    let mut lookarounds = Vec::new();
    let mut prefix = String::new();
    for (f, inline) in [('i', "i"), ('s', "s"), ('m', "m")] {
        if flags.contains(f) {
            prefix.push_str(inline);
        }
    }
    if !prefix.is_empty() {
        out.push_str(&format!("(?{prefix})"));
        map.resize(out.len(), 0);
    }
    let chars: Vec<(usize, char)> = pattern.char_indices().collect();
    let mut i = 0;
    let mut in_class = false;
    let push = |out: &mut String, map: &mut Vec<usize>, s: &str, at: usize| {
        out.push_str(s);
        map.resize(out.len(), at);
    };
    let hex = |c: char| format!("\\x{{{:X}}}", c as u32);
    while i < chars.len() {
        let (at, c) = chars[i];
        let next = chars.get(i + 1).map(|x| x.1);
        match c {
            '\\' => {
                let Some(e) = next else {
                    push(&mut out, &mut map, "\\\\", at);
                    i += 1;
                    continue;
                };
                i += 2;
                match e {
                    'd' => push(&mut out, &mut map, "[0-9]", at),
                    'D' => push(&mut out, &mut map, "[^0-9]", at),
                    'w' => push(&mut out, &mut map, "[0-9A-Za-z_]", at),
                    'W' => push(&mut out, &mut map, "[^0-9A-Za-z_]", at),
                    's' | 'S' | 'n' | 'r' | 't' | 'v' | 'f' => push(&mut out, &mut map, &format!("\\{e}"), at),
                    'b' if in_class => push(&mut out, &mut map, "\\x{8}", at),
                    'b' | 'B' => push(&mut out, &mut map, &format!("\\{e}"), at),
                    'x' | 'u' | 'p' | 'P' => push(&mut out, &mut map, &format!("\\{e}"), at),
                    '0' => push(&mut out, &mut map, "\\x{0}", at),
                    'c' => {
                        i += 1;
                        push(&mut out, &mut map, "\\x{1}", at)
                    }
                    '1'..='9' => {
                        while chars.get(i).is_some_and(|x| x.1.is_ascii_digit()) {
                            i += 1;
                        }
                        if !in_class {
                            push(&mut out, &mut map, "(?:)", at)
                        }
                    }
                    'k' if chars.get(i).is_some_and(|x| x.1 == '<') => {
                        while chars.get(i).is_some_and(|x| x.1 != '>') {
                            i += 1;
                        }
                        i += 1;
                        push(&mut out, &mut map, "(?:)", at)
                    }
                    e if e.is_ascii_alphanumeric() => push(&mut out, &mut map, &e.to_string(), at),
                    e => push(&mut out, &mut map, &hex(e), at),
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                if next == Some('^') && chars.get(i + 2).map(|x| x.1) == Some(']') {
                    push(&mut out, &mut map, "[\\s\\S]", at);
                    in_class = false;
                    i += 3;
                    continue;
                }
                if next == Some(']') {
                    push(&mut out, &mut map, "[^\\s\\S]", at);
                    in_class = false;
                    i += 2;
                    continue;
                }
                push(&mut out, &mut map, "[", at);
                if next == Some('^') {
                    push(&mut out, &mut map, "^", at);
                    i += 1;
                }
                // A leading `]` is a literal in regex-syntax, an empty class in JS: handled above.
            }
            ']' if in_class => {
                in_class = false;
                push(&mut out, &mut map, "]", at);
            }
            '[' | '&' | '~' if in_class => push(&mut out, &mut map, &hex(c), at),
            '-' if in_class && next == Some('-') => push(&mut out, &mut map, &hex(c), at),
            ']' | '}' if !in_class => push(&mut out, &mut map, &hex(c), at),
            '{' if !in_class => {
                // A quantifier `{n}`, `{n,}`, `{n,m}` after something; otherwise a literal.
                let rest: String = chars[i..].iter().map(|x| x.1).take(24).collect();
                let close = rest.find('}');
                let valid = close.is_some_and(|j| {
                    let body = &rest[1..j];
                    let mut parts = body.splitn(2, ',');
                    let a = parts.next().unwrap_or("");
                    let b = parts.next();
                    !a.is_empty()
                        && a.chars().all(|c| c.is_ascii_digit())
                        && b.is_none_or(|b| b.chars().all(|c| c.is_ascii_digit()))
                }) && !out.is_empty()
                    && !out.ends_with('(')
                    && !out.ends_with('|');
                if valid {
                    let j = close.unwrap();
                    let q: String = rest[..=j].to_string();
                    push(&mut out, &mut map, &q, at);
                    i += q.chars().count();
                    continue;
                }
                push(&mut out, &mut map, &hex(c), at);
            }
            '(' if !in_class && next == Some('?') => {
                let n2 = chars.get(i + 2).map(|x| x.1);
                let n3 = chars.get(i + 3).map(|x| x.1);
                let look = match (n2, n3) {
                    (Some('='), _) | (Some('!'), _) => Some(3),
                    (Some('<'), Some('=')) | (Some('<'), Some('!')) => Some(4),
                    _ => None,
                };
                if let Some(len) = look {
                    lookarounds.push(out.len());
                    push(&mut out, &mut map, "(?:", at);
                    i += len;
                    continue;
                }
                push(&mut out, &mut map, "(", at);
            }
            '#' | ' ' => push(&mut out, &mut map, &hex(c), at),
            _ => {
                let mut b = [0u8; 4];
                push(&mut out, &mut map, c.encode_utf8(&mut b), at);
            }
        }
        i += 1;
    }
    map.push(pattern.len());
    (out, map, lookarounds)
}

/// Position automaton (Glushkov): one state per character position.
struct Glushkov<'p> {
    pattern: &'p str,
    case_insensitive: bool,
    dot_all: bool,
    lookarounds: Vec<usize>,
    /// Per position: the characters it reads (`None`: an end anchor, reads nothing).
    class: Vec<Option<ClassUnicode>>,
    /// Per position: (next position, the construct that made the edge: 0 for
    /// sequence, `k` for the k-th loop). Two loops that lead to the same
    /// position are two ways for a backtracking engine to go there.
    follow: Vec<BTreeSet<(usize, usize)>>,
    /// Repetitions that loop: (span in the translated pattern, positions inside).
    loops: Vec<((usize, usize), BTreeSet<usize>)>,
    cache: HashMap<String, Option<ClassUnicode>>,
    too_big: bool,
}

#[derive(Default, Clone)]
struct Frag {
    nullable: bool,
    first: BTreeSet<usize>,
    last: BTreeSet<usize>,
}

const MAX_POSITIONS: usize = 160;

impl<'p> Glushkov<'p> {
    fn new_pos(&mut self, class: Option<ClassUnicode>) -> Frag {
        let id = self.class.len();
        if id >= MAX_POSITIONS {
            self.too_big = true;
        }
        self.class.push(class);
        self.follow.push(BTreeSet::new());
        Frag { nullable: false, first: [id].into(), last: [id].into() }
    }

    fn class_of(&mut self, code: &str) -> Option<ClassUnicode> {
        if let Some(c) = self.cache.get(code) {
            return c.clone();
        }
        let mut full = String::new();
        if self.case_insensitive {
            full.push_str("(?i)");
        }
        if self.dot_all {
            full.push_str("(?s)");
        }
        full.push_str(code);
        let cls = regex_syntax::ParserBuilder::new().build().parse(&full).ok().and_then(|h| match h.into_kind() {
            HirKind::Class(hir::Class::Unicode(c)) => Some(c),
            HirKind::Literal(hir::Literal(bytes)) => {
                let s = String::from_utf8(bytes.to_vec()).ok()?;
                let c = s.chars().next()?;
                Some(ClassUnicode::new([ClassUnicodeRange::new(c, c)]))
            }
            _ => None,
        });
        self.cache.insert(code.to_string(), cls.clone());
        cls
    }

    fn concat(&mut self, a: Frag, b: Frag) -> Frag {
        for &l in &a.last {
            self.follow[l].extend(b.first.iter().map(|&f| (f, 0)));
        }
        Frag {
            nullable: a.nullable && b.nullable,
            first: if a.nullable { a.first.union(&b.first).copied().collect() } else { a.first },
            last: if b.nullable { a.last.union(&b.last).copied().collect() } else { b.last },
        }
    }

    fn looped(&mut self, f: Frag, span: (usize, usize), start: usize) -> Frag {
        let inside: BTreeSet<usize> = (start..self.class.len()).collect();
        self.loops.push((span, inside));
        let via = self.loops.len();
        for &l in &f.last {
            self.follow[l].extend(f.first.iter().map(|&x| (x, via)));
        }
        f
    }

    fn optional_chain(&mut self, a: &Ast, k: u32) -> Frag {
        if k == 0 || self.too_big {
            return Frag { nullable: true, ..Frag::default() };
        }
        let f = self.build(a);
        let rest = self.optional_chain(a, k - 1);
        let mut chain = self.concat(f, rest);
        chain.nullable = true;
        chain
    }

    fn build(&mut self, a: &Ast) -> Frag {
        if self.too_big {
            return Frag::default();
        }
        match a {
            Ast::Empty(_) | Ast::Flags(_) => Frag { nullable: true, ..Frag::default() },
            Ast::Literal(l) => {
                let code = &self.pattern[l.span.start.offset..l.span.end.offset];
                let c = self.class_of(code).or_else(|| Some(ClassUnicode::new([ClassUnicodeRange::new(l.c, l.c)])));
                self.new_pos(c)
            }
            Ast::Dot(_) => {
                let c = self.class_of(".");
                self.new_pos(c)
            }
            Ast::Assertion(x) => match x.kind {
                ast::AssertionKind::EndLine | ast::AssertionKind::EndText => self.new_pos(None),
                _ => Frag { nullable: true, ..Frag::default() },
            },
            Ast::ClassUnicode(c) => {
                let cls = self.class_of(&self.pattern[c.span.start.offset..c.span.end.offset]);
                self.new_pos(cls)
            }
            Ast::ClassPerl(c) => {
                let cls = self.class_of(&self.pattern[c.span.start.offset..c.span.end.offset]);
                self.new_pos(cls)
            }
            Ast::ClassBracketed(c) => {
                let cls = self.class_of(&self.pattern[c.span.start.offset..c.span.end.offset]);
                self.new_pos(cls)
            }
            Ast::Group(g) => {
                if self.lookarounds.contains(&g.span.start.offset) {
                    return Frag { nullable: true, ..Frag::default() };
                }
                self.build(&g.ast)
            }
            Ast::Alternation(alt) => {
                let mut out = Frag::default();
                for b in &alt.asts {
                    let f = self.build(b);
                    out.nullable |= f.nullable;
                    out.first.extend(f.first);
                    out.last.extend(f.last);
                }
                out
            }
            Ast::Concat(c) => {
                let mut acc = Frag { nullable: true, ..Frag::default() };
                for x in &c.asts {
                    let f = self.build(x);
                    acc = self.concat(acc, f);
                }
                acc
            }
            Ast::Repetition(r) => {
                let span = (r.span.start.offset, r.span.end.offset);
                let (min, max): (u32, Option<u32>) = match &r.op.kind {
                    RepetitionKind::ZeroOrOne => (0, Some(1)),
                    RepetitionKind::ZeroOrMore => (0, None),
                    RepetitionKind::OneOrMore => (1, None),
                    RepetitionKind::Range(RepetitionRange::Exactly(n)) => (*n, Some(*n)),
                    RepetitionKind::Range(RepetitionRange::AtLeast(n)) => (*n, None),
                    RepetitionKind::Range(RepetitionRange::Bounded(a, b)) => (*a, Some(*b)),
                };
                // Large bounds behave like unbounded loops for backtracking.
                let max = max.filter(|m| *m <= 6);
                let copies = min.clamp(1, 3);
                let mut acc = Frag { nullable: true, ..Frag::default() };
                match max {
                    Some(m) => {
                        if m == 0 {
                            return acc;
                        }
                        for _ in 0..min {
                            let f = self.build(&r.ast);
                            acc = self.concat(acc, f);
                        }
                        // `x{1,4}` is `x(x(x)?)?)?`, not `x x? x? x?`: a counted
                        // loop tries one count at a time and is not ambiguous.
                        let tail = self.optional_chain(&r.ast, m - min);
                        self.concat(acc, tail)
                    }
                    None => {
                        for _ in 1..copies {
                            let f = self.build(&r.ast);
                            acc = self.concat(acc, f);
                        }
                        let start = self.class.len();
                        let mut f = self.build(&r.ast);
                        f = self.looped(f, span, start);
                        if min == 0 {
                            f.nullable = true;
                        }
                        self.concat(acc, f)
                    }
                }
            }
        }
    }
}

fn intersects(a: &Option<ClassUnicode>, b: &Option<ClassUnicode>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            let mut x = a.clone();
            x.intersect(b);
            !x.ranges().is_empty()
        }
        _ => false,
    }
}

/// Is the pattern exponentially ambiguous in a place the match can fail
/// after? Returns the ambiguous repetition as written.
pub fn analyse(pattern: &str, flags: &str) -> Option<Verdict> {
    if pattern.len() > 2000 || !(pattern.contains('*') || pattern.contains('+') || pattern.contains('{')) {
        return None;
    }
    let (translated, map, lookarounds) = translate(pattern, flags);
    let ast = ast::parse::ParserBuilder::new().nest_limit(64).build().parse(&translated).ok()?;
    let mut g = Glushkov {
        pattern: &translated,
        case_insensitive: flags.contains('i'),
        dot_all: flags.contains('s'),
        lookarounds,
        class: Vec::new(),
        follow: Vec::new(),
        loops: Vec::new(),
        cache: HashMap::new(),
        too_big: false,
    };
    let root = g.build(&ast);
    if g.too_big || g.loops.is_empty() {
        return None;
    }
    let n = g.class.len();
    let compat: Vec<Vec<bool>> =
        (0..n).map(|i| (0..n).map(|j| intersects(&g.class[i], &g.class[j])).collect()).collect();
    // Exponential ambiguity: from (q, q) two runs reading the same text come
    // back to (q, q) after taking different edges somewhere. States of the
    // product are (i, j, diverged); `div` keeps the loops whose edges split.
    let mut budget: usize = 4_000_000;
    let state = |i: usize, j: usize, d: usize| (i * n + j) * 2 + d;
    for q in 0..n {
        if root.last.contains(&q) || !g.loops.iter().any(|(_, inside)| inside.contains(&q)) {
            continue;
        }
        let mut seen = vec![false; n * n * 2];
        let mut div: Vec<(usize, usize)> = vec![(0, 0); n * n * 2];
        let mut queue = std::collections::VecDeque::new();
        queue.push_back((q, q, 0usize));
        seen[state(q, q, 0)] = true;
        while let Some((i, j, d)) = queue.pop_front() {
            for &(k, va) in &g.follow[i] {
                for &(l, vb) in &g.follow[j] {
                    budget = budget.checked_sub(1)?;
                    if !compat[k][l] {
                        continue;
                    }
                    let split = d == 0 && (k != l || va != vb);
                    let nd = usize::from(d == 1 || split);
                    let s = state(k, l, nd);
                    if seen[s] {
                        continue;
                    }
                    seen[s] = true;
                    div[s] = if split { (va, vb) } else { div[state(i, j, d)] };
                    if k == q && l == q && nd == 1 {
                        return Some(Verdict { culprit: culprit(&g, q, div[s], pattern, &map) });
                    }
                    queue.push_back((k, l, nd));
                }
            }
        }
    }
    None
}

/// The repetition to show: the outer of the loops whose edges split, or the
/// innermost loop around `q`.
fn culprit(g: &Glushkov, q: usize, (va, vb): (usize, usize), pattern: &str, map: &[usize]) -> String {
    let span_of = |v: usize| (v > 0).then(|| g.loops[v - 1].0);
    let chosen = [span_of(va), span_of(vb)].into_iter().flatten().max_by_key(|(s, e)| e - s).or_else(|| {
        g.loops.iter().filter(|(_, inside)| inside.contains(&q)).map(|(sp, _)| *sp).min_by_key(|(s, e)| e - s)
    });
    match chosen {
        Some((s, e)) => {
            let s = map[s.min(map.len() - 1)].min(pattern.len());
            let e = map[e.min(map.len() - 1)].min(pattern.len());
            let e = if e <= s { pattern.len() } else { e };
            format!("`{}`", &pattern[s..e])
        }
        None => "a repetition".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::analyse;

    fn bad(p: &str) -> bool {
        analyse(p, "").is_some()
    }

    #[test]
    fn nested_and_overlapping_quantifiers_are_flagged() {
        for p in [
            r"^(a+)+$",
            r"^(a|a)*$",
            r"^(\w+\s?)*$",
            r"^(\w|\d)+$",
            r"(a+)+b",
            r"^([a-zA-Z0-9_\.\-])+\@(([a-zA-Z0-9\-])+\.)+([a-zA-Z0-9]{2,4})+$",
            r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$",
            r"^(https?:\/\/)?([\da-z\.-]+)\.([a-z\.]{2,6})([\/\w \.-]*)*\/?$",
            r"^(?=x)(.*a){1,}z$",
            r"^(\d+)*\1$",
        ] {
            assert!(bad(p), "{p} should be flagged");
        }
    }

    #[test]
    fn safe_patterns_are_not_flagged() {
        for p in [
            r"^\d+$",
            r"(a+)+",
            r"^(ab+)+$",
            r"^([a-z]+\.)+[a-z]{2,}$",
            r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$",
            r"^\s*(\w+)\s*=\s*(.*)$",
            r"^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@example\.com$",
            r"^[\w.-]+\/[\w.-]+$",
            r"^#?([a-f\d]{2})([a-f\d]{2})([a-f\d]{2})$",
            r"[^]*",
            r"^(?<year>\d{4})-(?<month>\d{2})$",
            r"\{\{(.+?)\}\}",
            r"a{",
            r"^(?:[A-F0-9]{1,4}:){7}[A-F0-9]{1,4}$",
            r"^(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)$",
        ] {
            assert!(!bad(p), "{p} should not be flagged");
        }
    }

    #[test]
    fn culprit_points_at_the_written_repetition() {
        assert_eq!(analyse(r"^(\w+\s?)*$", "").unwrap().culprit, r"`(\w+\s?)*`");
    }
}
