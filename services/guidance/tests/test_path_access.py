"""Who may see a path's guidance."""

from __future__ import annotations

from uuid import uuid4

from chassis.auth import Principal
from services.guidance.adapters.path_access import PathAccess

ACCESS = PathAccess(uuid4(), "kanta-hame", "c-1", ("staff-1",))


def test_the_paths_own_client_belongs_to_it() -> None:
    assert ACCESS.belongs_to(Principal("x", "client", "kanta-hame", client_ref="c-1"))
    assert not ACCESS.belongs_to(Principal("x", "client", "kanta-hame", client_ref="c-2"))
    assert not ACCESS.belongs_to(Principal("x", "client", "pirkanmaa", client_ref="c-1"))
    assert not ACCESS.is_guided_by(Principal("x", "client", "kanta-hame", client_ref="c-1"))


def test_a_path_without_a_known_client_belongs_to_no_client() -> None:
    unknown = PathAccess(uuid4(), "kanta-hame", None, ())
    assert not unknown.belongs_to(Principal("x", "client", "kanta-hame", client_ref=None))


def test_assigned_counselors_and_the_tenants_admins_guide_it() -> None:
    assert ACCESS.is_guided_by(Principal("staff-1", "counselor", "kanta-hame"))
    assert not ACCESS.is_guided_by(Principal("staff-2", "counselor", "kanta-hame"))
    assert ACCESS.is_guided_by(Principal("admin-1", "admin", "kanta-hame"))
    assert not ACCESS.is_guided_by(Principal("admin-1", "admin", "pirkanmaa"))
    assert not ACCESS.is_guided_by(Principal("staff-1", "counselor", "pirkanmaa"))
    assert not ACCESS.is_guided_by(Principal("boss", "manager", "kanta-hame"))
