import uuid

from cloud_api.ids import media_id_for, message_id_from_wamid, uuid_from_media_id, wa_id_for, wamid_for


def test_a_wamid_names_the_same_message_both_ways():
    pk = uuid.uuid4()
    wamid = wamid_for(pk)
    assert wamid.startswith("wamid.") and str(pk) not in wamid
    assert message_id_from_wamid(wamid) == pk


def test_what_is_not_one_of_our_wamids_names_nothing():
    for value in ("", "wamid.", "wamid.HBgLMzM2MTIzNDU2NzgVAgARGBI", "abc", "wamid." + "!" * 22):
        assert message_id_from_wamid(value) is None


def test_a_media_id_is_all_digits_and_reversible():
    pk = uuid.uuid4()
    media_id = media_id_for(pk)
    assert media_id.isdigit()
    assert uuid_from_media_id(media_id) == pk
    assert uuid_from_media_id("9" * 39) is None  # past 128 bits
    assert uuid_from_media_id("12a") is None


def test_wa_id_is_digits_only():
    assert wa_id_for("+33612345678") == "33612345678"
    assert wa_id_for("33612345678@c.us") == "33612345678"
    assert wa_id_for("120363000000000001@g.us") == "120363000000000001@g.us"
