const { Router } = require("express");
const crypto = require("crypto");
const { execSync } = require("child_process");
const { User } = require("../models");

const router = Router();

async function getUser(req, res) {
  const user = await User.findByPk(req.params.id);
  res.json({ user, build: buildInfo() });
}

function buildInfo() {
  // Called from a handler: runs per request.
  // expect: node/sync-api-in-handler
  return execSync("git rev-parse --short HEAD").toString().trim();
}

async function updateUser(req, res) {
  const user = await User.findByPk(req.params.id);
  // expect: node/sync-api-in-handler
  const hash = crypto.pbkdf2Sync(req.body.password, user.salt, 310000, 32, "sha256");
  await user.update({ passwordHash: hash.toString("hex") });
  res.sendStatus(204);
}

router.route("/:id").get(getUser).put(updateUser);

module.exports = router;
