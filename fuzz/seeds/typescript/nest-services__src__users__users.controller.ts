import { Body, Controller, Get, Inject, Param, ParseIntPipe, Post, Query, forwardRef } from "@nestjs/common";
import { BillingClient } from "@acme/billing";
import { ReportsService } from "../reports/reports.service";
import { CreateUserDto } from "./create-user.dto";
import { UsersService } from "./users.service";

@Controller("users")
export class UsersController {
  constructor(
    private readonly usersService: UsersService,
    @Inject(forwardRef(() => ReportsService)) private reports: ReportsService,
    // From a package: whatever `charge` does is not this project's code.
    private readonly billing: BillingClient,
  ) {}

  // Startup, not a request: what it calls is not a handler.
  onModuleInit() {
    this.usersService.warmUp();
  }

  @Get()
  findAll() {
    return this.usersService.findAll();
  }

  @Get("search")
  search(@Query("name") name: string) {
    return this.usersService.search(name);
  }

  @Get(":id/avatar")
  avatar(@Param("id", ParseIntPipe) id: number) {
    return this.usersService.avatar(id);
  }

  @Get(":id/attachment")
  attachment(@Param("id") id: string, @Query("file") file: string) {
    return this.usersService.attachment(id, file);
  }

  @Post()
  create(@Body() dto: CreateUserDto) {
    return this.usersService.create(dto);
  }

  @Post("import")
  import(@Body() rows: CreateUserDto[]) {
    return this.usersService.importRows(rows);
  }

  @Get("export")
  exportCsv() {
    return this.usersService.exportCsv();
  }

  @Get("report")
  report(@Query("month") month: string) {
    return this.reports.monthly(month);
  }

  @Post(":id/charge")
  charge(@Param("id") id: string) {
    return this.billing.charge(id);
  }
}
