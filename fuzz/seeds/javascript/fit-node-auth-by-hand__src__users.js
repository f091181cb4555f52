const { Pool } = require("pg");

const pool = new Pool({ connectionString: process.env.DATABASE_URL });

async function byEmail(email) {
  const { rows } = await pool.query("SELECT id, hash FROM users WHERE email = $1", [email]);
  return rows[0];
}

async function setHash(id, hash) {
  await pool.query("UPDATE users SET hash = $1 WHERE id = $2", [hash, id]);
}

module.exports = { byEmail, setHash };
