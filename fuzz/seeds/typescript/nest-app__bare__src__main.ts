import { NestFactory } from "@nestjs/core";
import { AppModule } from "./app.module";

async function bootstrap() {
  // expect: express/missing-helmet, express/missing-rate-limit, nest/missing-validation-pipe
  const app = await NestFactory.create(AppModule, {
    // expect: express/permissive-cors
    cors: { origin: true, credentials: true },
  });
  await app.listen(3000);
}
bootstrap();
