import { Body, Controller, Get, Param, ParseIntPipe, Post, Query } from "@nestjs/common";
import * as fs from "fs";
import { UsersService } from "./users.service";

class ImportDto {
  rows!: { email: string; groups: string[] }[];
  knownGroups!: string[];
}

@Controller("users")
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get("posts")
  posts(@Query("ids") ids: string) {
    return this.users.postsByAuthors(ids.split(",").map(Number));
  }

  @Get(":id/avatar")
  avatar(@Param("id", ParseIntPipe) id: number) {
    // expect: node/sync-api-in-handler
    return fs.readFileSync(`/var/avatars/${id}.png`);
  }

  @Post("import")
  import(@Body() body: ImportDto) {
    const unknown: string[] = [];
    // expect: node/cpu-loop-in-handler
    for (const row of body.rows) {
      for (const group of row.groups) {
        if (!body.knownGroups.includes(group)) unknown.push(`${row.email}:${group}`);
      }
    }
    return { unknown };
  }

  @Get("slugs")
  slugs(@Query("title") title: string) {
    // expect: node/redos-regex
    const ok = /^([a-z0-9]+-?)+$/.test(title);
    return { ok };
  }
}
