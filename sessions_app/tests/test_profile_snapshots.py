"""The login travels with the session: snapshots of a profile's login state in the database."""

import io
import tarfile

import pytest
from django.conf import settings

from sessions_app import profile_snapshots
from sessions_app.fencing import StaleOwner
from sessions_app.models import ProfileSnapshot, Session
from sessions_app.profile_snapshots import snapshot_restore, snapshot_take, snapshots_forget
from sessions_app.tests.helpers import create_and_link, wait_for, wait_status


def _profile(root, marker: str = "v1"):
    """A profile with WhatsApp Web's login parts, a cache and Chromium's lock files."""
    profile = root / "profile"
    files = {
        "Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb/000003.log": f"keys {marker}",
        "Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb/LOCK": "",
        "Default/Local Storage/leveldb/000005.ldb": f"WABrowserId {marker}",
        "Default/Cookies": "cookies",
        "Local State": "{}",
        "Default/Cache/Cache_Data/data_1": "x" * 10_000,
        "SingletonLock": "",
    }
    for name, text in files.items():
        (profile / name).parent.mkdir(parents=True, exist_ok=True)
        (profile / name).write_text(text)
    return profile


@pytest.fixture
def session(db):
    return Session.objects.create(name="snap", status="connected")


def test_a_snapshot_holds_the_login_parts_encrypted_and_restores_into_an_empty_profile(session, tmp_path):
    snapshot = snapshot_take(session_id=session.pk, profile_dir=_profile(tmp_path / "a"), node="node-a")
    assert snapshot.files == 4 and snapshot.size == len(bytes(snapshot.data)) and snapshot.node == "node-a"
    assert b"WABrowserId" not in bytes(snapshot.data)  # encrypted, and compressed before that

    empty = tmp_path / "b" / "profile"
    assert snapshot_restore(session_id=session.pk, profile_dir=empty)
    leveldb = empty / "Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb"
    assert (leveldb / "000003.log").read_text() == "keys v1"
    assert (empty / "Default/Local Storage/leveldb/000005.ldb").read_text() == "WABrowserId v1"
    assert not (leveldb / "LOCK").exists() and not (empty / "SingletonLock").exists()
    assert not (empty / "Default/Cache").exists()
    # A profile that has its own login state is never overwritten.
    assert not snapshot_restore(session_id=session.pk, profile_dir=empty)


def test_only_the_newest_snapshots_are_kept_and_the_newest_is_restored(session, tmp_path, settings):
    settings.PROFILE_SNAPSHOTS_KEEP = 2
    for n in range(4):
        snapshot_take(session_id=session.pk, profile_dir=_profile(tmp_path / str(n), marker=f"v{n}"))
    assert ProfileSnapshot.objects.filter(session=session).count() == 2
    restored = tmp_path / "new" / "profile"
    assert snapshot_restore(session_id=session.pk, profile_dir=restored)
    log = restored / "Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb/000003.log"
    assert log.read_text() == "keys v3"


def test_nothing_is_taken_from_a_profile_without_login_state_or_over_the_size_bound(
    session, tmp_path, settings
):
    assert snapshot_take(session_id=session.pk, profile_dir=tmp_path / "none") is None
    settings.PROFILE_SNAPSHOT_MAX_BYTES = 10
    assert snapshot_take(session_id=session.pk, profile_dir=_profile(tmp_path)) is None
    assert not ProfileSnapshot.objects.exists()
    assert not snapshot_restore(session_id=session.pk, profile_dir=tmp_path / "x")


def test_unreadable_or_hostile_snapshots_are_skipped_for_an_older_good_one(session, tmp_path, settings):
    snapshot_take(session_id=session.pk, profile_dir=_profile(tmp_path / "good", marker="good"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        evil = tarfile.TarInfo("../../outside.txt")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"evil"))
    hostile = profile_snapshots._fernet().encrypt(buffer.getvalue())
    ProfileSnapshot.objects.create(session=session, data=hostile, size=len(hostile))
    key = settings.SECRET_KEY
    settings.SECRET_KEY = "another deployment's key"
    foreign = profile_snapshots._fernet().encrypt(b"junk")
    ProfileSnapshot.objects.create(session=session, data=foreign, size=len(foreign))
    settings.SECRET_KEY = key

    target = tmp_path / "n" / "p" / "profile"
    assert snapshot_restore(session_id=session.pk, profile_dir=target)
    log = target / "Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb/000003.log"
    assert log.read_text() == "keys good"
    assert not (tmp_path / "n" / "outside.txt").exists()


def test_forgetting_deletes_every_snapshot_of_the_session(session, tmp_path):
    snapshot_take(session_id=session.pk, profile_dir=_profile(tmp_path))
    assert snapshots_forget(session_id=session.pk) == 1
    assert not ProfileSnapshot.objects.exists()


