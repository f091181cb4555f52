// An API written in a hurry: no security headers, no rate limiting, CORS
// that trusts every site, and a session cookie with default flags.
const express = require("express");
const session = require("express-session");
const cors = require("cors");
const cookieParser = require("cookie-parser");
const auth = require("./routes/auth");
const accounts = require("./routes/accounts");
const legacy = require("./routes/legacy");

// expect: express/missing-helmet, express/missing-rate-limit, express/missing-csrf
const app = express();

app.use(express.json());
// expect: node/hardcoded-secret
app.use(cookieParser("cookie-signing-secret"));
// Reflects whatever Origin the browser sends, and allows cookies.
// expect: express/permissive-cors
app.use(cors({ origin: true, credentials: true }));
app.use(
  // expect: express/insecure-session
  session({
    // expect: node/hardcoded-secret
    secret: "keyboard cat",
    resave: false,
    saveUninitialized: true,
    cookie: { secure: false },
  }),
);

app.use("/auth", auth);
app.use("/accounts", accounts);
app.use("/legacy", legacy.router);

app.listen(process.env.PORT || 3000);
