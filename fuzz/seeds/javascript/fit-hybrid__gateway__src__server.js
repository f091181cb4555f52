const http = require("node:http");
const express = require("express");
const helmet = require("helmet");
const { rateLimit } = require("express-rate-limit");
const { Server } = require("socket.io");
const { authenticate } = require("./auth");

const SCORING_URL = process.env.SCORING_URL;

const app = express();
app.use(helmet());
app.use(express.json());
app.use("/api", rateLimit({ windowMs: 60_000, limit: 120 }));

app.get("/health", (req, res) => res.send("ok"));

// Scoring lives in the Django service; the gateway only forwards.
app.post("/api/score", authenticate, async (req, res) => {
  const upstream = await fetch(`${SCORING_URL}/api/score/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ features: req.body.features }),
    signal: AbortSignal.timeout(5000),
  });
  res.status(upstream.status).json(await upstream.json());
});

app.get("/api/rooms/:id/history", authenticate, async (req, res) => {
  const upstream = await fetch(`${SCORING_URL}/api/rooms/${encodeURIComponent(req.params.id)}/messages/`, {
    signal: AbortSignal.timeout(5000),
  });
  res.status(upstream.status).json(await upstream.json());
});

const server = http.createServer(app);
const io = new Server(server, { cors: { origin: "https://app.example.com" } });

io.on("connection", (socket) => {
  socket.on("join", (room) => socket.join(String(room)));
  socket.on("message", async ({ room, text }) => {
    io.to(String(room)).emit("message", { text, at: Date.now() });
    await fetch(`${SCORING_URL}/api/rooms/${encodeURIComponent(room)}/messages/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(5000),
    });
  });
  socket.on("typing", (room) => socket.to(String(room)).emit("typing"));
});

server.listen(process.env.PORT || 3000);
