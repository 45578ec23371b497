"""The messages' families of `GET /metrics` (registered in MessagingConfig.ready())."""

from collections.abc import Iterator

from django.db.models import Count, Q
from prometheus_client.core import GaugeMetricFamily, Metric

from messaging.models import BACKLOG_STATUSES, Direction, Message, MessageStatus
from sessions_app.models import Session


def messages_by_status() -> Iterator[Metric]:
    counts = {(Direction.OUTBOUND.value, status): 0 for status in MessageStatus.values}
    counts.pop((Direction.OUTBOUND.value, MessageStatus.RECEIVED.value))
    counts[(Direction.INBOUND.value, MessageStatus.RECEIVED.value)] = 0
    for row in Message.objects.values("direction", "status").annotate(n=Count("pk")):
        counts[(row["direction"], row["status"])] = row["n"]
    family = GaugeMetricFamily(
        "yesapp_messages",
        "Stored messages by direction and current status.",
        labels=["direction", "status"],
    )
    for (direction, status), n in sorted(counts.items()):
        family.add_metric([direction, status], n)
    yield family


def session_queue_depths() -> Iterator[Metric]:
    queue = GaugeMetricFamily(
        "yesapp_session_queue_depth",
        "Outbound messages waiting to be sent (queued or sending), per session.",
        labels=["session_id", "session"],
    )
    sessions = Session.objects.annotate(
        backlog=Count(
            "messages",
            filter=Q(messages__direction=Direction.OUTBOUND, messages__status__in=BACKLOG_STATUSES),
        )
    ).values_list("pk", "name", "backlog")
    for pk, name, backlog in sessions:
        queue.add_metric([str(pk), name], backlog)
    yield queue
