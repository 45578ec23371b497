"""The Cloud API facade's media with FILE_STORAGE=s3: an upload is kept in the bucket, described
and downloaded from it, sent by id and deleted from it. The bucket is moto's S3 emulator in
server mode on a loopback port (yesapp/tests/s3.py): no real S3 server is reachable here."""

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile

from cloud_api.models import UploadedMedia
from cloud_api.tests.test_api import PNG, TO, graph_error, send
from messaging.models import Message


def test_an_upload_lives_in_the_bucket_from_upload_to_delete(
    cloud, session, s3_storage, media_root, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("dot.png", PNG, content_type="image/png")
    media_id = cloud.post(f"/v23.0/{session.pk}/media", {"file": upload}, format="multipart").json()["id"]
    row = UploadedMedia.objects.get()
    assert s3_storage.names() == [row.name] and not media_root.exists()

    info = cloud.get(f"/v23.0/{media_id}").json()
    assert (info["file_size"], info["sha256"]) == (len(PNG), hashlib.sha256(PNG).hexdigest())
    download = cloud.get(info["url"].replace("http://testserver", ""))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Length"] == str(len(PNG))

    sent = send(cloud, session, {"to": TO, "type": "image", "image": {"id": media_id}})
    assert sent.status_code == 200, sent.content
    message = Message.objects.get()
    assert sorted(s3_storage.names()) == sorted([row.name, message.media_name])
    with django_capture_on_commit_callbacks(execute=True):
        assert cloud.delete(f"/v23.0/{media_id}").json() == {"success": True}
    assert s3_storage.names() == [message.media_name]
    graph_error(cloud.get(f"/v23.0/{media_id}"), 404, 100)
