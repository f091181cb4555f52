const express = require("express");
const session = require("express-session");
const argon2 = require("argon2");
const jwt = require("jsonwebtoken");
const Stripe = require("stripe");
const users = require("./users");

const stripe = new Stripe(process.env.STRIPE_KEY);

// Sessions, logins and payments, and none of the middleware that protects them.
// expect: express/missing-helmet, express/missing-rate-limit, express/missing-csrf
const app = express();
app.use(express.json());
app.use(
  session({
    secret: process.env.SESSION_SECRET,
    resave: false,
    saveUninitialized: false,
    cookie: { secure: true, httpOnly: true },
  }),
);

app.post("/login", async (req, res) => {
  const user = await users.byEmail(String(req.body.email));
  if (!user || !(await argon2.verify(user.hash, String(req.body.password)))) {
    return res.sendStatus(401);
  }
  req.session.userId = user.id;
  res.json({ token: jwt.sign({ sub: user.id }, process.env.JWT_PRIVATE_KEY, { algorithm: "RS256", expiresIn: "1h" }) });
});

app.post("/password", async (req, res) => {
  if (!req.session.userId) return res.sendStatus(401);
  await users.setHash(req.session.userId, await argon2.hash(String(req.body.password)));
  res.sendStatus(204);
});

app.post("/checkout", async (req, res) => {
  if (!req.session.userId) return res.sendStatus(401);
  const intent = await stripe.paymentIntents.create({ amount: Number(req.body.amount), currency: "eur" });
  res.json({ clientSecret: intent.client_secret });
});

app.listen(process.env.PORT || 3000);
