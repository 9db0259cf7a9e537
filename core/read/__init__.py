"""The read side, one typed view per screen: core.read.overview (tiles, the status matrix),
core.read.school (a school's page), core.read.indicator (one target across the units),
core.read.curated (a curator's schools), core.read.lists (small lists: roadmaps, schools, periods).

Every read is filtered by a Scope in SQL (core.access), every status comes from core.targets.evaluation,
and every view is frozen dataclasses keyed by ids and carrying dates (core.read.types) — never
DataFrames, dicts of columns or float years; a page builds a table from the rows when it shows one."""
