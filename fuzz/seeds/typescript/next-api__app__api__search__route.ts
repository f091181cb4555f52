import { NextRequest, NextResponse } from "next/server";
import { prisma } from "@/lib/prisma";

export async function GET(request: NextRequest) {
  const q = request.nextUrl.searchParams.get("q") ?? "";
  // expect: node/redos-regex
  const re = new RegExp(q, "i");
  const posts = await prisma.post.findMany({ take: 100 });
  return NextResponse.json(posts.filter((p) => re.test(p.title)));
}

export async function POST(request: NextRequest) {
  const { ids } = await request.json();
  const posts = await Promise.all(
    // expect: node/n-plus-one-parallel
    ids.map((id: number) => prisma.post.findFirst({ where: { id, published: true } })),
  );
  return NextResponse.json(posts);
}
