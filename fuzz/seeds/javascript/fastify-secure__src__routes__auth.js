export default async function authRoutes(fastify) {
  fastify.post(
    "/login",
    { config: { rateLimit: { max: 5, timeWindow: "1 minute" } } },
    async (request, reply) => {
      const { email, password } = request.body;
      const user = await fastify.users.verify(email, password);
      if (!user) return reply.code(401).send({ error: "invalid credentials" });
      return { token: fastify.jwt.sign({ sub: user.id }) };
    },
  );

  fastify.get("/callback", async (request, reply) => {
    // ok: node/open-redirect
    return reply.redirect(`/auth/done?state=${encodeURIComponent(request.query.state)}`);
  });
}
