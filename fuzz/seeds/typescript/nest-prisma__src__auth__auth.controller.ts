import { Body, Controller, Post } from "@nestjs/common";
import * as bcrypt from "bcrypt";

class RegisterDto {
  email!: string;
  password!: string;
}

@Controller("auth")
export class AuthController {
  @Post("register")
  register(@Body() dto: RegisterDto) {
    // expect: node/sync-api-in-handler
    const hash = bcrypt.hashSync(dto.password, 12);
    return { email: dto.email, hash };
  }

  @Post("login")
  async login(@Body() dto: RegisterDto) {
    // ok: node/sync-api-in-handler
    const hash = await bcrypt.hash(dto.password, 12);
    return { ok: hash.length > 0 };
  }
}
