"""annotations.models: who may see what, and the one filter of the API, notebook and export."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from annotations.models import Annotation

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(owner, other, make_annotation):
    return {
        "note": make_annotation(owner, "增长放缓", kind="note", body="slow Growth", tags=["经济"]),
        "pink": make_annotation(owner, "专家说", colour="pink"),
        "others": make_annotation(other, "中国的经济", visibility="everyone"),
    }


def ids(queryset):
    return sorted(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["note", "pink", "others"]),
        ({"kind": "note"}, ["note"]),
        ({"colour": "pink"}, ["pink"]),
        ({"tag": "经济"}, ["note"]),
        ({"text": "growth 放緩"}, ["note"]),  # every word, any case, either script
        ({"state": "orphaned"}, []),
        ({"source": "示例日报"}, ["note", "pink", "others"]),
        ({"source": "elsewhere"}, []),
        ({"kind": "", "tag": None, "text": "  "}, ["note", "pink", "others"]),  # not applied
    ],
)
def test_filtered_applies_each_filter_given(three, filters, expected):
    assert ids(Annotation.objects.filtered(**filters)) == sorted(three[n].pk for n in expected)


def test_filtered_by_post_and_user(three, owner, post):
    assert ids(Annotation.objects.filtered(post=post.pk, user=owner)) == sorted(
        [three["note"].pk, three["pink"].pk]
    )
    assert ids(Annotation.objects.filtered(post=post.pk + 1)) == []


def test_filtered_dates_are_whole_local_days(three, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    # 00:30 on 2 March in Shanghai is still 1 March in UTC.
    made = datetime(2024, 3, 2, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    Annotation.objects.filter(pk=three["note"].pk).update(created_at=made)
    on_the_day = Annotation.objects.filtered(since=date(2024, 3, 2), until=date(2024, 3, 2))
    assert ids(on_the_day) == [three["note"].pk]
    assert ids(Annotation.objects.filtered(until=date(2024, 3, 1))) == []


def test_visible_to_is_mine_and_shared_and_nothing_for_anonymous(three, other):
    from django.contrib.auth.models import AnonymousUser

    assert ids(Annotation.objects.visible_to(other)) == [three["others"].pk]
    assert ids(Annotation.objects.visible_to(AnonymousUser())) == []


def test_a_quoted_phrase_is_searched_as_written(owner, make_annotation):
    slow = make_annotation(owner, "增长放缓", kind="note", body="slow Growth ahead")
    make_annotation(owner, "专家说", kind="note", body="growth is slow")
    assert ids(Annotation.objects.filtered(text='"slow growth"')) == [slow.pk]
    assert len(ids(Annotation.objects.filtered(text="slow growth"))) == 2  # words, any order


def test_filtered_by_the_articles_publication_days(three, post, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    type(post).objects.filter(pk=post.pk).update(
        published_at=datetime(2024, 3, 2, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    day = date(2024, 3, 2)
    assert len(ids(Annotation.objects.filtered(published_since=day, published_until=day))) == 3
    assert ids(Annotation.objects.filtered(published_until=date(2024, 3, 1))) == []
