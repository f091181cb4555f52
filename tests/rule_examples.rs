//! Every rule's embedded `[[examples]]` (the same check as
//! `stackfit test-rules`): invalid snippets must fire, valid ones must not.

#[test]
fn every_rule_example_passes() {
    let (passed, failures) = stackfit::testing::check_examples(None).expect("rules load");
    let report: Vec<String> = failures.iter().map(|f| format!("{} {}: {}", f.kind, f.rule, f.detail)).collect();
    assert!(failures.is_empty(), "{} passed, {} failed:\n{}", passed, failures.len(), report.join("\n"));
    assert!(passed > 0);
}

#[test]
fn every_rule_has_complete_docs() {
    let engine = stackfit::registry::engine(&[]).expect("rules load");
    for r in &engine.rules {
        let m = &r.meta;
        for (field, text) in
            [("what", &m.docs.what), ("why", &m.docs.why), ("example", &m.docs.example), ("fix", &m.docs.fix)]
        {
            assert!(text.trim().len() > 20, "{}: docs.{field} is missing or too short", m.id);
        }
        assert!(!m.docs.references.is_empty(), "{}: docs.references is empty", m.id);
        assert!(!m.summary.is_empty(), "{}: no summary", m.id);
    }
}
