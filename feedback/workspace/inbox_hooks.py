"""Wagtail admin hooks of the workspace: inbox."""
