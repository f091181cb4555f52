import { Injectable } from "@nestjs/common";
import { promises as fsp } from "fs";
import * as path from "path";

const LOG_DIR = "/var/log/searches";

@Injectable()
export class FilesService {
  // UsersService.search passes the request's ?name= on to here.
  async remember(term: string) {
    // expect: node/path-traversal
    await fsp.appendFile(path.join(LOG_DIR, term), `${new Date().toISOString()}\n`);
  }

  // Only ever called with a constant name.
  async touch(name: string) {
    // ok: node/path-traversal
    await fsp.appendFile(path.join(LOG_DIR, name), "");
  }
}
