import type { NextApiRequest, NextApiResponse } from "next";
import { readFileSync } from "fs";

// Read once when the route module loads.
// ok: node/sync-api-in-handler
const version = readFileSync(process.cwd() + "/VERSION", "utf8").trim();

export default function health(_req: NextApiRequest, res: NextApiResponse) {
  res.status(200).json({ ok: true, version });
}
