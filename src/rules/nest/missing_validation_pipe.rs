//! `nest/missing-validation-pipe`: DTO-typed request bodies and no global
//! ValidationPipe.

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::finding::Location;
use crate::model::node::apps::{self, Feature};
use crate::model::node::facts::ObjKind;

const DOC: &str = r#####"
id = "nest/missing-validation-pipe"
languages = ["typescript"]
severity = "warning"
category = "security"
confidence = "medium"
summary = "NestJS app with DTO-typed @Body() parameters and no global ValidationPipe"

[docs]
what = """
Flags a NestJS app (`NestFactory.create(AppModule)`) whose controllers take `@Body()` parameters
typed with classes (DTOs) when no global pipe is registered: neither
`app.useGlobalPipes(new ValidationPipe(...))` nor an `APP_PIPE` provider. Parameters validated
locally — `@Body(new ValidationPipe())`, `@UsePipes(...)` on the method or controller — are not
counted. The app's files are found by following its root module, its imports and controllers. The
finding points at the `NestFactory.create` call; the unvalidated parameters are related locations.
"""
why = """
A TypeScript type is erased at run time: without a ValidationPipe the class-validator decorators on
a DTO are never run and the handler receives whatever JSON the client sent — missing fields, wrong
types, extra properties such as `isAdmin: true` that end up in `repository.save(dto)` (mass
assignment).
"""
example = '''
// main.ts
const app = await NestFactory.create(AppModule);
await app.listen(3000);

// users.controller.ts
@Post()
create(@Body() dto: CreateUserDto) { return this.users.create(dto); }
'''
fix = '''
Validate every body globally, stripping unknown properties:

    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));

or provide it in the root module: `{ provide: APP_PIPE, useValue: new ValidationPipe({ whitelist: true }) }`.
'''
references = [
  "https://docs.nestjs.com/techniques/validation",
  "https://docs.nestjs.com/pipes#global-scoped-pipes",
  "https://cheatsheetseries.owasp.org/cheatsheets/Mass_Assignment_Cheat_Sheet.html",
]
guidance = ["G10"]

[[examples]]
path = "src/main.ts"
invalid = '''
import { NestFactory } from "@nestjs/core";
import { AppModule } from "./app.module";
async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
'''
valid = '''
import { NestFactory } from "@nestjs/core";
import { ValidationPipe } from "@nestjs/common";
import { AppModule } from "./app.module";
async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true }));
  await app.listen(3000);
}
bootstrap();
'''
files = { "src/app.module.ts" = "import { Module } from '@nestjs/common';\nimport { UsersController } from './users.controller';\n@Module({ controllers: [UsersController] })\nexport class AppModule {}\n", "src/users.controller.ts" = "import { Body, Controller, Post } from '@nestjs/common';\nimport { CreateUserDto } from './create-user.dto';\n@Controller('users')\nexport class UsersController {\n  @Post()\n  create(@Body() dto: CreateUserDto) { return dto; }\n}\n", "src/create-user.dto.ts" = "import { IsEmail } from 'class-validator';\nexport class CreateUserDto {\n  @IsEmail() email: string;\n}\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    apps::with_model(ctx, |m| {
        for app in m.reportable().filter(|a| a.kind == ObjKind::Nest) {
            let bodies = m.unvalidated_bodies(app);
            if bodies.is_empty() {
                continue;
            }
            if m.has(app, Feature::ValidationPipe) || m.orphan(app, Feature::ValidationPipe).is_some() {
                continue;
            }
            let message = format!(
                "NestJS app has {} @Body() parameter{} typed with DTO classes and no global ValidationPipe: their validation decorators never run and any JSON reaches the handlers; add app.useGlobalPipes(new ValidationPipe({{ whitelist: true }}))",
                bodies.len(),
                if bodies.len() == 1 { "" } else { "s" }
            );
            let at = Location { message: None, ..app.created.clone() };
            let f = out.report(at, message);
            for b in bodies.into_iter().take(5) {
                f.related(b);
            }
        }
    });
}
