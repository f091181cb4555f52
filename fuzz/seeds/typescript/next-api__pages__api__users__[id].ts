import type { NextApiRequest, NextApiResponse } from "next";
import { prisma } from "../../../lib/prisma";

export default async function handler(req: NextApiRequest, res: NextApiResponse) {
  const id = Number(req.query.id);
  const posts = await prisma.post.findMany({ where: { authorId: id } });
  for (const post of posts) {
    // expect: node/n-plus-one-query
    const comments = await prisma.comment.count({ where: { postId: post.id } });
    Object.assign(post, { comments });
  }
  // ok: node/n-plus-one-query
  const withCounts = await prisma.post.findMany({
    where: { authorId: id },
    include: { _count: { select: { comments: true } } },
  });
  res.status(200).json({ posts, withCounts });
}
