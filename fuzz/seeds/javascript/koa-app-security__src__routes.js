const Router = require("@koa/router");
const escapeHtml = require("escape-html");

const router = new Router();

router.post("/login", async (ctx) => {
  ctx.session.user = await ctx.state.users.login(ctx.request.body);
  ctx.body = { ok: true };
});

router.get("/hello", async (ctx) => {
  // expect: node/reflected-xss
  ctx.body = "<h1>Hello " + ctx.query.name + "</h1>";
});

router.get("/hello-safe", async (ctx) => {
  // ok: node/reflected-xss
  ctx.body = `<h1>Hello ${escapeHtml(ctx.query.name)}</h1>`;
});

router.get("/go", async (ctx) => {
  const { url } = ctx.query;
  // expect: node/open-redirect
  ctx.redirect(url);
});

router.get("/back", async (ctx) => {
  // ok: node/open-redirect
  ctx.redirect(`/items/${ctx.params.id}`);
});

module.exports = router;
