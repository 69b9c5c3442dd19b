"""Wagtail admin hooks of the workspace: dashboard."""
