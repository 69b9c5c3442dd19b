"""Template filters of the outcome pages."""

from django import template

from search.display import highlighted as _highlighted

register = template.Library()


@register.filter
def highlighted(fragment: str):
    """A highlight fragment, safe to show with its <mark> tags (see display.highlighted)."""
    return _highlighted(fragment)
