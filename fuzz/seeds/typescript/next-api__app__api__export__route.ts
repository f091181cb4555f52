import { execFileSync } from "node:child_process";
import { NextResponse } from "next/server";

export const POST = async () => {
  // expect: node/sync-api-in-handler
  const out = execFileSync("pg_dump", ["--schema-only", process.env.DATABASE_URL ?? ""]);
  return new NextResponse(out);
};
