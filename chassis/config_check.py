"""The verdict on a service's configuration, before anything starts.

A service reads several settings classes (the chassis' and its own). Each refuses what
production may not run with; this module asks all of them and gathers every problem, so that a
service refusing to start, and the operator's `digipolku check-config`, name them all at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from chassis.production import ProductionRefusal


class ConfigurationRefused(SystemExit):
    """Raised instead of starting: the message lists every problem found."""


def configuration_problems(classes: Sequence[type[BaseSettings]], **given: object) -> list[str]:
    """Every problem the settings classes find in the environment (empty: fine to start).

    `given` are values the caller sets itself (the service's name), passed to the classes that
    have such a field.
    """
    problems: list[str] = []
    for settings_class in classes:
        fields = settings_class.model_fields
        values: dict[str, Any] = {name: value for name, value in given.items() if name in fields}
        try:
            settings_class(**values)
        except ValidationError as invalid:
            problems.extend(_described(invalid))
        except ValueError as invalid:  # a check that runs outside pydantic's validation
            problems.append(str(invalid))
    return list(dict.fromkeys(problems))  # the chassis' checks may repeat in a subclass


def refuse_to_start(classes: Sequence[type[BaseSettings]], **given: object) -> None:
    problems = configuration_problems(classes, **given)
    if problems:
        raise ConfigurationRefused(
            "refusing to start:\n" + "\n".join(f"  - {problem}" for problem in problems)
        )


def _described(invalid: ValidationError) -> list[str]:
    problems: list[str] = []
    for error in invalid.errors(include_url=False):
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, ProductionRefusal):
            problems.extend(cause.problems)
            continue
        if isinstance(cause, Exception):  # a check of the class's own, which names its setting
            problems.append(str(cause))
            continue
        where = "_".join(str(part) for part in error["loc"]).upper()
        name = f"DIGIPOLKU_{where}" if where else "settings"
        problems.append(f"{name}: {error['msg']}")
    return problems
