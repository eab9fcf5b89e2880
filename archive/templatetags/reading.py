"""Template filters of the reading pages."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from archive.chinese import convert, convert_html

register = template.Library()


@register.filter
def in_script(value, script: str):
    """Text (or highlighted HTML) in the reader's chosen script: 原文 orig, 简 hans, 繁 hant.
    Same length either way, so highlights stay where they were."""
    if script not in ("hans", "hant") or not value:
        return value
    if isinstance(value, SafeString):
        return mark_safe(convert_html(value, script))  # noqa: S308 (only text between tags changes)
    return convert(str(value), script)  # escaped by the template like any string
