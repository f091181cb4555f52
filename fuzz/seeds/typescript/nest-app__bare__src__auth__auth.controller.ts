import { Body, Controller, Post, UsePipes, ValidationPipe } from "@nestjs/common";
import { LoginDto } from "./login.dto";

interface RefreshBody {
  token: string;
}

@Controller("auth")
export class AuthController {
  @Post("login")
  login(@Body() dto: LoginDto) {
    return { email: dto.email };
  }

  // Validated here, by a method pipe.
  @Post("signup")
  @UsePipes(new ValidationPipe({ whitelist: true }))
  signup(@Body() dto: LoginDto) {
    return { email: dto.email };
  }

  // An interface: nothing a ValidationPipe could check.
  @Post("token/refresh")
  refresh(@Body() body: RefreshBody) {
    return body.token;
  }
}
