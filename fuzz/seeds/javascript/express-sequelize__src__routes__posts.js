const express = require("express");
const fs = require("fs");
const { Post, User } = require("../models");
const cache = require("../cache");

const router = express.Router();

const EMAIL = /^([a-zA-Z0-9_\.\-])+\@(([a-zA-Z0-9\-])+\.)+([a-zA-Z0-9]{2,4})+$/; // expect: node/redos-regex
const STATUSES = ["draft", "review", "published"];

router.get("/", async (req, res) => {
  const posts = await Post.findAll({ limit: 50 });
  for (const post of posts) {
    // expect: node/n-plus-one-query
    post.dataValues.author = await User.findByPk(post.userId);
  }
  res.json(posts);
});

router.get("/with-comments", async (req, res) => {
  const posts = await Post.findAll({ where: { status: "published" } });
  const out = [];
  for (const post of posts) {
    // A lazy association getter: one query per post.
    // expect: node/n-plus-one-query
    const comments = await post.getComments();
    out.push({ ...post.toJSON(), comments });
  }
  res.json(out);
});

router.get("/eager", async (req, res) => {
  const posts = await Post.findAll({ include: ["author", "comments"] });
  const authorIds = posts.map((p) => p.userId);
  // One query before the loop with an IN list: fine.
  // ok: node/n-plus-one-query
  const users = await User.findAll({ where: { id: authorIds } });
  for (const post of posts) {
    // Not a query: an in-memory lookup and a cache write.
    // ok: node/n-plus-one-query
    await cache.set(`post:${post.id}`, users.find((u) => u.id === post.userId));
  }
  res.json(posts);
});

router.get("/stats", async (req, res) => {
  const counts = {};
  // A loop over a fixed list of statuses: three queries, not N.
  for (const status of STATUSES) {
    // ok: node/n-plus-one-query
    counts[status] = await Post.count({ where: { status } });
  }
  res.json(counts);
});

router.get("/by-ids", async (req, res) => {
  const ids = String(req.query.ids || "").split(",").map(Number);
  // expect: node/n-plus-one-parallel
  const found = await Promise.all(ids.map((id) => Post.findByPk(id)));
  res.json(found);
});

router.get("/template", (req, res) => {
  // expect: node/sync-api-in-handler
  const tpl = fs.readFileSync(`${__dirname}/../views/post.html`, "utf8");
  res.send(tpl);
});

router.get("/template-async", async (req, res) => {
  // ok: node/sync-api-in-handler
  const tpl = await fs.promises.readFile(`${__dirname}/../views/post.html`, "utf8");
  res.send(tpl);
});

router.post("/subscribe", (req, res) => {
  if (!EMAIL.test(req.body.email)) return res.status(400).json({ error: "bad email" });
  res.sendStatus(204);
});

router.get("/:id", async (req, res) => {
  // ok: node/redos-regex
  if (!/^\d+$/.test(req.params.id)) return res.sendStatus(400);
  res.json(await Post.findByPk(req.params.id));
});

router.post("/import", async (req, res) => {
  const created = [];
  // expect: node/cpu-loop-in-handler
  for (const item of req.body.posts) {
    for (const tag of item.tags) {
      if (req.body.blockedTags.includes(tag)) created.push(item.title);
    }
  }
  res.json({ created });
});

module.exports = router;
