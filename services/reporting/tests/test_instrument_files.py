"""Reporting reads the instruments' item → area mapping from the shared data files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.reporting.adapters.instrument_files import InstrumentFilesError, load_instruments
from services.reporting.settings import DEFAULT_INSTRUMENTS_DIR, ReportingSettings


def test_the_shared_instruments_are_read_with_their_areas() -> None:
    instruments = load_instruments(DEFAULT_INSTRUMENTS_DIR)
    primary = instruments[("digipolku-itsearvio", "1")]
    assert primary.visibility == "individual"
    assert primary.area("self_knowledge") is not None
    assert primary.area("self_knowledge").item_ids == (  # type: ignore[union-attr]
        "self_knowledge-1",
        "self_knowledge-2",
        "self_knowledge-3",
    )
    assert len(primary.areas) == 12
    assert instruments[("ryhmaindikaattori", "1")].visibility == "group_only"


def test_the_folder_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DIGIPOLKU_ENVIRONMENT", "development")
    monkeypatch.setenv("DIGIPOLKU_INSTRUMENTS_DIR", str(tmp_path))
    assert ReportingSettings().instruments_dir == tmp_path


def test_a_missing_or_broken_folder_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(InstrumentFilesError):
        load_instruments(tmp_path / "nowhere")
    (tmp_path / "broken.json").write_text(json.dumps({"instrument_id": "x"}), "utf-8")
    with pytest.raises(InstrumentFilesError):
        load_instruments(tmp_path)
