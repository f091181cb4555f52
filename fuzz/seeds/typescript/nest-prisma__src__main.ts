import { NestFactory } from "@nestjs/core";
import { readFileSync } from "node:fs";
import { AppModule } from "./app.module";

async function bootstrap() {
  const httpsOptions = {
    // Startup, before listening: fine.
    // ok: node/sync-api-in-handler
    key: readFileSync(process.env.TLS_KEY ?? "key.pem"),
    cert: readFileSync(process.env.TLS_CERT ?? "cert.pem"),
  };
  // expect: express/missing-helmet, express/missing-rate-limit, nest/missing-validation-pipe
  const app = await NestFactory.create(AppModule, { httpsOptions });
  await app.listen(3000);
}
bootstrap();
