"""The REST API, /api/v1/ (Django REST framework): a thin adapter over the workflow."""
