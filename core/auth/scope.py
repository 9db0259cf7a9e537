"""The Scope: what a user may see and change, built from the user's role by core.policy's table.
Every read and write in `core` takes one: it is the security boundary, hiding pages is only
convenience."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from core import policy
from core.auth.base import AuthError
from core.models import CuratorLink, School, User
from core.territories import contained


@dataclass(frozen=True)
class Scope:
    """What a user may see and change. `territory_ids`/`school_ids` None means "all"."""

    user_id: int | None
    login: str
    role: str
    territory_ids: frozenset[int] | None
    school_ids: frozenset[int] | None
    own_school_id: int | None = None

    @property
    def sees_everything(self) -> bool:
        return self.territory_ids is None and self.school_ids is None

    @property
    def sees_whole_territory(self) -> bool:
        """Territory-wide views (the overview, all schools of a territory)."""
        return self.school_ids is None

    def can_see_territory(self, territory_id: int) -> bool:
        return self.territory_ids is None or territory_id in self.territory_ids

    def can_see_school(self, school_id: int, territory_id: int | None = None) -> bool:
        if self.school_ids is not None:
            return school_id in self.school_ids
        return territory_id is None or self.can_see_territory(territory_id)

    def may(self, action: str) -> bool:
        """May this user's role attempt the action (core.policy)? Rows are the Scope's business."""
        return policy.allowed(self.role, action)

    @property
    def can_upload(self) -> bool:
        return policy.allowed(self.role, "upload")

    @property
    def can_edit_roadmap(self) -> bool:
        return policy.allowed(self.role, "edit_roadmap")

    @property
    def is_admin(self) -> bool:
        """Acts on every territory (uploads, users, maintenance): the policy's «act_on_any_upload»."""
        return policy.allowed(self.role, "act_on_any_upload")


def system_scope() -> Scope:
    """For start-up, the demo builder and CLI tools run by the operator."""
    return Scope(user_id=None, login="system", role="admin", territory_ids=None, school_ids=None)


def scope_for(session: Session, user: User) -> Scope:
    role = user.role
    sees = policy.sees(role) if role in policy.ROLES_SEE else None
    if sees == "everything":
        return Scope(user.id, user.login, role, None, None)
    if sees == "territory":  # their territory and every one it contains (a region's municipalities)
        return Scope(user.id, user.login, role, contained(session, [user.territory_id] if user.territory_id else []),
                     None)
    if sees == "own_school":
        if not user.school_id:
            return Scope(user.id, user.login, role, frozenset(), frozenset())
        school = session.get(School, user.school_id)
        return Scope(user.id, user.login, role, frozenset({school.territory_id}),
                     frozenset({school.id}), own_school_id=school.id)
    if sees == "curated":
        schools: set[int] = set()
        if user.school_id:
            schools.add(user.school_id)
            schools.update(session.exec(
                select(CuratorLink.school_id).where(CuratorLink.curator_school_id == user.school_id)
            ).all())
        terrs = set(session.exec(select(School.territory_id).where(col(School.id).in_(schools))).all()) if schools else set()
        return Scope(user.id, user.login, role, frozenset(terrs), frozenset(schools),
                     own_school_id=user.school_id)
    raise AuthError(f"Неизвестная роль: {role}")
