"""The app's vocabulary: every code it stores or compares (target statuses, target kinds, value
kinds, school groups, roles) with its Russian label, icon and colour, in one place.

Code compares codes (``status == "off_track"``), never Russian words; a page or a report takes the
words from here. Pure data, no imports from the rest of the app.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Target statuses (DESIGN.md, "Target semantics"; the rule is in core.targets.rules)
# ---------------------------------------------------------------------------------------------
ACHIEVED, ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA = "achieved", "on_track", "at_risk", "off_track", "no_data"
STATUSES = (ACHIEVED, ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA)
LAGGING = (OFF_TRACK,)  # the statuses listed under «отстают» (exactly the cells marked «Отстаёт»)
STATUS_LABELS = {
    ACHIEVED: "Достигнут",
    ON_TRACK: "По плану",
    AT_RISK: "Под угрозой",
    OFF_TRACK: "Отстаёт",
    NO_DATA: "Нет данных",
}
# Colour plus icon plus word (never colour alone). Okabe–Ito hues (safe for the common forms of
# colour blindness), darkened where white text sits on them; STATUS_INK is the text colour on each.
STATUS_ICONS = {ACHIEVED: "✔", ON_TRACK: "▲", AT_RISK: "◆", OFF_TRACK: "✖", NO_DATA: "○"}
STATUS_COLORS = {
    ACHIEVED: "#0072B2",  # blue
    ON_TRACK: "#00785A",  # bluish green, darkened
    AT_RISK: "#E69F00",  # orange (dark text on it)
    OFF_TRACK: "#B34700",  # vermillion, darkened
    NO_DATA: "#6E6E6E",
}
STATUS_INK = {ACHIEVED: "#ffffff", ON_TRACK: "#ffffff", AT_RISK: "#1a1a1a", OFF_TRACK: "#ffffff", NO_DATA: "#ffffff"}
STATUS_TEXT = {s: f"{STATUS_ICONS[s]} {STATUS_LABELS[s]}" for s in STATUSES}


def status_label(status: str) -> str:
    return STATUS_LABELS[status]


# ---------------------------------------------------------------------------------------------
# Value kinds
# ---------------------------------------------------------------------------------------------
# Target kinds: codes, words and rules in one registry, core.targets.kinds.
VALUE_KINDS = ("share", "count", "value", "flag")
VALUE_KIND_LABELS = {"share": "доля", "count": "количество", "value": "значение", "flag": "признак"}

# ---------------------------------------------------------------------------------------------
# School groups a target applies to
# ---------------------------------------------------------------------------------------------
GROUPS = ("all", "shnor", "shnsu", "target")
GROUP_LABELS = {"all": "все школы", "shnor": "ШНОР", "shnsu": "ШНСУ", "target": "ШНОР и ШНСУ"}
TERRITORY_LEVEL = "territory"  # a target measured once per territory (no schools)

# The units of a matrix: the schools of a municipality, or the member territories of a region
SCHOOL_UNIT, TERRITORY_UNIT = "school", "territory"
UNIT_LABELS = {SCHOOL_UNIT: "Школа", TERRITORY_UNIT: "Территория"}
UNIT_PLURALS = {SCHOOL_UNIT: "Школы", TERRITORY_UNIT: "Территории"}
UNIT_COUNT_FORMS = {SCHOOL_UNIT: ("школа", "школы", "школ"), TERRITORY_UNIT: ("территория", "территории", "территорий")}

# ---------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------
ROLES = ("admin", "head", "methodologist", "curator", "principal")
ROLE_LABELS = {
    "admin": "Администратор",
    "head": "Руководитель управления образования",
    "methodologist": "Методист",
    "curator": "Куратор",
    "principal": "Руководитель школы",
}
