"""The managers' dashboard is rendered from this folder's templates (see chassis.web.pages)."""

from __future__ import annotations

from pathlib import Path

from chassis.web.pages import PageRenderer

TEMPLATES = Path(__file__).parent / "templates"
render = PageRenderer(TEMPLATES).render
