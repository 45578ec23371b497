"""The Chats page (the inbox): its selectors (dashboard/chat_selectors.py), its page and
fragments, the reply box and "mark as read"."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils import timezone

from dashboard import chat_selectors
from dashboard.tests.conftest import sign_in_with_key
from groups.subjects import remember_subjects
from messaging.models import Contact, Direction, Message, MessageAction, MessageStatus

ANNA = "4915112345678@c.us"
BOB = "4915187654321@c.us"
TEAM = "120363025246125888@g.us"


@pytest.fixture
def shop(make_session):
    return make_session("shop", status="connected", phone="+33612345678")


@pytest.fixture
def say(shop):
    """say(chat, text, minutes_ago, inbound=True, **fields): a stored message at that time."""
    now = timezone.now()

    def make(chat: str, text: str, minutes_ago: float, inbound: bool = True, **fields) -> Message:
        message = Message.objects.create(
            session=shop,
            direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
            chat_id=chat,
            phone="+" + chat.split("@")[0] if chat.endswith("@c.us") else "",
            text=text,
            status=MessageStatus.RECEIVED if inbound else MessageStatus.SENT,
            **fields,
        )
        Message.objects.filter(pk=message.pk).update(created_at=now - timedelta(minutes=minutes_ago))
        return message

    return make


def test_chats_are_newest_first_with_last_message_unread_count_and_name(shop, say):
    say(ANNA, "Hi", 30, contact_name="Anna")
    say(ANNA, "Sure!", 20, inbound=False)
    say(ANNA, "Thanks", 10, contact_name="Anna")
    say(ANNA, "One more thing", 5, contact_name="Anna")
    say(BOB, "Hello?", 15, contact_name="Bob")
    say(TEAM, "Meeting at 3", 1, author="4915100000000@c.us", contact_name="Carl")
    Contact.objects.create(session=shop, wa_id=BOB, name="Bob (supplier)")

    chats, total = chat_selectors.chat_list(session=shop)

    assert total == 3
    assert [c.chat_id for c in chats] == [TEAM, ANNA, BOB]
    team, anna, bob = chats
    assert anna.last.text == "One more thing" and anna.unread == 2  # after our answer only
    assert anna.name == "Anna"
    assert bob.unread == 1 and bob.name == "Bob (supplier)"  # the address book wins
    assert team.is_group and team.name == ""  # a member's push name is not the group's name
    # (its subject is, once YesApp learned it: test_groups_are_named_by_their_last_known_subject)


def test_actions_are_not_last_messages_but_count_as_having_read_the_chat(shop, say):
    hello = say(ANNA, "Hello", 10, wa_id="wa-1")
    say(ANNA, "Anyone?", 9)
    (anna,), _ = chat_selectors.chat_list(session=shop)
    assert anna.unread == 2
    # As on a phone: marking read, or reacting, means the chat was seen.
    say(ANNA, "", 5, inbound=False, action=MessageAction.READ, type="read")
    say(ANNA, "Still there?", 4)
    (anna,), _ = chat_selectors.chat_list(session=shop)
    assert anna.last.text == "Still there?" and anna.unread == 1
    say(ANNA, "👍", 1, inbound=False, action=MessageAction.REACTION, target=hello, type="reaction")
    (anna,), _ = chat_selectors.chat_list(session=shop)
    assert anna.last.text == "Still there?" and anna.unread == 0


def test_chat_list_pages_and_counts_every_chat(shop, say):
    for i in range(7):
        say(f"491510000000{i}@c.us", f"m{i}", i)
    chats, total = chat_selectors.chat_list(session=shop, limit=3)
    assert total == 7
    assert [c.last.text for c in chats] == ["m0", "m1", "m2"]


def test_chat_list_query_count_does_not_grow_with_chats(shop, say, django_assert_max_num_queries):
    for i in range(40):
        say(f"49151000000{i:02d}@c.us", f"m{i}", i)
    with django_assert_max_num_queries(6):
        chats, _ = chat_selectors.chat_list(session=shop)
        assert len(chats) == 40


def test_groups_are_named_by_their_last_known_subject(shop, say, make_session):
    say(TEAM, "Meeting at 3", 2, author="4915100000000@c.us", contact_name="Carl")
    say("120363000000000001@g.us", "Unnamed", 1, author="4915100000000@c.us", contact_name="Carl")
    remember_subjects(session_id=shop.pk, groups=[{"id": TEAM, "subject": "Shop team"}])
    other = make_session("other", status="connected")
    remember_subjects(session_id=other.pk, groups=[{"id": TEAM, "subject": "Not this session's"}])

    unnamed, team = chat_selectors.chat_list(session=shop)[0]
    assert (team.name, unnamed.name) == ("Shop team", "")  # unknown: the page shows the id
    assert chat_selectors.chat_name(session=shop, chat_id=TEAM) == "Shop team"

    # A rename (the groups API lists the groups again) replaces it; blank subjects never do.
    remember_subjects(session_id=shop.pk, groups=[{"id": TEAM, "subject": "Shop"}, {"id": TEAM + "x"}])
    remember_subjects(session_id=shop.pk, groups=[{"id": TEAM, "subject": "  "}])
    assert chat_selectors.chat_list(session=shop)[0][1].name == "Shop"


def test_chat_list_queries_stay_bounded_with_people_and_groups(shop, say, django_assert_max_num_queries):
    for i in range(20):
        say(f"49151000000{i:02d}@c.us", f"m{i}", i)
        say(f"1203630000000000{i:02d}@g.us", f"g{i}", i + 0.5)
    remember_subjects(
        session_id=shop.pk,
        groups=[{"id": f"1203630000000000{i:02d}@g.us", "subject": f"G{i}"} for i in range(20)],
    )
    Contact.objects.create(session=shop, wa_id="4915100000000@c.us", name="Zero")
    with django_assert_max_num_queries(7):
        chats, _ = chat_selectors.chat_list(session=shop)
    assert len(chats) == 40
    assert {c.name for c in chats if c.is_group} == {f"G{i}" for i in range(20)}
    assert "Zero" in {c.name for c in chats}


def test_the_chats_pages_name_a_group_by_its_subject(admin_client, shop, say, django_assert_max_num_queries):
    say(TEAM, "Who brings the cake?", 1, author="4915100000000@c.us", contact_name="Carl")
    say("120363000000000001@g.us", "Unnamed", 2, author="4915100000000@c.us", contact_name="Carl")
    remember_subjects(session_id=shop.pk, groups=[{"id": TEAM, "subject": "Cake <club>"}])
    html = admin_client.get(reverse("dashboard:chat", args=[shop.pk, TEAM])).content.decode()
    assert '<h2 id="thread-title" title="Cake &lt;club&gt;">Cake &lt;club&gt;</h2>' in html
    assert f'<span class="small muted">{TEAM}</span>' in html
    listed = admin_client.get(reverse("dashboard:chat-list", args=[shop.pk])).content.decode()
    assert "👥 Cake &lt;club&gt;</span>" in listed and "👥 120363000000000001@g.us</span>" in listed


def test_a_group_open_beyond_the_first_page_is_named_and_queries_stay_bounded(
    admin_client, shop, say, django_assert_max_num_queries
):
    say(TEAM, "Old news", 500, author="4915100000000@c.us")
    for i in range(chat_selectors.CHATS_PER_PAGE):
        say(f"1203630000000000{i:02d}@g.us", f"g{i}", i, author="4915100000000@c.us")
        say(f"49151000000{i:02d}@c.us", f"m{i}", i + 0.5)
    remember_subjects(
        session_id=shop.pk,
        groups=[{"id": TEAM, "subject": "Archive"}]
        + [{"id": f"1203630000000000{i:02d}@g.us", "subject": f"G{i}"} for i in range(50)],
    )
    with django_assert_max_num_queries(20):
        html = admin_client.get(reverse("dashboard:chat", args=[shop.pk, TEAM])).content.decode()
    assert f'data-key="{TEAM}"' not in html  # not on the list's page
    assert '<h2 id="thread-title" title="Archive">Archive</h2>' in html and "👥 G0</span>" in html
    with django_assert_max_num_queries(20):
        admin_client.get(reverse("dashboard:chats", args=[shop.pk]))


def test_thread_is_oldest_first_without_action_rows(shop, say):
    first = say(ANNA, "first", 3, wa_id="wa-1")
    say(ANNA, "second", 2, inbound=False)
    say(ANNA, "", 1, inbound=False, action=MessageAction.REACTION, target=first, type="reaction")
    say(BOB, "elsewhere", 0)
    thread = chat_selectors.chat_thread(session=shop, chat_id=ANNA)
    assert [m.text for m in thread] == ["first", "second"]


def test_chats_page_shows_the_list_and_the_open_conversation(admin_client, shop, say):
    say(ANNA, "Is my order on its way?", 2, contact_name="Anna")
    say(ANNA, "It left this morning.", 1, inbound=False)
    say(BOB, "<script>alert(1)</script>", 0)
    page = admin_client.get(reverse("dashboard:chats", args=[shop.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="chat-list"' in html and "Choose a conversation" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "data-live-stream" not in html  # WSGI (this test client): the page polls

    page = admin_client.get(reverse("dashboard:chat", args=[shop.pk, ANNA]))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<h2 id="thread-title" title="Anna">Anna</h2>' in html
    thread = html[html.index('data-keyed="bottom"') :]
    assert thread.index("Is my order on its way?") < thread.index("It left this morning.")
    assert 'data-keyed="bottom"' in html and f'data-live-chat="{ANNA}"' in html
    assert 'id="reply-form"' in html and 'aria-current="true"' in html


def test_fragments_are_what_the_page_polls_and_live_js_refreshes(admin_client, shop, say):
    say(ANNA, "Hello", 1)
    listed = admin_client.get(reverse("dashboard:chat-list", args=[shop.pk]) + f"?open={ANNA}")
    assert listed.status_code == 200 and b"<html" not in listed.content
    assert b'data-unread="1"' in listed.content and b'class="chat-open"' in listed.content
    thread = admin_client.get(reverse("dashboard:chat-thread", args=[shop.pk, ANNA]))
    assert thread.status_code == 200 and b"Hello" in thread.content and b"Mark as read" in thread.content


def test_reply_sends_through_the_message_service_to_the_chat(admin_client, shop, say):
    say(TEAM, "Who brings the cake?", 1)
    response = admin_client.post(
        reverse("dashboard:chat-reply", args=[shop.pk, TEAM]), {"text": "I do"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True
    sent = Message.objects.get(session=shop, direction=Direction.OUTBOUND, action="")
    assert (sent.chat_id, sent.text, sent.status) == (TEAM, "I do", MessageStatus.QUEUED)


def test_an_empty_reply_is_refused_and_stores_nothing(admin_client, shop):
    response = admin_client.post(
        reverse("dashboard:chat-reply", args=[shop.pk, ANNA]), {"text": "  "}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_mark_as_read_queues_the_read_action_and_clears_the_count(admin_client, shop, say):
    say(ANNA, "Hello", 1)
    response = admin_client.post(
        reverse("dashboard:chat-read", args=[shop.pk, ANNA]), HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 200, response.content
    assert Message.objects.filter(action=MessageAction.READ, chat_id=ANNA).exists()
    assert chat_selectors.chat_unread(session=shop, chat_id=ANNA) == 0


def test_under_asgi_the_page_carries_the_stream_live_js_follows(admin_client, shop):
    client = AsyncClient()
    client.cookies = admin_client.cookies  # signed in
    page = async_to_sync(client.get)(reverse("dashboard:chats", args=[shop.pk]))
    assert page.status_code == 200
    assert f'data-live-stream="/api/v1/events/stream?session={shop.pk}"' in page.content.decode()


def test_a_bad_chat_id_is_404(admin_client, shop):
    assert admin_client.get(reverse("dashboard:chat", args=[shop.pk, "not a chat@"])).status_code == 404


def test_chats_of_a_session_outside_the_key_scope_are_404(scoped_key):
    raw, mine, other = scoped_key
    client = Client()
    sign_in_with_key(client, raw)
    assert client.get(reverse("dashboard:chats", args=[mine.pk])).status_code == 200
    assert client.get(reverse("dashboard:chats", args=[other.pk])).status_code == 404
    assert client.get(reverse("dashboard:chat-thread", args=[other.pk, ANNA])).status_code == 404
    response = client.post(reverse("dashboard:chat-reply", args=[other.pk, ANNA]), {"text": "x"})
    assert response.status_code == 404