def test_with_the_storage_store_the_bytes_live_in_the_file_storage_and_follow_their_rows(
    session, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROFILE_SNAPSHOT_STORE, settings.PROFILE_SNAPSHOTS_KEEP = "storage", 2
    folder = settings.MEDIA_ROOT / "profile-snapshots" / str(session.pk)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            snapshot_take(session_id=session.pk, profile_dir=_profile(tmp_path / str(n), marker=f"v{n}"))
    rows = list(ProfileSnapshot.objects.filter(session=session))
    assert len(rows) == 2 and all(bytes(row.data) == b"" for row in rows)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        row.stored_name.rsplit("/", 1)[1] for row in rows
    )
    assert b"WABrowserId" not in (settings.MEDIA_ROOT / rows[0].stored_name).read_bytes()

    (settings.MEDIA_ROOT / rows[0].stored_name).unlink()  # the newest lost: the older one serves
    restored = tmp_path / "new" / "profile"
    assert snapshot_restore(session_id=session.pk, profile_dir=restored)
    log = restored / "Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb/000003.log"
    assert log.read_text() == "keys v1"
    with django_capture_on_commit_callbacks(execute=True):
        assert snapshots_forget(session_id=session.pk) == 2
    assert list(folder.iterdir()) == []


def test_a_snapshot_refused_by_the_fence_leaves_no_object_behind(session, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROFILE_SNAPSHOT_STORE = "storage"
    Session.objects.filter(pk=session.pk).update(lease_token=5)
    with pytest.raises(StaleOwner):
        snapshot_take(session_id=session.pk, profile_dir=_profile(tmp_path), lease_token=4)
    assert not ProfileSnapshot.objects.exists()
    assert not any(p.is_file() for p in (settings.MEDIA_ROOT).rglob("*"))


def test_snapshots_round_trip_through_an_s3_bucket(
    session, tmp_path, settings, s3_storage, django_capture_on_commit_callbacks
):
    """Against moto's S3 emulator (yesapp/tests/s3.py): taken into the bucket, restored from
    it onto an empty disk, pruned and forgotten in it."""
    settings.PROFILE_SNAPSHOT_STORE, settings.PROFILE_SNAPSHOTS_KEEP = "storage", 2
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            snapshot_take(session_id=session.pk, profile_dir=_profile(tmp_path / str(n), marker=f"v{n}"))
    rows = list(ProfileSnapshot.objects.filter(session=session))
    assert sorted(s3_storage.names()) == sorted(row.stored_name for row in rows) and len(rows) == 2
    assert b"WABrowserId" not in s3_storage.read(rows[0].stored_name)

    restored = tmp_path / "other-node" / "profile"
    assert snapshot_restore(session_id=session.pk, profile_dir=restored)
    log = restored / "Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb/000003.log"
    assert log.read_text() == "keys v2"
    with django_capture_on_commit_callbacks(execute=True):
        snapshots_forget(session_id=session.pk)
    assert s3_storage.names() == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("store", ["database", "s3"])
def test_a_session_linked_on_one_node_reconnects_on_another_with_an_empty_disk_without_a_scan(
    api, engine_worker, tmp_path, request, store
):
    # Both nodes share only the database and Redis (and, for "s3", a bucket on moto's S3
    # emulator: yesapp/tests/s3.py); the secret key is the deployment's.
    env = {"SECRET_KEY": settings.SECRET_KEY}
    bucket = None
    if store == "s3":
        bucket = request.getfixturevalue("s3_storage")  # before the workers: they inherit it
        env["PROFILE_SNAPSHOT_STORE"] = "storage"
    worker = engine_worker("engine-a", PROFILE_SNAPSHOT_FIRST_AFTER="1", **env)
    session = create_and_link(api, name="travels")
    wait_for(lambda: ProfileSnapshot.objects.filter(session=session).exists(), 30, what="a first snapshot")
    worker.stop()  # a clean stop snapshots once more, from the flushed profile
    if bucket is not None:
        names = set(ProfileSnapshot.objects.filter(session=session).values_list("stored_name", flat=True))
        assert "" not in names and names <= set(bucket.names())
    other_disk = tmp_path / "node-b"
    engine_worker("engine-b", DATA_DIR=str(other_disk), **env)
    session = wait_status(session.id, "connected", timeout=90)
    assert session.engine_node.startswith("engine-b@")
    assert (other_disk / "sessions" / str(session.id) / "profile" / "Default" / "IndexedDB").is_dir()
    statuses = [e.to_status for e in session.events.order_by("id")]
    assert statuses.count("qr") == 1, statuses  # linked once: no new scan on node b

    # Logging out ends the link: no snapshot may bring it back.
    assert api.post(f"/api/v1/sessions/{session.id}/logout").status_code == 202
    wait_status(session.id, "qr", timeout=30)
    gone = lambda: not ProfileSnapshot.objects.filter(session=session).exists()  # noqa: E731
    wait_for(gone, 10, what="snapshots deleted")
    if bucket is not None:
        wait_for(
            lambda: not any(k.startswith("profile-snapshots/") for k in bucket.names()), 10, what="objects"
        )
