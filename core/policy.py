"""Who may do what: one table of actions × roles, as datasette keeps its permissions.

Every check in core and every page's «may I show this» asks `allowed(who, action)` or
`core.auth.require(scope, action, what)` (which audits the refusal); no other module compares a role with a literal (the vocabulary,
which names the roles, and the Scope's construction in core.auth, which says what each role sees,
aside). A new role is one entry in ROLES_SEE and a word in the rows of the actions it may do;
a role absent from a row may not do that action (never a fall-through to another role's rights).

Which rows a user may act on (territories, schools) is the Scope's business (core.access turns it
into SQL); this table says which kinds of act a role may attempt at all.
"""

from __future__ import annotations

from core.vocabulary import ROLES

# What a role sees (core.auth.scope_for builds the Scope from it):
#   everything  — every territory and school
#   territory   — the user's territory and every territory below it, with all their schools
#   own_school  — the user's school only
#   curated     — the user's school and the schools it curates
ROLES_SEE: dict[str, str] = {
    "admin": "everything",
    "head": "territory",
    "methodologist": "territory",
    "curator": "curated",
    "principal": "own_school",
}

# What a user account of the role must be tied to (checked when a user is created or changed).
NEEDS: dict[str, str | None] = {
    "admin": None, "head": "territory", "methodologist": "territory", "curator": "school", "principal": "school"}

ACTIONS: dict[str, frozenset[str]] = {
    # the quarterly data
    "upload": frozenset({"admin", "methodologist", "principal"}),  # files and the browser form
    "enter_own_school_only": frozenset({"principal"}),  # an entry is for the user's own school, needs no reason
    "correct": frozenset({"admin", "methodologist"}),  # a change of another's value, with a reason
    "see_territory_uploads": frozenset({"admin", "methodologist", "head"}),  # not only one's own uploads
    "undo_others_uploads": frozenset({"admin", "methodologist"}),  # of their territories
    "read_territory_files": frozenset({"admin", "methodologist", "head"}),  # originals of their territories
    "act_on_any_upload": frozenset({"admin"}),  # every territory's uploads, whatever they touched
    "remember_columns": frozenset({"admin", "methodologist"}),  # an office table's columns, kept, changed, forgotten
    # the cycle
    "check": frozenset({"admin", "methodologist"}),  # open → checked and back
    "set_deadline": frozenset({"admin", "methodologist"}),
    "approve": frozenset({"admin", "head"}),  # checked → approved
    "unlock": frozenset({"admin", "head"}),  # approved → open, with a reason
    # roadmaps
    "edit_roadmap": frozenset({"admin", "methodologist"}),  # load, replace, mark activities
    "create_territory": frozenset({"admin"}),  # a roadmap for a territory not in the system yet
    # administration
    "manage_users": frozenset({"admin"}),
    "maintain": frozenset({"admin"}),  # backups, restore, login delays
}

assert set(ROLES_SEE) == set(ROLES) == set(NEEDS), "every role has a row of what it sees and needs"
assert all(r in ROLES for roles in ACTIONS.values() for r in roles), "an action names an unknown role"


def _role(who) -> str:
    return who if isinstance(who, str) else who.role


def allowed(who, action: str) -> bool:
    """May this role (or this Scope's role) attempt the action? An unknown action is an error."""
    try:
        return _role(who) in ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


def sees(role: str) -> str:
    return ROLES_SEE[role]


def needs(role: str) -> str | None:
    return NEEDS[role]


def roles_for(action: str) -> tuple[str, ...]:
    """The roles that may do an action, in the vocabulary's order (for messages and tests)."""
    return tuple(r for r in ROLES if r in ACTIONS[action])
