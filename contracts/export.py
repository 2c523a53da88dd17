"""`python -m contracts.export [--check]`: write (or check) the committed JSON Schemas.

Writing refuses to replace a committed schema with a breaking one: a published event changes
by a new version and an upcaster, so the old schema stays to be checked against forever.
"""

from __future__ import annotations

import argparse
import sys

from contracts.compat import all_problems
from contracts.schema_files import SCHEMA_DIR, expected_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the committed schemas differ from the models",
    )
    args = parser.parse_args(argv)
    files = expected_files()
    stale = [
        path
        for path, text in files.items()
        if not (SCHEMA_DIR / path).exists() or (SCHEMA_DIR / path).read_text("utf-8") != text
    ]
    if args.check:
        for path in stale:
            print(f"stale or missing schema: contracts/schemas/{path}", file=sys.stderr)
        if stale:
            print("run `make schemas` and commit the result", file=sys.stderr)
            return 1
        print(f"contracts: {len(files)} committed schemas match the models")
        return 0
    problems = all_problems()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print("not written: these changes would break consumers", file=sys.stderr)
        return 1
    for path in stale:
        (SCHEMA_DIR / path).parent.mkdir(parents=True, exist_ok=True)
        (SCHEMA_DIR / path).write_text(files[path], encoding="utf-8")
        print(f"wrote contracts/schemas/{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
