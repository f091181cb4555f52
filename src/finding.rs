//! The one diagnostic model every rule produces and every report renders.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "note" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Performance,
    Concurrency,
    Security,
    Fit,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Performance => "performance",
            Category::Concurrency => "concurrency",
            Category::Security => "security",
            Category::Fit => "fit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
    pub fn parse(s: &str) -> Option<Confidence> {
        match s {
            "low" => Some(Confidence::Low),
            "medium" => Some(Confidence::Medium),
            "high" => Some(Confidence::High),
            _ => None,
        }
    }
}

/// What a file is (SPEC "Code roles"): decides which rules run on it and
/// how its findings count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The application's server code (the default).
    #[default]
    App,
    /// Operator and one-off code: management commands, scripts, build files.
    Script,
    Test,
    Migration,
    /// Code that runs in a browser.
    Browser,
    /// Third-party code copied into the project.
    Vendored,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::App, Role::Script, Role::Test, Role::Migration, Role::Browser, Role::Vendored];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::App => "app",
            Role::Script => "script",
            Role::Test => "test",
            Role::Migration => "migration",
            Role::Browser => "browser",
            Role::Vendored => "vendored",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A region of a file. Lines are 1-based; columns are 1-based and counted in
/// Unicode scalar values (SARIF `columnKind: unicodeCodePoints`). `end_column`
/// is exclusive. Byte offsets are kept for applying fixes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct Span {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
    #[serde(default)]
    pub start_byte: u32,
    #[serde(default)]
    pub end_byte: u32,
}

/// Reports (JSON, human-readable formats) show lines and columns only; the
/// result cache (a binary format) keeps the byte offsets too, which the
/// facts of cached files need.
impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let human = s.is_human_readable();
        let mut st = s.serialize_struct("Span", if human { 4 } else { 6 })?;
        st.serialize_field("start_line", &self.start_line)?;
        st.serialize_field("start_column", &self.start_column)?;
        st.serialize_field("end_line", &self.end_line)?;
        st.serialize_field("end_column", &self.end_column)?;
        if !human {
            st.serialize_field("start_byte", &self.start_byte)?;
            st.serialize_field("end_byte", &self.end_byte)?;
        }
        st.end()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// Path relative to the scanned root, with `/` separators.
    pub path: String,
    #[serde(flatten)]
    pub span: Span,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
}

/// One replacement of a span by new text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edit {
    pub path: String,
    #[serde(flatten)]
    pub span: Span,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fix {
    /// What the fix does, in a few words ("add .select_related(\"author\")").
    pub description: String,
    pub edits: Vec<Edit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub category: Category,
    pub confidence: Confidence,
    /// The role of the file the finding is in.
    #[serde(default)]
    pub role: Role,
    pub path: String,
    #[serde(flatten)]
    pub span: Span,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub related: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fix: Option<Fix>,
    /// Stable identity for baselines and code scanning: rule id, path and a
    /// hash of the normalised code of the finding's lines (not line numbers).
    pub fingerprint: String,
    /// Project symbols any of which, defined in any file, makes the finding
    /// void (a guard wrapper of another module, see `FileFacts::provides`).
    /// Resolved after phase 1: never in a report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unless: Vec<String>,
}

impl Finding {
    /// Total order used for every output: path, line, column, rule id, then
    /// the rest so that equal positions still sort deterministically.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, u32, u32, &str) {
        (
            &self.path,
            self.span.start_line,
            self.span.start_column,
            &self.rule_id,
            self.span.end_line,
            self.span.end_column,
            &self.message,
        )
    }
}

pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// Code quoted in a message: on one line, at most 60 characters.
pub fn shorten(code: &str) -> String {
    let one_line: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        let cut: String = one_line.chars().take(57).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

/// Serde `with` module: a value embedded as a JSON string, for types whose
/// derive needs a self-describing format (`#[serde(flatten)]`).
pub mod as_json {
    use serde::de::{DeserializeOwned, Error as _};
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(v).map_err(S::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        serde_json::from_str(&text).map_err(D::Error::custom)
    }
}
