"""`python -m contracts.export [--check]`: write (or check) the committed JSON Schemas.

Writes `contracts/schemas/<EventType>/v<N>.json` for every current and legacy event model and
`contracts/schemas/envelope/v1.json`. With `--check` nothing is written; the exit code is 1
when a file is missing or differs from what the models produce (a stale export).

Writing refuses when the current models break a committed schema (see `contracts.compat`) or
when a rewrite of a committed file would itself be breaking: a published event changes only
by a new schema_version and an upcaster, so an old schema stays to be checked against forever.
Committed files of versions no model produces any more are never deleted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from contracts.compat import all_problems
from contracts.schema_compat import breaking_changes
from contracts.schema_files import SCHEMA_DIR, expected_files, stale_files


def breaking_rewrites(paths: list[Path], schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Problems of overwriting committed files at `paths` with what the models produce now."""
    files = expected_files()
    problems: list[str] = []
    for path in paths:
        target = schema_dir / path
        if target.is_file():
            old = json.loads(target.read_text("utf-8"))
            new = json.loads(files[path])
            problems += [f"{path}: {p}" for p in breaking_changes(old, new)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contracts.export", description="Export the event JSON Schemas."
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the committed schemas differ from the models",
    )
    args = parser.parse_args(argv)
    stale = stale_files()
    if args.check:
        for path in stale:
            print(f"stale or missing schema: contracts/schemas/{path}", file=sys.stderr)
        if stale:
            print("run `python -m contracts.export` and commit the result", file=sys.stderr)
            return 1
        print(f"contracts: {len(expected_files())} committed schemas match the models")
        return 0
    problems = all_problems() + breaking_rewrites(stale)
    if problems:
        print("\n".join(f"BREAKING {p}" for p in problems), file=sys.stderr)
        print("nothing written: these changes would break consumers", file=sys.stderr)
        return 1
    files = expected_files()
    for path in stale:
        (SCHEMA_DIR / path).parent.mkdir(parents=True, exist_ok=True)
        (SCHEMA_DIR / path).write_text(files[path], encoding="utf-8")
        print(f"wrote contracts/schemas/{path}")
    if not stale:
        print(f"contracts: {len(files)} schemas already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
