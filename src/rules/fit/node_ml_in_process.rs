//! `fit/node-ml-in-process`: ML/data-science libraries imported by the code
//! of a Node web application, so that inference runs inside the web process.

use super::{applications, count, relate};
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::profile::signals::SignalKind;
use crate::profile::{Site, Stack};
use std::collections::BTreeSet;

const DOC: &str = r#####"
id = "fit/node-ml-in-process"
languages = ["js"]
severity = "note"
category = "fit"
confidence = "medium"
summary = "ML/data-science libraries run inside a Node web process"

[docs]
what = """
Notes a Node web application whose own code imports ML or data-science libraries
(`@tensorflow/tfjs-node`, `@tensorflow/tfjs`, `onnxruntime-node`, `danfojs`/`danfojs-node`,
`@xenova/transformers`/`@huggingface/transformers`, `brain.js`, `natural`, `ml-matrix`, ...), so
that models are loaded and run inside the web process. The message counts the imports and the
calls made from request handlers (`model.predict(...)`, `tf.tensor(...)`, `session.run(...)` in a
file that imports such a library); the finding points at the library's line in package.json, with
the imports and handler calls as related locations. Python scripts that sit beside the service are
not counted: running them as a separate process is the pattern the guidance recommends.
"""
why = """
The guidance places ML, data science and CPU-heavy business logic in Python, where NumPy, pandas,
PyTorch and scikit-learn live (G4); running it inside a Node web process is "possible but
awkward": the model's memory is duplicated in every Node process, inference competes with request
handling for the event loop and the thread pool (G2), and the Node ML ecosystem trails Python's. A
hybrid split, with Node as the front of the backend and a Python service doing inference, is the
common shape (G7).
"""
example = '''
const tf = require("@tensorflow/tfjs-node");
const model = await tf.loadLayersModel("file://model/model.json");
app.post("/predict", async (req, res) => {
  const out = model.predict(tf.tensor2d([req.body.features]));   // inference in the web process
  res.json({ score: (await out.data())[0] });
});
'''
fix = '''
Serve the model from a Python service (FastAPI, Django, or a model server such as TorchServe or
Triton) and call it from Node over HTTP or a queue; or, if it must stay in Node, run inference in
`worker_threads` so request handling keeps the event loop:

    app.post("/predict", async (req, res) => {
      const r = await fetch(`${ML_URL}/predict`, { method: "POST", body: JSON.stringify(req.body) });
      res.json(await r.json());
    });
'''
references = [
  "https://www.tensorflow.org/js/guide/nodejs",
  "https://nodejs.org/api/worker_threads.html",
]
guidance = ["G4", "G7", "G2"]

[[examples]]
path = "package.json"
invalid = '''
{ "name": "scoring", "dependencies": { "express": "^4.21.2", "@tensorflow/tfjs-node": "^4.22.0" } }
'''
files = { "server.js" = "const express = require('express');\nconst tf = require('@tensorflow/tfjs-node');\nconst app = express();\nlet model;\napp.post('/predict', async (req, res) => {\n  const out = model.predict(tf.tensor2d([req.body.features]));\n  res.json({ score: (await out.data())[0] });\n});\ntf.loadLayersModel('file://model/model.json').then((m) => { model = m; app.listen(3000); });\n" }

[[examples]]
path = "package.json"
valid = '''
{ "name": "scoring", "dependencies": { "express": "^4.21.2" } }
'''
files = { "server.js" = "const express = require('express');\nconst app = express();\napp.post('/predict', async (req, res) => {\n  const r = await fetch(process.env.ML_URL + '/predict', { method: 'POST', body: JSON.stringify(req.body) });\n  res.json(await r.json());\n});\napp.listen(3000);\n", "ml/train.py" = "import numpy as np\nimport pandas as pd\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    for app in applications(ctx).iter().filter(|a| a.stack == Stack::Node) {
        let imports: Vec<Site> =
            app.sites(SignalKind::MlImport).iter().filter(|s| !s.detail.starts_with("python: ")).cloned().collect();
        if imports.is_empty() {
            continue;
        }
        let calls = app.sites(SignalKind::MlInHandler);
        let libs: BTreeSet<&str> = imports.iter().map(|s| s.detail.as_str()).collect();
        let libs: Vec<&str> = libs.into_iter().collect();
        let files: BTreeSet<&str> = imports.iter().map(|s| s.loc.path.as_str()).collect();
        let in_handlers = if calls.is_empty() {
            String::new()
        } else {
            format!(", {} from request handlers", count(calls.len(), "call", "calls"))
        };
        let message = format!(
            "{}: {} run{} inside this Node web process ({} in {}{in_handlers}); the guidance places model inference \
             and data-science work in a Python service beside it (G4, G7)",
            app.name,
            libs.join(", "),
            if libs.len() == 1 { "s" } else { "" },
            count(imports.len(), "import", "imports"),
            count(files.len(), "file", "files"),
        );
        let f = out.report(app.dep_location(libs[0]), message);
        relate(f, &[calls, &imports], 5);
    }
}
