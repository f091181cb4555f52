import { Body, Controller, Get, Param, Post, Query, Res } from "@nestjs/common";
import { DataSource } from "typeorm";
import { CreateUserDto } from "./create-user.dto";

@Controller("users")
export class UsersController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  create(@Body() dto: CreateUserDto) {
    return dto;
  }

  @Get("search")
  search(@Query("name") name: string) {
    // NestJS @Query() parameters are request data.
    // expect: node/sql-injection
    return this.dataSource.query(`SELECT * FROM users WHERE name LIKE '%${name}%'`);
  }

  @Get(":id")
  find(@Param("id") id: string) {
    // ok: node/sql-injection
    return this.dataSource.query("SELECT * FROM users WHERE id = $1", [id]);
  }
}
