"""Passwords (Argon2id, outside any write transaction) and the rules of logins and names."""

from __future__ import annotations

import os
import re
import secrets
import threading
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.auth.base import AuthError

MIN_PASSWORD_LENGTH = 8

# Argon2id with OWASP's Password Storage Cheat Sheet parameters (its first listed configuration:
# m=19 MiB, t=2, p=1; ~0,07 s per hash here). A stored hash made with other parameters is
# re-hashed at the next successful login (`check_needs_rehash`).
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB,
                         parallelism=ARGON2_PARALLELISM, hash_len=32, salt_len=16)
# At most this many Argon2 computations at once: each takes 19 MiB and a core, so a burst of logins
# queues here (outside any transaction) instead of exhausting memory.
_HASH_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
# A real hash to verify against when the login does not exist, so that the answer takes the
# same time for unknown users as for a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def hash_password(password: str) -> str:
    with _HASH_SLOTS:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _HASH_SLOTS:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"Пароль слишком короткий: нужно не меньше {MIN_PASSWORD_LENGTH} символов.")


MAX_LOGIN_LENGTH = 64  # the login form reads no more (server/routes.py), the column holds no more
MAX_NAME_LENGTH = 255
_LOGIN_CHARS = re.compile(r"[0-9a-zа-яё._@-]+")


def _bad_char(text: str) -> tuple[int, str] | None:
    """The first control, format (bidirectional override, zero-width) or unassigned character:
    (position from 1, its code as U+XXXX)."""
    for i, ch in enumerate(text, 1):
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            return i, f"U+{ord(ch):04X}"
    return None


def check_login(login: str) -> str:
    """The login as stored (trimmed, lower case), or a refusal that says what is wrong: the same
    limits as the login form (at most 64 characters), letters, digits and . _ - @ only."""
    login = (login or "").strip().lower()
    if not login:
        raise AuthError("Укажите логин.")
    bad = _bad_char(login)
    if bad:
        raise AuthError(f"Логин содержит недопустимый невидимый или управляющий символ ({bad[1]}, "
                        f"позиция {bad[0]}).")
    if len(login) > MAX_LOGIN_LENGTH:
        raise AuthError(f"Логин слишком длинный: {len(login)} символов, допускается не больше {MAX_LOGIN_LENGTH}.")
    if not _LOGIN_CHARS.fullmatch(login):
        wrong = next(ch for ch in login if not _LOGIN_CHARS.fullmatch(ch))
        raise AuthError(f"Логин может содержать только буквы, цифры и знаки . _ - @; «{wrong}» недопустим.")
    return login


def check_full_name(full_name: str) -> str:
    """The name as stored (trimmed, inner runs of spaces kept), or a refusal: at most 255
    characters, no control, bidirectional or other invisible characters."""
    full_name = (full_name or "").strip()
    bad = _bad_char(full_name)
    if bad:
        raise AuthError(f"ФИО содержит недопустимый невидимый или управляющий символ ({bad[1]}, позиция {bad[0]}).")
    if len(full_name) > MAX_NAME_LENGTH:
        raise AuthError(f"ФИО слишком длинное: {len(full_name)} символов, допускается не больше {MAX_NAME_LENGTH}.")
    return full_name
