import pytest
from django.db import connection

from yesapp.tasks import ping


@pytest.mark.slow
def test_task_round_trips_through_real_redis_and_worker(start_worker):
    start_worker(queues="default", name="roundtrip")
    result = ping.apply_async(queue="default").get(timeout=20)
    assert result == {"pong": True, "database": connection.vendor}
