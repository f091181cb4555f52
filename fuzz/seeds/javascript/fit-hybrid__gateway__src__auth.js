const jwt = require("jsonwebtoken");

const PUBLIC_KEY = process.env.JWT_PUBLIC_KEY;

function authenticate(req, res, next) {
  const token = (req.headers.authorization || "").replace(/^Bearer /, "");
  try {
    req.user = jwt.verify(token, PUBLIC_KEY, { algorithms: ["RS256"] });
    next();
  } catch {
    res.sendStatus(401);
  }
}

module.exports = { authenticate };
