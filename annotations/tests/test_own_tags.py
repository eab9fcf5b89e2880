"""annotations.own_tags without the database: the tag box's splitting, and a post's own tags
as a W3C tagging annotation, out and back."""

from datetime import UTC, datetime

import pytest

from annotations import own_tags
from annotations.values import Invalid
from archive.models import Post

SINCE = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        ("经济, 待读", ["经济", "待读"]),
        ("经济，待读、宏观;微观", ["经济", "待读", "宏观", "微观"]),
        ("#经济 , #市场 观察", ["经济", "市场 观察"]),  # spaces stay inside a tag
        ("a\nb\n\n", ["a", "b"]),
        (" , ，# ", []),
        ("", []),
    ],
)
def test_the_tag_box_splits_at_commas_and_lines_and_drops_hashes(typed, tags):
    assert own_tags.split(typed) == tags


def test_a_posts_own_tags_are_a_tagging_annotation_of_the_whole_article():
    post = Post(pk=12, url="https://example.org/a")
    tags = own_tags.PostTags(["经济", "待读"], SINCE, "owner")
    data = own_tags.to_jsonld(post, tags, base_url="http://pizhu.test")
    assert data["id"] == "http://pizhu.test/api/posts/12/state"
    assert data["motivation"] == "tagging"
    assert data["target"] == {"source": "https://example.org/a"}  # no selector
    assert data["body"] == [
        {"type": "TextualBody", "purpose": "tagging", "value": "经济"},
        {"type": "TextualBody", "purpose": "tagging", "value": "待读"},
    ]
    assert data["pizhu"] == {"post": 12, "ownTags": True}
    assert data["creator"]["nickname"] == "owner"
    assert own_tags.is_own_tags(data)
    assert own_tags.parse_jsonld(data) == own_tags.OwnTags(
        "https://example.org/a", ("经济", "待读")
    )


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"motivation": "tagging", "target": {"source": "u"}}, True),
        ({"motivation": "tagging", "target": "https://example.org/a"}, True),
        ({"motivation": "tagging", "target": {"source": "u", "selector": []}}, False),
        ({"motivation": "commenting", "target": {"source": "u"}}, False),  # a page note
        ({"target": {"source": "u"}}, False),
        ("tagging", False),
    ],
    ids=["whole article", "target as a URL", "a passage", "page note", "no motivation", "text"],
)
def test_only_a_tagging_annotation_of_a_whole_article_is_own_tags(item, expected):
    assert own_tags.is_own_tags(item) is expected


def tagging(*values, **fields):
    return {
        "motivation": "tagging",
        "target": {"source": "https://example.org/a"},
        "body": [{"type": "TextualBody", "purpose": "tagging", "value": v} for v in values],
        **fields,
    }


def test_tags_are_cleaned_as_the_api_cleans_them():
    parsed = own_tags.parse_jsonld(tagging("  市场   观察 ", "Economy", "economy"))
    assert parsed.tags == ("市场 观察", "Economy")


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (tagging("a", target={"source": ""}), "target.source"),
        (tagging("a", target={}), "target.source"),
        (tagging(""), "body.tagging"),
        (tagging("x" * 51), "body.tagging"),
        (tagging(*(f"t{n}" for n in range(21))), "body.tagging"),
        (tagging("a\x00b"), "body"),
        ({**tagging(), "body": [{"type": "TextualBody", "value": "a note"}]}, "body"),
        ({**tagging(), "body": [{"purpose": "tagging", "value": 3}]}, "body"),
        ({**tagging(), "body": "a"}, "body"),
    ],
    ids=["empty source", "no source", "empty tag", "long tag", "21 tags", "NUL",
         "a note among tags", "a number", "a string as body"],
)  # fmt: skip
def test_a_spoilt_tagging_annotation_names_its_field(item, field):
    with pytest.raises(Invalid) as error:
        own_tags.parse_jsonld(item)
    assert [e["field"] for e in error.value.errors] == [field]
    assert error.value.errors[0]["detail"]  # said in both languages for a person
