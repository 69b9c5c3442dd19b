"""Open311 GeoReport v2, /open311/: a thin adapter over the workflow."""
