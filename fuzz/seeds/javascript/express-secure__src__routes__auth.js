const { Router } = require("express");
const jwt = require("jsonwebtoken");
const mysql = require("mysql2/promise");

const router = Router();
const pool = mysql.createPool(process.env.DATABASE_URL);

router.post("/login", async (req, res) => {
  const { email } = req.body;
  // Placeholders: the driver sends the value separately.
  // ok: node/sql-injection
  const [rows] = await pool.execute("SELECT id, password_hash FROM users WHERE email = ?", [email]);
  if (!rows.length) return res.sendStatus(401);
  // ok: node/hardcoded-secret
  const token = jwt.sign({ sub: rows[0].id }, process.env.JWT_SECRET, { algorithm: "HS256", expiresIn: "1h" });
  res.json({ token });
});

router.get("/me", (req, res) => {
  const header = req.get("authorization") || "";
  // ok: node/jwt-insecure
  const claims = jwt.verify(header.replace("Bearer ", ""), process.env.JWT_SECRET, { algorithms: ["HS256"] });
  res.json(claims);
});

router.get("/logout", (req, res) => {
  req.session.destroy(() => {
    // A fixed local path with the original URL encoded into it.
    // ok: node/open-redirect
    res.redirect("/login?next=" + encodeURIComponent(req.query.next || "/"));
  });
});

module.exports = router;
