import { Injectable } from "@nestjs/common";
import { PrismaService } from "../prisma/prisma.service";

@Injectable()
export class UsersService {
  constructor(private readonly prisma: PrismaService) {}

  async postsByAuthors(authorIds: number[]) {
    const result: Record<number, unknown[]> = {};
    for (const authorId of authorIds) {
      // expect: node/n-plus-one-query
      result[authorId] = await this.prisma.post.findMany({ where: { authorId } });
    }
    return result;
  }

  async usersOneByOne(ids: number[]) {
    const users = [];
    for (let i = 0; i < ids.length; i++) {
      // Sequential findUnique calls are not batched: one round trip each.
      // expect: node/n-plus-one-query
      users.push(await this.prisma.user.findUnique({ where: { id: ids[i] } }));
    }
    return users;
  }

  async usersBatched(ids: number[]) {
    // Prisma batches findUnique calls issued in the same tick.
    // ok: node/n-plus-one-parallel
    return Promise.all(ids.map((id) => this.prisma.user.findUnique({ where: { id } })));
  }

  async latestPosts(ids: number[]) {
    const users = await this.prisma.user.findMany({ where: { id: { in: ids } } });
    return Promise.all(
      users.map(async (user) => {
        // findFirst is never batched.
        // expect: node/n-plus-one-parallel
        const latest = await this.prisma.post.findFirst({ where: { authorId: user.id }, orderBy: { id: "desc" } });
        return { ...user, latest };
      }),
    );
  }

  async withPosts(ids: number[]) {
    // ok: node/n-plus-one-query
    return this.prisma.user.findMany({ where: { id: { in: ids } }, include: { posts: true } });
  }

  async countByRole() {
    const out: Record<string, number> = {};
    for (const role of ["ADMIN", "EDITOR", "READER"]) {
      // ok: node/n-plus-one-query
      out[role] = await this.prisma.user.count({ where: { role } });
    }
    return out;
  }
}
