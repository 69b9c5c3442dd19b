"""Wagtail admin hooks of the workspace: case page."""
