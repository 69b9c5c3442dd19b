"""Accountability reports: the one source of figures (figures.py), the CSV exports (csv.py),
and the per-case working-day values they read (models.py, timings.py)."""
