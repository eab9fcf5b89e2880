"""annotations.templatetags.annotation_labels: the reader's scripts take their names of
kinds and colours from the server, never from a copy of their own."""

import json
from pathlib import Path

import pytest
from django.template import Context, Template

from annotations.models import Colour, Kind

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"


def test_the_labels_are_the_models_choices_as_json_data():
    html = Template("{% load annotation_labels %}{% annotation_labels %}").render(Context())
    assert html.startswith('<script id="pizhu-labels" type="application/json">')
    data = json.loads(html.split(">", 1)[1].rsplit("</script>", 1)[0])
    assert data["colours"] == [[value, label] for value, label in Colour.choices]
    assert data["kinds"] == dict(Kind.choices)


def test_the_scripts_do_not_repeat_a_label():
    scripts = "\n".join(path.read_text() for path in STATIC_JS.rglob("*.js"))
    for _, label in [*Colour.choices, *Kind.choices]:
        assert label not in scripts, label


@pytest.mark.django_db
def test_the_reader_page_carries_them_for_a_signed_in_reader(owner_client, post):
    assert 'id="pizhu-labels"' in owner_client.get(post.get_absolute_url()).content.decode()
