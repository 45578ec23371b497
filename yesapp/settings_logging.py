"""The logging configuration: JSON lines with the request id, to the console and a rotated file.
Its values come from settings.py (LOG_LEVEL, LOG_DIR, LOG_FILE_MAX_BYTES, LOG_FILE_BACKUPS)."""

from pathlib import Path


def logging_settings(*, log_file: Path, level: str, max_bytes: int, backups: int) -> dict:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "yesapp.logging.RequestIdFilter"}},
        "formatters": {"json": {"()": "yesapp.logging.JsonFormatter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
            "file": {
                "class": "logging.handlers.RotatingFileHandler",
                "filename": str(log_file),
                "maxBytes": max_bytes,
                "backupCount": backups,
                "formatter": "json",
                "filters": ["request_id"],
                "delay": True,
            },
        },
        "root": {"handlers": ["console", "file"], "level": level},
        "loggers": {
            # Django logs every 4xx as a warning; our own handler already logs what matters.
            "django.request": {"level": "ERROR"},
            "django.db.backends": {"level": "INFO"},
            "selenium": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
        },
    }
