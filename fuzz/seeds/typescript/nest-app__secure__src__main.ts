import { NestFactory } from "@nestjs/core";
import { ValidationPipe } from "@nestjs/common";
import helmet from "helmet";
import { AppModule } from "./app.module";

async function bootstrap() {
  // ok: express/missing-helmet, express/missing-rate-limit, nest/missing-validation-pipe
  const app = await NestFactory.create(AppModule);
  app.use(helmet());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  // ok: express/permissive-cors
  app.enableCors({ origin: ["https://app.example.com"], credentials: true });
  await app.listen(3000);
}
bootstrap();
