const fs = require("fs");
// expect: express/missing-helmet, express/missing-rate-limit
const fastify = require("fastify")({ logger: true });

// ok: node/sync-api-in-handler
const schema = JSON.parse(fs.readFileSync(`${__dirname}/schema.json`, "utf8"));

fastify.register(require("@fastify/postgres"), { connectionString: process.env.DATABASE_URL });
fastify.register(require("./routes/items"), { prefix: "/items", schema });

fastify.listen({ port: 3000 });
