const { Router } = require("express");
const vm = require("node:vm");
const { evaluate } = require("../lib/formula");

const router = Router();

router.post("/eval", (req, res) => {
  const { expression } = req.body;
  // expect: node/eval
  const value = eval(expression);
  res.json({ value });
});

router.post("/sandbox", async (req, res) => {
  const sandbox = { total: 0 };
  // vm is not a security boundary.
  // expect: node/eval
  vm.runInNewContext(req.body.script, sandbox, { timeout: 50 });
  res.json(sandbox);
});

router.get("/formula", (req, res) => {
  // A parser, not an evaluator of code.
  // ok: node/eval
  res.json({ value: evaluate(String(req.query.f)) });
});

router.post("/schedule", (req, res) => {
  const id = Number(req.body.id);
  // A function, not a string of code.
  // ok: node/eval
  setTimeout(() => refresh(id), 1000);
  // expect: node/eval
  setTimeout("refresh(" + req.body.id + ")", 1000);
  res.sendStatus(202);
});

function refresh(id) {
  return id;
}

module.exports = router;
