// TypeScript generics, conditional and mapped types, decorators, satisfies,
// enums, overloads, abstract classes, assertion functions.
import { Controller, Get, Injectable, Param, Query } from "@nestjs/common";

type Maybe<T> = T | null | undefined;
type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };
type ElementOf<T> = T extends readonly (infer U)[] ? U : never;
type Getters<T> = { [K in keyof T as `get${Capitalize<string & K>}`]: () => T[K] };

export enum Role {
  Admin = "admin",
  User = "user",
}

export const enum Flags {
  None = 0,
  A = 1 << 0,
}

interface Repo<T extends { id: number }, K extends keyof T = keyof T> {
  find(id: T["id"]): Promise<Maybe<T>>;
  pick<P extends K>(row: T, ...keys: P[]): Pick<T, P>;
}

function assertDefined<T>(v: T): asserts v is NonNullable<T> {
  if (v == null) throw new Error("undefined");
}

function parse(input: string): number;
function parse(input: number): string;
function parse(input: string | number): string | number {
  return typeof input === "string" ? Number(input) : String(input);
}

export abstract class Base<T> {
  protected abstract load(): Promise<T[]>;
  constructor(private readonly name: string, public tags: readonly string[] = []) {}
}

@Injectable()
export class UsersService extends Base<{ id: number; role: Role }> {
  protected async load() {
    return [{ id: 1, role: Role.Admin }] satisfies { id: number; role: Role }[];
  }
  first = <T,>(xs: T[]): T | undefined => xs[0];
}

@Controller("users")
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(":id")
  async one(@Param("id") id: string, @Query() q: Record<string, string | undefined>): Promise<unknown> {
    const n = parse(id) as unknown as number;
    assertDefined(n);
    return this.users.first<number>([n!]);
  }
}

export type { Repo, Getters, ElementOf, DeepReadonly };
