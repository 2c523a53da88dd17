"""The client's pages are rendered from this folder's templates (see chassis.web.pages)."""

from __future__ import annotations

from pathlib import Path

from chassis.web.pages import PageRenderer
from services.tasks.web.listen import spoken

TEMPLATES = Path(__file__).parent / "templates"
render = PageRenderer(TEMPLATES, helpers={"spoken": spoken}).render
