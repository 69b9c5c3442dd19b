"""Wagtail admin hooks of the workspace: agent."""
