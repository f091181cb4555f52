import { Injectable } from "@nestjs/common";
import * as bcrypt from "bcrypt";
import * as fs from "fs";
import * as path from "path";
import { FilesService } from "../files/files.service";
import { PostsService } from "../posts";
import { PrismaService } from "../prisma/prisma.service";
import { CreateUserDto } from "./create-user.dto";

const AVATARS = "/var/avatars";

// Its methods run when UsersController (another file) calls them through
// constructor injection: they are request handlers for the rules.
@Injectable()
export class UsersService {
  private template = "";

  constructor(
    private prisma: PrismaService,
    private readonly posts: PostsService,
    private readonly files: FilesService,
  ) {}

  // Runs once at startup.
  onModuleInit() {
    // ok: node/sync-api-in-handler
    this.template = fs.readFileSync("templates/welcome.html", "utf8");
  }

  async findAll() {
    const users = await this.prisma.user.findMany();
    for (const u of users) {
      // expect: node/n-plus-one-query
      (u as any).posts = await this.prisma.post.findMany({ where: { authorId: u.id } });
    }
    return { users, featured: await this.posts.featured() };
  }

  async search(name: string) {
    // The controller passes the request's ?name= here: an error, not a warning.
    await this.files.remember(name);
    // expect: node/sql-injection
    return this.prisma.$queryRawUnsafe(`SELECT * FROM "User" WHERE name LIKE '%${name}%'`);
  }

  async avatar(id: number) {
    // `id` went through ParseIntPipe in the controller: a number, not a path.
    // ok: node/path-traversal
    return fs.promises.readFile(path.join(AVATARS, `${id}.png`));
  }

  async attachment(id: string, file: string) {
    // expect: node/path-traversal
    return fs.promises.readFile(path.join("/srv/attachments", id, file));
  }

  async create(dto: CreateUserDto) {
    // expect: node/sync-api-in-handler
    const hash = bcrypt.hashSync(dto.password, 12);
    return this.prisma.user.create({ data: { email: dto.email, name: dto.name, hash } });
  }

  importRows(rows: CreateUserDto[]) {
    const seen: string[] = [];
    // expect: node/cpu-loop-in-handler
    for (const row of rows) {
      for (const tag of row.tags) {
        if (!seen.includes(tag)) seen.push(tag);
      }
    }
    return seen;
  }

  exportCsv() {
    // A small file read on purpose, acknowledged:
    // stackfit: ignore[node/sync-api-in-handler]
    return fs.readFileSync("exports/users.csv", "utf8");
  }

  // Called from the controller's onModuleInit only.
  warmUp() {
    // ok: node/sync-api-in-handler
    return fs.readFileSync(path.join(AVATARS, "default.png"));
  }

  // Called from TasksService's @Cron job only.
  rebuildSearchIndex() {
    // ok: node/sync-api-in-handler
    fs.writeFileSync("search-index.json", JSON.stringify({ at: Date.now(), template: this.template }));
  }
}
