"""One base for every refusal a person reads.

`Refused` is a request refused for its content or its rights, with a Russian message that says where
and what; nothing was changed. Pages catch it once (`except Refused`), the CLI prints it, and core's
write entry points audit it (core.auth.audits_refusals: a refused write; an access denial is audited
by core.auth.deny when it is made). Every refusal class of the app derives from it: AccessDenied and
AuthError (core.auth), IngestError with CycleError, QuarterLocked and DraftError, StatusError,
MaintenanceError. Pure, no imports.
"""

from __future__ import annotations


class Refused(Exception):
    """A refusal with a message for the user; nothing was changed."""

    refusal = True  # audited as a refused write by core.auth.audits_refusals (an access denial is not)
    audited = False  # set once it is in the audit log, so that an outer entry point does not record it again
