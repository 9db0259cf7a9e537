"""The schema (SQLModel tables). Alembic (`migrations/`) owns how it gets into a database.

Conventions: surrogate integer keys, natural keys unique (school code, indicator code, period code,
login), timestamps in UTC. A share indicator stores numerator and denominator; `value` then holds the
percentage 0-100 so that one column serves every kind.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------------------------------
# Places and time
# ---------------------------------------------------------------------------------------------
class Territory(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=255)
    kind: str = Field(default="municipality", max_length=32)  # municipality | region
    parent_id: int | None = Field(default=None, foreign_key="territory.id")
    region_name: str | None = Field(default=None, max_length=255)
    is_demo: bool = False


class TerritoryClosure(SQLModel, table=True):
    """Every (ancestor, descendant) pair of the territory tree, itself included (depth 0): the
    summary is kept for every level, so a region's overview reads its own rows."""

    ancestor_id: int = Field(foreign_key="territory.id", primary_key=True)
    descendant_id: int = Field(foreign_key="territory.id", primary_key=True, index=True)
    depth: int = 0


class School(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    territory_id: int = Field(foreign_key="territory.id", index=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=500)
    short_name: str = Field(max_length=255)
    kind: str = Field(default="СОШ", max_length=32)  # СОШ, ООШ, СШ, НОШ, гимназия, ...
    is_shnor: bool = False  # low educational results (ШНОР)
    is_shnsu: bool = False  # unfavourable social conditions (ШНСУ)
    is_leader: bool = False  # leader / curator school
    pupils: int | None = None
    teachers: int | None = None
    is_demo: bool = False


class Period(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=16)  # 2024-Q1, 2023/24, 2024-H1, 2024
    kind: str = Field(max_length=16)  # quarter | half_year | school_year | year
    start: date
    end: date = Field(index=True)
    label: str = Field(max_length=64)  # I кв. 2024


# ---------------------------------------------------------------------------------------------
# Indicators and measurements
# ---------------------------------------------------------------------------------------------
class Indicator(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=500)
    short_name: str = Field(max_length=120)
    unit: str = Field(default="%", max_length=32)
    value_kind: str = Field(max_length=16)  # share | count | value | flag
    level: str = Field(default="school", max_length=16)  # school | territory
    # share: ratio of sums; count: sum; value: mean; flag: number of schools with the flag
    aggregation: str = Field(max_length=16)
    higher_is_better: bool = True
    numerator_label: str | None = Field(default=None, max_length=255)
    denominator_label: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, sa_column=Column(Text))
    # the plausible range (core/ingest/value_ranges.py): the largest count a school may report, and
    # what bounds it per school («pupils» | «teachers»); empty: from the kind, unit and labels
    max_value: float | None = None
    per_school: str | None = Field(default=None, max_length=16)


