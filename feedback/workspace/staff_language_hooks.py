"""Wagtail admin hooks of the workspace: staff language."""
