import { Injectable } from "@nestjs/common";
import * as fs from "fs";

// Reached from UsersController through UsersService.findAll (two files away),
// imported through the folder's index.ts.
@Injectable()
export class PostsService {
  featured() {
    // expect: node/sync-api-in-handler
    return JSON.parse(fs.readFileSync("featured.json", "utf8"));
  }

  archive() {
    // Nothing calls this.
    // ok: node/sync-api-in-handler
    return fs.readdirSync("archive");
  }
}
