"""Users, password hashing (Argon2), server-side sessions, login throttling, roles and the Scope.

The browser holds only a random session token in an HttpOnly cookie; the database keeps its
SHA-256. Every read and write in `core` takes a `Scope` built here from the user: it is the
security boundary, hiding pages is only convenience.

The parts, each importing only those before it:
    base        the two refusals (AccessDenied, AuthError) and UTC-aware datetimes
    passwords   Argon2id hashing outside any write transaction; the rules of logins and names
    scope       the Scope and what each role sees (core.policy)
    auditing    the audit log's entries; access denials and refused writes, audited
    throttling  login attempts per login and address, per address; the client's address
    sessions    login, tokens, expiry, idle time, revocation, the sessions-ended callbacks
    accounts    creating users (the first administrator too), changing passwords

Callers use the package (`from core import auth; auth.login(...)`): every public name is here.
"""

from core.auth.base import AccessDenied, AuthError, aware
from core.auth.passwords import (
    ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST, MAX_LOGIN_LENGTH, MAX_NAME_LENGTH, MIN_PASSWORD_LENGTH,
    check_full_name, check_login, check_password_rules, hash_password, needs_rehash, verify_password)
from core.auth.scope import Scope, scope_for, system_scope
from core.auth.auditing import audit, audits_refusals, deny, require
from core.auth.throttling import (
    Throttle, active_throttles, clear_throttle, client_address, is_throttled, serialise_attempts, throttle_for,
    throttle_message)
from core.auth.sessions import (
    COOKIE_NAME, LoginResult, bind_script_session, login, logout, logout_csrf, on_sessions_ended, resolve,
    revoke_all_sessions, revoke_token, revoke_user_sessions, script_session_owner, sessions_ended, token_hash)
from core.auth.accounts import (
    FIRST_ADMIN_EXISTS, check_ties, create_first_admin, create_user, has_users, set_password)
from core.models import User  # noqa: F401 - callers have read it as auth.User
from core.vocabulary import ROLES  # noqa: F401 - callers have read it as auth.ROLES

__all__ = [
    "AccessDenied", "AuthError", "aware",
    "ARGON2_MEMORY_KIB", "ARGON2_PARALLELISM", "ARGON2_TIME_COST", "MAX_LOGIN_LENGTH", "MAX_NAME_LENGTH",
    "MIN_PASSWORD_LENGTH", "check_full_name", "check_login", "check_password_rules", "hash_password",
    "needs_rehash", "verify_password",
    "Scope", "scope_for", "system_scope",
    "audit", "audits_refusals", "deny", "require",
    "Throttle", "active_throttles", "clear_throttle", "client_address", "is_throttled", "serialise_attempts",
    "throttle_for", "throttle_message",
    "COOKIE_NAME", "LoginResult", "bind_script_session", "login", "logout", "logout_csrf", "on_sessions_ended",
    "resolve", "revoke_all_sessions", "revoke_token", "revoke_user_sessions", "script_session_owner",
    "sessions_ended", "token_hash",
    "FIRST_ADMIN_EXISTS", "check_ties", "create_first_admin", "create_user", "has_users", "set_password",
    "User", "ROLES",
]
