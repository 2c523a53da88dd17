"""Verify a service's access log chain: `python -m chassis.access_log_verify --database-url URL`.

Prints `ok, N entries (head ...)` and exits 0, or names the first broken link (the entry, what
was expected and what was found) and exits 1. Reading is enough: the service's own role will
do. Record the printed head somewhere the database's owner cannot write (decision 0024): a
later run whose chain no longer passes through it shows a rewrite from that point on.
"""

from __future__ import annotations

import argparse
import asyncio
import os

import asyncpg

from chassis.access_log_chain import ChainVerdict, verify_chain


async def verify(database_url: str) -> ChainVerdict:
    connection = await asyncpg.connect(database_url)
    try:
        return await verify_chain(connection)
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify the access log's hash chain.")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DIGIPOLKU_DATABASE_URL"),
        help="the service's database (default: DIGIPOLKU_DATABASE_URL)",
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url or DIGIPOLKU_DATABASE_URL is needed")
    verdict = asyncio.run(verify(args.database_url))
    print(verdict)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