class Measurement(SQLModel, table=True):
    """The current value for one key. Overwrites go to MeasurementHistory first."""

    __table_args__ = (
        Index(
            "uq_measurement_school",
            "school_id",
            "indicator_id",
            "period_id",
            unique=True,
            sqlite_where=text("school_id IS NOT NULL"),
            postgresql_where=text("school_id IS NOT NULL"),
        ),
        Index(
            "uq_measurement_territory",
            "territory_id",
            "indicator_id",
            "period_id",
            unique=True,
            sqlite_where=text("school_id IS NULL"),
            postgresql_where=text("school_id IS NULL"),
        ),
        Index("ix_measurement_ind_period", "indicator_id", "period_id"),
        Index("ix_measurement_territory", "territory_id", "indicator_id", "period_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    territory_id: int = Field(foreign_key="territory.id")
    school_id: int | None = Field(default=None, foreign_key="school.id")
    indicator_id: int = Field(foreign_key="indicator.id")
    period_id: int = Field(foreign_key="period.id")
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    upload_id: int | None = Field(default=None, foreign_key="upload.id", index=True)
    entered_by: int | None = Field(default=None, foreign_key="user.id")
    entered_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class MeasurementHistory(SQLModel, table=True):
    """Every overwrite or removal of a measurement: the old and the new value, who, when, why."""

    id: int | None = Field(default=None, primary_key=True)
    territory_id: int = Field(foreign_key="territory.id")
    school_id: int | None = Field(default=None, foreign_key="school.id")
    indicator_id: int = Field(foreign_key="indicator.id")
    period_id: int = Field(foreign_key="period.id")
    old_value: float | None = None
    old_numerator: float | None = None
    old_denominator: float | None = None
    old_upload_id: int | None = None
    old_entered_by: int | None = None  # who had entered the old value, and when: undo restores them too
    old_entered_at: datetime | None = None
    old_is_demo: bool | None = None
    new_value: float | None = None
    new_numerator: float | None = None
    new_denominator: float | None = None
    action: str = Field(max_length=16)  # update | delete | undo
    upload_id: int | None = Field(default=None, foreign_key="upload.id", index=True)
    changed_by: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=utcnow)


class MeasurementSummary(SQLModel, table=True):
    """Per territory x school group x indicator x period sums, kept up to date by every write
    of measurements in the same transaction (see core.summary). The read side aggregates from here
    instead of scanning measurements."""

    __table_args__ = (
        UniqueConstraint("territory_id", "grp", "indicator_id", "period_id", name="uq_summary_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    territory_id: int = Field(foreign_key="territory.id")
    grp: str = Field(max_length=16)  # all | shnor | shnsu | target (ШНОР or ШНСУ)
    indicator_id: int = Field(foreign_key="indicator.id")
    period_id: int = Field(foreign_key="period.id")
    n_schools: int = 0  # schools with a value
    sum_value: float = 0.0
    sum_numerator: float = 0.0
    sum_denominator: float = 0.0
    n_flag: int = 0  # schools whose value is 1 (flags)


# ---------------------------------------------------------------------------------------------
# Roadmaps
# ---------------------------------------------------------------------------------------------
class Roadmap(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    territory_id: int = Field(foreign_key="territory.id", index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    year_from: int | None = None
    year_to: int | None = None
    approved_by: str | None = Field(default=None, sa_column=Column(Text))  # approving order
    goal: str | None = Field(default=None, sa_column=Column(Text))
    tasks: str | None = Field(default=None, sa_column=Column(Text))
    source: str | None = Field(default=None, sa_column=Column(Text))  # the document / file it came from
    upload_id: int | None = Field(default=None, foreign_key="upload.id")  # the workbook it was loaded from
    is_demo: bool = False
    participants: str | None = Field(default=None, sa_column=Column(Text))  # «Участники реализации»: who, functions, indicators


class Direction(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("roadmap_id", "number", name="uq_direction_number"),)
    id: int | None = Field(default=None, primary_key=True)
    roadmap_id: int = Field(foreign_key="roadmap.id")
    number: str = Field(max_length=16)
    title: str = Field(sa_column=Column(Text, nullable=False))


class Activity(SQLModel, table=True):
    """An activity of the plan. `stage` is the year (or other stage) of a plan written per year,
    as seed 002 is ("" for the rest); the texts are kept as the document writes them."""

    __table_args__ = (UniqueConstraint("roadmap_id", "number", "stage", name="uq_activity_number"),)
    id: int | None = Field(default=None, primary_key=True)
    roadmap_id: int = Field(foreign_key="roadmap.id", index=True)
    direction_id: int | None = Field(default=None, foreign_key="direction.id")
    number: str = Field(max_length=32)
    stage: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": text("''")})
    position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # order in the document
    title: str = Field(sa_column=Column(Text, nullable=False))
    form: str | None = Field(default=None, sa_column=Column(Text))  # form of the event (seminar, monitoring...)
    participants: str | None = Field(default=None, sa_column=Column(Text))
    venue: str | None = Field(default=None, sa_column=Column(Text))
    risk_codes_text: str | None = Field(default=None, max_length=255)  # as written: «1.2-1.3», «все выявленные параметры»
    schools_text: str | None = Field(default=None, sa_column=Column(Text))  # schools as written
    deadline_text: str | None = Field(default=None, max_length=500)
    due_date: date | None = None
    deadline_kind: str | None = Field(default=None, max_length=16)
    responsible: str | None = Field(default=None, sa_column=Column(Text))
    expected_result: str | None = Field(default=None, sa_column=Column(Text))
    report_form: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(default="planned", max_length=16)  # planned|in_progress|done|cancelled
    completed_on: date | None = None
    evidence: str | None = Field(default=None, sa_column=Column(Text))


class ActivityIndicator(SQLModel, table=True):
    activity_id: int = Field(foreign_key="activity.id", primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", primary_key=True)


class ActivityRisk(SQLModel, table=True):
    activity_id: int = Field(foreign_key="activity.id", primary_key=True)
    risk_factor_id: int = Field(foreign_key="riskfactor.id", primary_key=True)


class ActivitySchool(SQLModel, table=True):
    activity_id: int = Field(foreign_key="activity.id", primary_key=True)
    school_id: int = Field(foreign_key="school.id", primary_key=True)


class ControlPoint(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("roadmap_id", "number", name="uq_control_point_number"),)
    id: int | None = Field(default=None, primary_key=True)
    roadmap_id: int = Field(foreign_key="roadmap.id", index=True)
    number: str = Field(max_length=16)
    position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    title: str = Field(sa_column=Column(Text, nullable=False))
    responsible: str | None = Field(default=None, sa_column=Column(Text))
    deadline_text: str | None = Field(default=None, max_length=500)
    due_date: date | None = None
    deadline_kind: str | None = Field(default=None, max_length=16)
    status: str = Field(default="planned", max_length=16)
    completed_on: date | None = None
    evidence: str | None = Field(default=None, sa_column=Column(Text))


class Target(SQLModel, table=True):
    """A target indicator of a roadmap. `kind` is explicit: "+5 %" of a share is stored either as
    increase_pp (points) or increase_pct (relative), and the screen says which."""

    __table_args__ = (
        UniqueConstraint("roadmap_id", "indicator_id", "applies_to", name="uq_target_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    roadmap_id: int = Field(foreign_key="roadmap.id", index=True)
    indicator_id: int = Field(foreign_key="indicator.id")
    number: int = 1  # order in the roadmap
    wording: str = Field(sa_column=Column(Text, nullable=False))  # as the document says it
    kind: str = Field(max_length=24)  # at_least|at_most|increase_pp|increase_pct|not_below_average|milestones
    value: float | None = None
    baseline_period_id: int | None = Field(default=None, foreign_key="period.id")
    due_period_id: int | None = Field(default=None, foreign_key="period.id")
    applies_to: str = Field(default="target", max_length=16)  # shnor | shnsu | target | all
    judged_on: str = Field(default="both", max_length=16)  # group | school | both


class TargetMilestone(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("target_id", "period_id", name="uq_milestone_key"),)
    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(foreign_key="target.id")
    period_id: int = Field(foreign_key="period.id")
    value: float
    note: str | None = Field(default=None, max_length=500)


class TargetCount(SQLModel, table=True):
    """Schools of a target's group below a territory, and how many of them meet the target, per
    period (kept by core.target_counts with the summary)."""

    target_id: int = Field(foreign_key="target.id", primary_key=True)
    territory_id: int = Field(foreign_key="territory.id", primary_key=True)
    period_id: int = Field(foreign_key="period.id", primary_key=True)
    n_group: int = 0
    n_meeting: int = 0


class TargetGroupValue(SQLModel, table=True):
    """A school-level target's group below a territory at a period, like for like (the schools
    that reported the period and the baseline): sums now and at the baseline, kept by
    core.target_counts with the summary for the roadmap's territory and every territory below it."""

    target_id: int = Field(foreign_key="target.id", primary_key=True)
    territory_id: int = Field(foreign_key="territory.id", primary_key=True)
    period_id: int = Field(foreign_key="period.id", primary_key=True)
    n_members: int = 0  # schools of the target's group below the territory
    n: int = 0  # of them with both values
    sv: float = 0.0
    sn: float = 0.0
    sd: float = 0.0
    nf: int = 0
    bsv: float = 0.0
    bsn: float = 0.0
    bsd: float = 0.0
    bnf: int = 0


class RiskFactor(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("roadmap_id", "code", name="uq_risk_code"),)
    id: int | None = Field(default=None, primary_key=True)
    roadmap_id: int = Field(foreign_key="roadmap.id")
    group_code: str = Field(max_length=16)
    group_name: str = Field(max_length=500)
    code: str = Field(max_length=16)
    name: str = Field(sa_column=Column(Text, nullable=False))
    found_in_text: str | None = Field(default=None, sa_column=Column(Text))  # «where found» as written
    position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class RiskGroup(SQLModel, table=True):
    """A group of risk factors with what the document says about it (seed 004 gives each group
    its target orientations and progress indicators)."""

    __table_args__ = (UniqueConstraint("roadmap_id", "code", name="uq_risk_group_code"),)
    id: int | None = Field(default=None, primary_key=True)
    roadmap_id: int = Field(foreign_key="roadmap.id")
    code: str = Field(max_length=16)
    name: str = Field(sa_column=Column(Text, nullable=False))
    goals: str | None = Field(default=None, sa_column=Column(Text))
    progress_indicators: str | None = Field(default=None, sa_column=Column(Text))


class SchoolGroup(SQLModel, table=True):
    """Schools a roadmap puts together (seed 004's triads)."""

    id: int | None = Field(default=None, primary_key=True)
    roadmap_id: int = Field(foreign_key="roadmap.id")
    name: str = Field(max_length=255)
    note: str | None = Field(default=None, sa_column=Column(Text))


class SchoolGroupMember(SQLModel, table=True):
    group_id: int = Field(foreign_key="schoolgroup.id", primary_key=True)
    school_id: int = Field(foreign_key="school.id", primary_key=True)


class SchoolRisk(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("school_id", "risk_factor_id", name="uq_school_risk"),)
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id")
    risk_factor_id: int = Field(foreign_key="riskfactor.id")
    audit_date: date | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))


class CuratorLink(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("curator_school_id", "school_id", name="uq_curator_link"),
    )
    id: int | None = Field(default=None, primary_key=True)
    curator_school_id: int = Field(foreign_key="school.id")
    school_id: int = Field(foreign_key="school.id")
    roadmap_id: int | None = Field(default=None, foreign_key="roadmap.id")


# ---------------------------------------------------------------------------------------------
# People, sessions, uploads, audit
# ---------------------------------------------------------------------------------------------
class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(unique=True, max_length=64)
    full_name: str = Field(max_length=255)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)  # admin | head | methodologist | curator | principal
    territory_id: int | None = Field(default=None, foreign_key="territory.id")
    school_id: int | None = Field(default=None, foreign_key="school.id")
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A server-side login session. The browser holds only a random token; we keep its hash."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)


class LoginAttempt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, index=True)
    ip: str | None = Field(default=None, max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    success: bool = False


class Upload(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=255)
    checksum: str = Field(max_length=64, index=True)  # sha256 of the original bytes
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    kind: str = Field(default="measurements", max_length=32)
    territory_id: int | None = Field(default=None, foreign_key="territory.id")
    period_id: int | None = Field(default=None, foreign_key="period.id")
    uploaded_by: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)
    n_rows: int = 0
    n_new: int = 0
    n_changed: int = 0
    n_unchanged: int = 0
    errors: str | None = Field(default=None, sa_column=Column(Text))  # JSON list
    status: str = Field(default="applied", max_length=16)  # applied | undone | rejected


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    login: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=48, index=True)
    object_type: str | None = Field(default=None, max_length=48)
    object_id: str | None = Field(default=None, max_length=64)
    details: str | None = Field(default=None, sa_column=Column(Text))
    ip: str | None = Field(default=None, max_length=64)
    # what the event concerns, for scoped reads of the log («Что изменилось»): one indexed SQL, the limit last
    territory_id: int | None = Field(default=None, index=True)
    roadmap_id: int | None = Field(default=None, index=True)


class AppMeta(SQLModel, table=True):
    """Key/value facts about this database (is it the demo, when it was built)."""

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))


# ---------------------------------------------------------------------------------------------
# The quarterly cycle (core/cycle.py)
# ---------------------------------------------------------------------------------------------
class QuarterState(SQLModel, table=True):
    """A territory's period in the collection cycle: open -> checked -> approved. An approved
    period refuses writes of measurements below that territory until it is unlocked with a reason;
    every change is in the audit log. `deadline` is when schools must report (None: the 10th day
    after the period ends)."""

    __table_args__ = (Index("ix_quarterstate_period", "period_id", "state"),)
    territory_id: int = Field(foreign_key="territory.id", primary_key=True)
    period_id: int = Field(foreign_key="period.id", primary_key=True)
    state: str = Field(default="open", max_length=16,
                       sa_column_kwargs={"server_default": "open"})  # open | checked | approved
    deadline: date | None = None
    checked_by: int | None = Field(default=None, foreign_key="user.id")
    checked_at: datetime | None = None
    approved_by: int | None = Field(default=None, foreign_key="user.id")
    approved_at: datetime | None = None
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)


