import { Module } from "@nestjs/common";
import { PrismaService } from "./prisma/prisma.service";
import { UsersController } from "./users/users.controller";
import { UsersService } from "./users/users.service";
import { AuthController } from "./auth/auth.controller";

@Module({
  controllers: [UsersController, AuthController],
  providers: [PrismaService, UsersService],
})
export class AppModule {}
