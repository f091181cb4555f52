import pg from "pg";

const pool = new pg.Pool();

export default async function reportRoutes(fastify) {
  fastify.get("/:year", async (request) => {
    const year = parseInt(request.params.year, 10);
    // A number: parseInt ends the request data.
    // ok: node/sql-injection
    const { rows } = await pool.query(`SELECT * FROM sales WHERE extract(year from day) = ${year}`);
    return rows;
  });

  fastify.get("/by-region", async (request) => {
    // expect: node/sql-injection
    const { rows } = await pool.query("SELECT * FROM sales WHERE region = '" + request.query.region + "'");
    return rows;
  });
}
