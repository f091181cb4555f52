const fs = require("fs");
const zlib = require("zlib");
const http = require("http");
const Koa = require("koa");
const Router = require("@koa/router");
const bodyParser = require("koa-bodyparser");
const { Pool } = require("pg");
const { WebSocketServer } = require("ws");
const { AppDataSource } = require("./lib/data-source");
const Report = require("./entities/Report");

const pool = new Pool({ connectionString: process.env.DATABASE_URL });
// expect: express/missing-helmet
const app = new Koa();
const router = new Router();
// ok: node/sync-api-in-handler
const maintenanceFlag = fs.existsSync("/etc/app/maintenance");

app.use(bodyParser());
app.use(async (ctx, next) => {
  // Runs on every request.
  // expect: node/sync-api-in-handler
  if (maintenanceFlag && fs.statSync("/etc/app/maintenance").size > 0) {
    ctx.status = 503;
    return;
  }
  await next();
});

router.get("/reports", async (ctx) => {
  const repo = AppDataSource.getRepository(Report);
  const reports = await repo.find({ take: 50 });
  for (const report of reports) {
    // expect: node/n-plus-one-query
    const { rows } = await pool.query("SELECT name FROM users WHERE id = $1", [report.ownerId]);
    report.owner = rows[0];
  }
  ctx.body = reports;
});

router.post("/reports/lookup", async (ctx) => {
  const repo = AppDataSource.getRepository(Report);
  const found = [];
  for (const id of ctx.request.body.ids) {
    // expect: node/n-plus-one-query
    found.push(await repo.findOneBy({ id }));
  }
  ctx.body = found;
});

router.post("/reports/render", async (ctx) => {
  const pages = [];
  for (const template of ctx.request.body.templates) {
    // expect: node/cpu-loop-in-handler
    pages.push(render(template, JSON.parse(JSON.stringify(ctx.request.body))));
  }
  ctx.body = pages;
});

router.get("/reports/retry", async (ctx) => {
  const results = [];
  for (const id of [1, 2, 3]) {
    // Not a query: a timer between attempts.
    // ok: node/n-plus-one-query
    await new Promise((resolve) => setTimeout(resolve, 10 * id));
    results.push(id);
  }
  ctx.body = results;
});

function render(template, data) {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k) => String(data[k] ?? ""));
}

app.use(router.routes()).use(router.allowedMethods());

const server = http.createServer(app.callback());
const wss = new WebSocketServer({ server });
wss.on("connection", (ws) => {
  ws.on("message", (data) => {
    // expect: node/sync-api-in-handler
    const text = zlib.inflateSync(data).toString();
    ws.send(text.toUpperCase());
  });
});

server.listen(3000);
