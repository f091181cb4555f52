const { Router } = require("express");
const mysql = require("mysql2/promise");
const { Sequelize } = require("sequelize");
const knex = require("knex")({ client: "pg" });
const { PrismaClient } = require("@prisma/client");

const router = Router();
const db = mysql.createPool(process.env.DATABASE_URL);
const sequelize = new Sequelize(process.env.DATABASE_URL);
const prisma = new PrismaClient();

router.get("/users", async (req, res) => {
  const { name } = req.query;
  const sql = "SELECT * FROM users WHERE name = '" + name + "'";
  // expect: node/sql-injection
  const [rows] = await db.query(sql);
  res.json(rows);
});

router.get("/orders", async (req, res) => {
  // expect: node/sql-injection
  const orders = await sequelize.query(`SELECT * FROM orders WHERE status = '${req.query.status}'`);
  res.json(orders);
});

router.get("/sorted", async (req, res) => {
  // expect: node/sql-injection
  const rows = await knex("items").select("*").orderByRaw(req.query.sort);
  res.json(rows);
});

router.get("/prisma/:email", async (req, res) => {
  // Tagged template: Prisma sends the value as a parameter.
  // ok: node/sql-injection
  const safe = await prisma.$queryRaw`SELECT * FROM "User" WHERE email = ${req.params.email}`;
  // expect: node/sql-injection
  const unsafe = await prisma.$queryRawUnsafe(`SELECT * FROM "User" WHERE email = '${req.params.email}'`);
  res.json({ safe, unsafe });
});

router.get("/by-id/:id", async (req, res) => {
  // ok: node/sql-injection
  const [rows] = await db.execute("SELECT * FROM users WHERE id = ?", [req.params.id]);
  res.json(rows);
});

async function purge(table) {
  // Not request data, but still SQL assembled from a variable: a warning.
  // expect: node/sql-injection
  return db.query(`DELETE FROM ${table} WHERE expires_at < now()`);
}

module.exports = router;
module.exports.purge = purge;
