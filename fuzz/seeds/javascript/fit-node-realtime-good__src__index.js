const http = require("node:http");
const express = require("express");
const helmet = require("helmet");
const { rateLimit } = require("express-rate-limit");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const Redis = require("ioredis");
const jwt = require("jsonwebtoken");
const { scores, startFeed } = require("./feed");

const app = express();
app.use(helmet());
app.use(rateLimit({ windowMs: 60_000, limit: 600 }));

app.get("/health", (req, res) => res.send("ok"));
app.get("/matches/:id", async (req, res) => {
  const score = await scores.get(req.params.id);
  res.json(score ?? { id: req.params.id, home: 0, away: 0 });
});

const server = http.createServer(app);
const pub = new Redis(process.env.REDIS_URL);
const io = new Server(server, { adapter: createAdapter(pub, pub.duplicate()) });

io.use((socket, next) => {
  try {
    socket.data.user = jwt.verify(socket.handshake.auth.token, process.env.JWT_PUBLIC_KEY, { algorithms: ["RS256"] });
    next();
  } catch (err) {
    next(err);
  }
});

io.on("connection", (socket) => {
  socket.on("follow", (matchId) => socket.join(`match:${matchId}`));
  socket.on("unfollow", (matchId) => socket.leave(`match:${matchId}`));
});

startFeed(io);
server.listen(process.env.PORT || 3000);
