const crypto = require("node:crypto");
const { execFileSync } = require("node:child_process");
const knex = require("../db");

const SKU = /^([A-Z]+\d*)*-\d+$/; // expect: node/redos-regex

module.exports = async function items(fastify) {
  fastify.addHook("preHandler", async (request) => {
    // expect: node/sync-api-in-handler
    request.gitSha = execFileSync("git", ["rev-parse", "HEAD"]).toString();
  });

  fastify.get("/:id", async (request, reply) => {
    const item = await knex("items").where({ id: request.params.id }).first();
    if (!item) return reply.code(404).send();
    return item;
  });

  fastify.route({
    method: "POST",
    url: "/lookup",
    handler: async (request) => {
      const out = [];
      for (const id of request.body.ids) {
        // expect: node/n-plus-one-query
        const row = await knex("items").where({ id }).first();
        out.push(row);
      }
      return out;
    },
  });

  fastify.get("/owners", async () => {
    const items = await knex("items").select("id", "owner_id").limit(100);
    // ok: node/n-plus-one-query
    const owners = await knex("owners").whereIn("id", items.map((i) => i.owner_id));
    for (const item of items) {
      // expect: node/n-plus-one-query
      const { rows } = await fastify.pg.query("SELECT name FROM owners WHERE id = $1", [item.owner_id]);
      item.ownerName = rows[0] && rows[0].name;
    }
    return { items, owners };
  });

  fastify.post("/token", async () => {
    // The synchronous form, even for a few bytes (the spec lists it).
    // expect: node/sync-api-in-handler
    const token = crypto.randomBytes(32).toString("hex");
    return { token };
  });

  fastify.post("/noise", async (request) => {
    // A client-chosen size: megabytes generated on the event loop.
    // expect: node/sync-api-in-handler
    return crypto.randomBytes(Number(request.body.bytes)).toString("base64");
  });

  fastify.post("/token-async", async () => {
    // ok: node/sync-api-in-handler
    const token = await new Promise((resolve, reject) =>
      crypto.randomBytes(32, (err, buf) => (err ? reject(err) : resolve(buf.toString("hex")))),
    );
    return { token };
  });

  fastify.get("/sku/:sku", async (request) => ({ valid: SKU.test(request.params.sku) }));

  fastify.get("/spin", async () => {
    let n = 0;
    // expect: node/cpu-loop-in-handler
    while (true) {
      n += 1;
      if (crypto.randomInt(1000) === 0) break;
    }
    return { n };
  });

  fastify.get("/poll", async () => {
    const seen = [];
    // Awaits inside: yields to the event loop on every turn.
    // ok: node/cpu-loop-in-handler
    while (true) {
      const job = await knex("jobs").where({ state: "ready" }).first();
      if (!job) break;
      seen.push(job.id);
      await knex("jobs").where({ id: job.id }).update({ state: "taken" });
    }
    return seen;
  });
};
