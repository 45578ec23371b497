"""Where files that more than one process reads are kept: Django's STORAGES, from the
environment (part of yesapp/settings.py).

FILE_STORAGE=filesystem (the default) keeps them under MEDIA_ROOT (DATA_DIR/media), as on one
machine; FILE_STORAGE=s3 keeps them in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...)
through django-storages, so engine nodes on other machines and the web server share them.
"""

from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured

FILE_STORAGES = ("filesystem", "s3")
STATICFILES = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}


def s3_options(env) -> dict:
    """django-storages' S3Storage options; credentials may also come from boto3's own chain
    (instance roles, ~/.aws) when S3_ACCESS_KEY_ID is empty."""
    bucket = env.str("S3_BUCKET", default="")
    if not bucket:
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET (and usually S3_ENDPOINT_URL).")
    optional = {
        "endpoint_url": env.str("S3_ENDPOINT_URL", default=""),
        "region_name": env.str("S3_REGION", default=""),
        "access_key": env.str("S3_ACCESS_KEY_ID", default=""),
        "secret_key": env.str("S3_SECRET_ACCESS_KEY", default=""),
        # "path" for MinIO and most self-hosted servers; "virtual" or "" (boto3 decides) for AWS.
        "addressing_style": env.str("S3_ADDRESSING_STYLE", default=""),
    }
    return {
        "bucket_name": bucket,
        **{name: value for name, value in optional.items() if value},
        # A folder inside the bucket, so one bucket can serve several installs.
        "location": env.str("S3_PREFIX", default="").strip("/"),
        # Private objects (no ACL sent: the bucket's own policy): files are only ever served
        # through YesApp's authenticated endpoints, never by bucket URLs.
        "default_acl": None,
        # The file names are YesApp's own (<messageId>.<ext>): writing one again replaces it.
        "file_overwrite": True,
        "verify": env.bool("S3_VERIFY_TLS", default=True),
        # A server that does not answer fails a request (and /ready) in seconds, not minutes.
        "client_config": Config(
            connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}
        ),
    }


def storages_settings(env) -> tuple[str, dict]:
    """FILE_STORAGE and the STORAGES dict it stands for."""
    kind = env.str("FILE_STORAGE", default="filesystem").strip().lower()
    if kind not in FILE_STORAGES:
        raise ImproperlyConfigured(f"FILE_STORAGE must be one of {', '.join(FILE_STORAGES)}, not {kind!r}.")
    if kind == "s3":
        default = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(env)}
    else:
        # No location: it follows MEDIA_ROOT, also when a test changes that setting.
        default = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return kind, {"default": default, "staticfiles": STATICFILES}


def snapshot_store_setting(env) -> str:
    """PROFILE_SNAPSHOT_STORE: login snapshots in the database table (the default) or, beside
    the media, in the file storage (an S3 bucket when FILE_STORAGE=s3); their index stays in
    the database either way, where the lease fencing checks every write."""
    store = env.str("PROFILE_SNAPSHOT_STORE", default="database").strip().lower()
    if store not in ("database", "storage"):
        raise ImproperlyConfigured(f"PROFILE_SNAPSHOT_STORE must be database or storage, not {store!r}.")
    return store
