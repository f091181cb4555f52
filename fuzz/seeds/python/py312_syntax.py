# Python 3.10-3.12 syntax: match statements, walrus, PEP 695 generics,
# type aliases, f-strings nesting quotes, exception groups, decorators on everything.
import functools
from dataclasses import dataclass

type Point = tuple[float, float]
type Tree[T] = T | list[Tree[T]]


def first[T](items: list[T]) -> T | None:
    return items[0] if items else None


class Box[T: (int, str)]:
    def __init__(self, value: T) -> None:
        self.value = value


@dataclass(frozen=True)
@functools.total_ordering
class Command:
    name: str
    args: list[str]

    @property
    @functools.cache
    def size(self) -> int:
        return len(self.args)

    @staticmethod
    @(lambda f: f)
    def parse(line: str) -> "Command":
        name, *args = line.split()
        return Command(name, args)


def handle(command: Command | dict | list | None) -> str:
    match command:
        case Command(name="go", args=[direction]):
            return f"going {direction}"
        case Command(name="quit" | "exit"):
            return "bye"
        case {"action": str(action), **rest} if rest:
            return f"{action} with {len(rest)} extras"
        case [1, 2, *others] | (3, *others):
            return f"{others!r}"
        case None:
            return "nothing"
        case _:
            return "unknown"


def read_chunks(stream):
    while (chunk := stream.read(1024)):
        if (n := len(chunk)) > 512:
            yield n
    print(f"done: {f'{len(chunk)}'} {"nested quotes"}")


async def gather_all(tasks):
    try:
        async with asyncio_timeout(5) as t, open("x") as f:
            results = [r async for r in tasks if (v := await r)]
    except* ValueError as group:
        results = []
    except* (TypeError, KeyError):
        raise
    return results


match = 1
case = [match, *(x for x in range(3))]
lambda_default = lambda x=(y := 2), /, *, z: x + z
print(match, case, lambda_default)
