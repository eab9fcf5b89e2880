"""The replies to my notes (annotations.replies) and their page, /notes/replies/: others'
replies I may read, newest first, the unread ones marked until I look."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from selectolax.lexbor import LexborHTMLParser

from annotations import replies, services
from annotations.models import Annotation, ReplyInbox
from annotations.tests.conftest import changes
from annotations.values import Changes
from groups import services as group_services

PAGE = "/notes/replies/"


def group_note(user, post, group, quote="增长放缓", body="组里的笔记"):
    return services.create(
        user,
        changes(post, quote, kind="note", body=body, visibility="group", group=group.pk),
    )


def reply(user, parent, body="回复"):
    return services.create(user, Changes(body=body, parent=parent.pk))


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tree(response) -> LexborHTMLParser:
    return LexborHTMLParser(response.content.decode())


# --- replies_to and unread_count ------------------------------------------------------------


def test_replies_to_are_others_replies_to_my_notes_newest_first(team, alice, bob, mod, post):
    mine = group_note(alice, post, team)
    theirs = group_note(bob, post, team, quote="结构性的问题")
    first = reply(bob, mine, "第一")
    second = reply(mod, mine, "第二")
    reply(alice, mine, "我自己的回复")  # mine: not a reply to me from someone else
    reply(alice, theirs, "我回复 bob")  # to bob's note
    to_my_reply = reply(bob, Annotation.objects.get(body="我自己的回复"), "回复你的回复")
    assert list(replies.replies_to(alice)) == [to_my_reply, second, first]
    assert [r.body for r in replies.replies_to(bob)] == ["我回复 bob"]


def test_hidden_and_deleted_replies_are_not_listed_for_a_plain_member(team, alice, bob, mod, post):
    mine = group_note(bob, post, team)  # bob is a plain member of team
    kept, hidden = reply(alice, mine, "留下"), reply(mod, mine, "被隐藏")
    services.hide(hidden, alice)
    services.delete(reply(alice, mine, "删掉"))
    assert list(replies.replies_to(bob)) == [kept]
    assert replies.unread_count(bob) == 1


def test_a_hidden_reply_is_listed_for_a_moderator_of_its_group(team, alice, bob, mod, post):
    mine = group_note(mod, post, team)
    hidden = reply(bob, mine)
    services.hide(hidden, alice)
    assert list(replies.replies_to(mod)) == [hidden]  # mod moderates team


def test_leaving_the_group_takes_its_replies_out_of_my_list(team, alice, bob, post):
    mine = group_note(bob, post, team)
    reply(alice, mine)
    assert replies.unread_count(bob) == 1
    group_services.leave(bob, team)
    # bob's note is private now, so are its replies' audience: the thread followed the note.
    mine.refresh_from_db()
    assert mine.visibility == "private"
    assert list(replies.replies_to(bob)) == []
    assert replies.unread_count(bob) == 0


def test_the_unread_count_is_what_came_since_i_last_looked(team, alice, bob, mod, post):
    mine = group_note(alice, post, team)
    assert replies.unread_count(alice) == 0
    reply(bob, mine)
    reply(mod, mine)
    assert replies.unread_count(alice) == 2
    replies.mark_seen(alice)
    assert replies.unread_count(alice) == 0
    later = reply(bob, mine)
    Annotation.objects.filter(pk=later.pk).update(created_at=timezone.now() + timedelta(seconds=1))
    assert replies.unread_count(alice) == 1


def test_the_unread_count_is_one_query(team, alice, bob, post, django_assert_num_queries):
    reply(bob, group_note(alice, post, team))
    replies.mark_seen(alice)
    with django_assert_num_queries(1):
        replies.unread_count(alice)


def test_marking_seen_makes_the_inbox_once(alice):
    assert not ReplyInbox.objects.filter(user=alice).exists()
    replies.mark_seen(alice)
    replies.mark_seen(alice)
    assert ReplyInbox.objects.get(user=alice).seen_at is not None


def test_a_visitor_has_no_replies():
    from django.contrib.auth.models import AnonymousUser

    assert list(replies.replies_to(AnonymousUser())) == []
    assert replies.unread_count(AnonymousUser()) == 0


# --- The page -------------------------------------------------------------------------------


def test_the_replies_page_asks_a_visitor_to_sign_in(anonymous_client):
    response = anonymous_client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={PAGE}"


def test_the_page_shows_each_reply_with_its_author_time_and_the_note_it_answers(
    team, alice, bob, post
):
    mine = group_note(alice, post, team, body="我的**想法**")
    answer = reply(bob, mine, "我*不同意*")
    page = tree(client_of(alice).get(PAGE))
    item = page.css_first(f"[data-reply='{answer.pk}']")
    assert item.css_first("strong").text() == "bob"
    shown = item.css_first("time").attributes["datetime"]
    assert shown == timezone.localtime(answer.created_at).isoformat()
    assert item.css_first(".entry-note em").text() == "不同意"  # the reply's note, rendered
    answered = item.css_first(".reply-to")
    assert answered.css_first("blockquote").text() == "增长放缓"
    # The note it answers, rendered as its readers see it: not its Markdown source.
    assert answered.css_first(".reply-to-note strong").text() == "想法"
    assert "**" not in item.text()
    # Its link opens the reader at this reply (the note's conversation), not at the note.
    link = item.css_first("a.reply-open")
    assert link.attributes["href"] == answer.get_absolute_url()
    assert link.attributes["href"].endswith(f"#annotation-{answer.pk}")
    assert not item.css(f"a[href='{mine.get_absolute_url()}']")


def test_the_note_answered_is_shown_short_and_its_html_stays_whole(team, alice, bob, post):
    long = "**开头** " + "很长的笔记。" * 60 + "[链接](https://example.org/)"
    reply(bob, group_note(alice, post, team, body=long))
    page = tree(client_of(alice).get(PAGE))
    shown = page.css_first(".reply-to-note")
    assert shown.css_first("strong").text() == "开头"
    assert len(shown.text()) <= 170 and shown.text().rstrip().endswith(("…", "..."))
    assert not shown.css("a")  # cut before the link: no half a tag left open
    assert page.css_first(".reply-open")  # the list item goes on after it


def test_a_reply_to_my_reply_links_to_the_reply_not_to_mine(team, alice, bob, post):
    note = group_note(bob, post, team)
    mine = reply(alice, note, "我的*回复*")
    answer = reply(bob, mine, "回复你的回复")
    item = tree(client_of(alice).get(PAGE)).css_first(f"[data-reply='{answer.pk}']")
    assert "In reply to your reply" in item.css_first(".reply-to").text()
    assert item.css_first(".reply-to-note em").text() == "回复"
    assert item.css_first("a.reply-open").attributes["href"] == answer.get_absolute_url()


def test_replies_since_my_last_look_are_marked_and_looking_reads_them(team, alice, bob, post):
    client = client_of(alice)
    mine = group_note(alice, post, team)
    old = reply(bob, mine, "旧")
    client.get(PAGE)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Annotation.objects.filter(pk=old.pk).update(created_at=an_hour_ago)
    ReplyInbox.objects.filter(user=alice).update(seen_at=an_hour_ago + timedelta(minutes=1))
    new = reply(bob, mine, "新")
    page = tree(client.get(PAGE))
    assert [n.attributes["data-reply"] for n in page.css(".reply-unread")] == [str(new.pk)]
    assert page.css_first(".reply-unread .badge").text() == "新 New"
    assert not page.css("[data-unread-replies]")  # looking read them: the header says none
    assert replies.unread_count(alice) == 0
    assert not tree(client.get(PAGE)).css(".reply-unread")


def test_a_reply_to_a_deleted_note_says_the_note_is_gone(team, alice, bob, post):
    mine = group_note(alice, post, team, body="后来删掉的")
    reply(bob, mine, "还在")
    services.delete(mine)
    page = tree(client_of(alice).get(PAGE))
    assert "已删除的批注 Deleted note" in page.css_first(".reply-to").text()
    assert "后来删掉的" not in page.html


def test_someone_without_replies_is_told_what_will_show_here(alice):
    page = tree(client_of(alice).get(PAGE))
    assert "No replies yet" in page.css_first(".empty").text()


def test_the_header_badge_counts_unread_replies(team, alice, bob, mod, post):
    mine = group_note(alice, post, team)
    reply(bob, mine)
    reply(mod, mine)
    page = tree(client_of(alice).get(reverse("notebook")))
    assert page.css_first("[data-unread-replies]").text() == "2"
    link = page.css_first(f"a[href='{PAGE}']")
    assert link.attributes["aria-label"] == "回复 Replies: 2 条未读 unread"


@pytest.mark.parametrize("n", [3, 12])
def test_the_replies_page_costs_the_same_queries_for_3_or_12_replies(
    team, alice, bob, mod, post, django_assert_num_queries, n
):
    mine = group_note(alice, post, team)
    for number in range(n):
        reply(bob if number % 2 else mod, mine, f"回复 {number}")
    client = client_of(alice)
    # session, user; when I last looked; the replies (count, page); marking them seen
    # (an UPDATE); the header's stamp and my groups (no unread count: just read).
    with django_assert_num_queries(8):
        response = client.get(PAGE)
    assert len(tree(response).css(".reply")) == n
