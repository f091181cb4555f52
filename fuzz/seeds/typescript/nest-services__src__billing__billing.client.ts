import { Injectable } from "@nestjs/common";
import * as crypto from "crypto";

// Same name as the client of the @acme/billing package that UsersController
// injects; this one is not it.
@Injectable()
export class BillingClient {
  charge(id: string) {
    // ok: node/sync-api-in-handler
    const key = crypto.pbkdf2Sync(id, "billing", 100000, 32, "sha256");
    return key.toString("hex");
  }
}
