"""``{% annotation_labels %}``: the names of kinds and colours, for the reader's scripts.

The labels live in annotations.models (Kind, Colour); the page carries them as JSON
(``json_script``: data, not code, so the CSP's ban on inline scripts holds) and
static/js/annotator/labels.js reads them, instead of a second copy in JavaScript.
"""

from django import template
from django.utils.html import json_script

from annotations.models import Colour, Kind

register = template.Library()


def labels() -> dict:
    return {"colours": [list(choice) for choice in Colour.choices], "kinds": dict(Kind.choices)}


@register.simple_tag
def annotation_labels():
    return json_script(labels(), "pizhu-labels")