class SchoolAlias(SQLModel, table=True):
    """A school's name as an office writes it in its own tables («МБОУ "СОШ №2" г. Невинномысска»),
    confirmed once by a user on the upload page and used by later uploads. One alias per territory
    (that of the school) and normalised text."""

    __table_args__ = (UniqueConstraint("territory_id", "alias_key", name="uq_schoolalias_territory_key"),)

    id: int | None = Field(default=None, primary_key=True)
    territory_id: int = Field(foreign_key="territory.id")
    alias_key: str = Field(max_length=255)  # core.ingest.schools.school_key of the text
    alias_text: str = Field(max_length=255)  # as first written
    school_id: int = Field(foreign_key="school.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


# ---------------------------------------------------------------------------------------------
# What an approval froze (core/approval.py) and when a user last looked (core/provenance.py)
# ---------------------------------------------------------------------------------------------
class ApprovalSnapshot(SQLModel, table=True):
    """The figures a territory's period was approved with: written in the approval's transaction,
    discarded by its unlock. `basis` (JSON) is what they were computed from — each target's kind,
    value and periods, each group's schools, each roadmap's workbook — so that a screen can say
    what has changed since."""

    __table_args__ = (UniqueConstraint("territory_id", "period_id", name="uq_approvalsnapshot_key"),)
    id: int | None = Field(default=None, primary_key=True)
    territory_id: int = Field(foreign_key="territory.id")
    period_id: int = Field(foreign_key="period.id")
    cut: date  # the figures are as of this day (the period's last day)
    approved_at: datetime = Field(default_factory=utcnow)
    approved_by: int | None = Field(default=None, foreign_key="user.id")
    basis: str = Field(sa_column=Column(Text, nullable=False))


class ApprovalFigure(SQLModel, table=True):
    """One evaluated figure of a snapshot: a target on a subject (a territory's group of schools, a
    member territory or a school) at the period judged. No foreign key to the target: a roadmap
    reloaded without it keeps what was approved."""

    __table_args__ = (Index("ix_approvalfigure_key", "target_id", "subject_kind", "subject_id"),)
    id: int | None = Field(default=None, primary_key=True)
    snapshot_id: int = Field(foreign_key="approvalsnapshot.id", index=True)
    target_id: int
    subject_kind: str = Field(max_length=16)  # territory | school
    subject_id: int
    grp: str | None = Field(default=None, max_length=16)
    period_id: int | None = None  # the period judged
    period_label: str | None = Field(default=None, max_length=64)
    value: float | None = None
    baseline: float | None = None
    target_value: float | None = None
    expected: float | None = None
    progress: float | None = None
    forecast: float | None = None
    meets_target: bool = False
    preliminary: bool = False  # the silent schools' last known values would have given another status
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    n_reported: int | None = None
    n_members: int | None = None
    missing_ids: str | None = Field(default=None, sa_column=Column(Text))  # JSON list of school ids


class UserVisit(SQLModel, table=True):
    """When a user last came (a visit is a browser session; a reload within half an hour is the same
    visit): «изменено после вашего прошлого визита» compares with `previous_at`."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    last_at: datetime = Field(default_factory=utcnow)
    previous_at: datetime | None = None


class ColumnMapping(SQLModel, table=True):
    """A column of an office's own table («Призёры олимпиад»), mapped by a user's answer on the
    upload page (an indicator's part or «skip») and kept for the territory: the next quarter's same
    form asks nothing. Listed, changed and removed by a methodologist; every change audited."""

    __table_args__ = (UniqueConstraint("territory_id", "header_key", name="uq_columnmapping_territory_header"),)

    id: int | None = Field(default=None, primary_key=True)
    territory_id: int = Field(foreign_key="territory.id")
    header_key: str = Field(max_length=255)  # core.ingest.parse.norm of the header
    header_text: str = Field(max_length=255)  # as first written
    answer: str = Field(max_length=128)  # "indicator_code:part" or "skip"
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
