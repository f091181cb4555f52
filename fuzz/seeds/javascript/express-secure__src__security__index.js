const helmet = require("helmet");
const cors = require("cors");
const session = require("express-session");
const { authLimiter, apiLimiter } = require("./limits");
const { doubleCsrfProtection } = require("./csrf");

const allowedOrigins = ["https://app.example.com", "https://admin.example.com"];

function configureSecurity(app) {
  app.set("trust proxy", 1);
  app.use(helmet());
  // A list of origins, not a reflection of whatever the browser sends.
  // ok: express/permissive-cors
  app.use(cors({ origin: allowedOrigins, credentials: true }));
  // ok: express/insecure-session, node/hardcoded-secret
  app.use(
    session({
      secret: process.env.SESSION_SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { secure: true, httpOnly: true, sameSite: "lax", maxAge: 8 * 3600 * 1000 },
    }),
  );
  app.use(doubleCsrfProtection);
  app.use("/api/auth", authLimiter);
  app.use("/api", apiLimiter);
}

module.exports = { configureSecurity };
