import { Module } from "@nestjs/common";
import { ScheduleModule } from "@nestjs/schedule";
import { AuditService } from "./audit/audit.service";
import { BillingClient } from "./billing/billing.client";
import { FilesService } from "./files/files.service";
import { LegacyUsersService } from "./legacy/legacy-users.service";
import { PostsService } from "./posts";
import { PrismaService } from "./prisma/prisma.service";
import { ReportsService } from "./reports/reports.service";
import { TasksService } from "./tasks/tasks.service";
import { UsersController } from "./users/users.controller";
import { UsersService } from "./users/users.service";

@Module({
  imports: [ScheduleModule.forRoot()],
  controllers: [UsersController],
  providers: [
    AuditService,
    BillingClient,
    FilesService,
    LegacyUsersService,
    PostsService,
    PrismaService,
    ReportsService,
    TasksService,
    UsersService,
  ],
})
export class AppModule {}
