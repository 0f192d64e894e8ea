"""`python -m devstack.demo` (make demo-data): migrate var/ and load the demo city once, with progress bars."""

import asyncio

from devstack.demo import load
from devstack.supervisor import Stack
from shared.auth import generate_keypair


def main() -> None:
    stack = Stack()
    stack.var_dir.mkdir(parents=True, exist_ok=True)
    if not stack.private_key.exists():
        generate_keypair(stack.private_key, stack.public_key)
    for name, count in asyncio.run(load(stack, progress=True)).items():
        print(f"{name:<20} {'loaded ' + str(count) if count else 'already there, nothing changed'}")


if __name__ == "__main__":
    main()
