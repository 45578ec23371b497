"""WAHA's error shape, `{"statusCode", "message", "error"}` (NestJS's HttpException body, which
WAHA answers with), for every failure of the WAHA endpoints: YesApp's own errors keep their
status and message, only the envelope changes."""

from http import HTTPStatus

from rest_framework.response import Response

from yesapp.errors import ServiceError, describe_exception


class QrNotAvailable(ServiceError):
    status_code = 422
    code = "qr_not_available"


class PairingCodeRefused(ServiceError):
    status_code = 422
    code = "pairing_code_failed"


class SendNotConfirmed(ServiceError):
    """The send did not happen within WAHA_SEND_WAIT: the message stays queued in YesApp."""

    status_code = 504
    code = "send_not_confirmed"


class SendFailed(ServiceError):
    status_code = 422
    code = "send_failed"


def waha_error_body(status: int, message: str) -> dict:
    return {"statusCode": status, "message": message, "error": HTTPStatus(status).phrase}


def waha_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF exception handler of the WAHA views (WahaView.get_exception_handler)."""
    reply = describe_exception(exc, context.get("request"))
    status, message = reply.status, reply.message
    if getattr(exc, "code", "") == "session_not_connected":
        # WAHA refuses a send on a session that is not WORKING with 422 and this sentence.
        status = 422
        message = f"Session status is not as expected. Expected: WORKING. {message}"
    headers = {k: v for k, v in reply.headers.items() if k != "WWW-Authenticate"}
    return Response(waha_error_body(status, message), status=status, headers=headers)
