const crypto = require("node:crypto");
const { promisify } = require("node:util");
const { Router } = require("express");
const bcrypt = require("bcryptjs");

const randomBytes = promisify(crypto.randomBytes);
const router = Router();

router.post("/signup", async (req, res) => {
  const salt = await randomBytes(16);
  // expect: node/sync-api-in-handler
  const key = crypto.pbkdf2Sync(String(req.body.password), salt, 600000, 64, "sha512");
  res.status(201).json({ salt: salt.toString("hex"), key: key.toString("hex") });
});

router.post("/legacy-login", (req, res) => {
  // expect: node/sync-api-in-handler
  const ok = bcrypt.compareSync(String(req.body.password), req.body.hash);
  res.json({ ok });
});

router.post("/rotate", async (req, res) => {
  // The promise form runs on the thread pool.
  const key = await new Promise((resolve, reject) =>
    crypto.scrypt(String(req.body.password), "pepper", 64, (err, k) => (err ? reject(err) : resolve(k))),
  );
  res.json({ key: key.toString("hex") });
});

module.exports = router;
