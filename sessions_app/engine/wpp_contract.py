"""The exact wa-js surface YesApp uses: the functions the engine calls and the events the
bridge subscribes to. The sandbox implements exactly these, and the contract test checks
every name against the pinned wa-js bundle, so neither can drift from the real library."""

from pathlib import Path

from django.conf import settings

# Dotted paths under window.WPP that must be functions.
FUNCTIONS = (
    "on",
    "conn.getAuthCode",
    "conn.refreshQR",
    "conn.isAuthenticated",
    "conn.isRegistered",
    "conn.isMainReady",
    "conn.getStreamData",
    "conn.getMyUserId",
    "conn.logout",
    "conn.genLinkDeviceCodeForPhoneNumber",
    "chat.sendTextMessage",
    "chat.sendFileMessage",
    "chat.downloadMedia",
    "chat.markIsRead",
    "chat.list",
    "chat.getMessages",
    "contact.queryWidExists",
    "util.blobToBase64",
)

# Events the bridge queues for the engine (payloads as in ../shared/WAJS.md).
EVENTS = (
    "conn.auth_code_change",
    "conn.authenticated",
    "conn.main_ready",
    "conn.logout",
    "conn.qrcode_idle",
    "conn.stream_mode_changed",
    "chat.new_message",
    "chat.msg_ack_change",
)


def wajs_bundle_path() -> Path:
    """Where `make install` puts the pinned bundle (npm `@wppconnect/wa-js`)."""
    return Path(settings.WAJS_BUNDLE_PATH)
