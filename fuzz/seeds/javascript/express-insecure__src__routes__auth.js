const { Router } = require("express");
const jwt = require("jsonwebtoken");
const db = require("../db");

const router = Router();
// ok: node/hardcoded-secret
const TOKEN_HEADER = "x-auth-token";

router.post("/login", async (req, res) => {
  const { email, password } = req.body;
  const user = await db.findUserByEmail(email);
  if (!user || !(await user.checkPassword(password))) {
    return res.status(401).json({ error: "invalid credentials" });
  }
  req.session.userId = user.id;
  // expect: node/hardcoded-secret
  const token = jwt.sign({ sub: user.id }, "super-secret-signing-key", { expiresIn: "1h" });
  res.set(TOKEN_HEADER, token).json({ ok: true });
});

router.post("/password/reset", async (req, res) => {
  await db.sendResetMail(String(req.body.email));
  res.sendStatus(202);
});

function requireToken(req, res, next) {
  const raw = req.get(TOKEN_HEADER);
  // expect: node/jwt-insecure
  req.user = jwt.verify(raw, process.env.JWT_PUBLIC_KEY);
  next();
}

router.get("/me", requireToken, (req, res) => res.json(req.user));

module.exports = router;
