"""What every part of core.auth shares: its two refusals and UTC-aware datetimes."""

from __future__ import annotations

from datetime import datetime, timezone

from core.errors import Refused


class AccessDenied(Refused, PermissionError):
    """Raised when a user asks for something outside their scope; the message is Russian."""


class AuthError(Refused, ValueError):
    """A login or account problem with a Russian message for the user."""



def aware(dt: datetime) -> datetime:
    """A datetime read back from the database as UTC-aware (SQLite returns naive ones)."""
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
