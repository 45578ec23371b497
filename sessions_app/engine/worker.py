"""The Celery worker bootstep that turns a worker consuming the `engine` queue into an
engine node: it runs a SessionHost beside the worker, adds the node's own command queue
(`engine.<node>`), and closes every browser cleanly when the worker shuts down.

Sessions are not modelled as long-running tasks: such a task would pin a pool slot and,
with acks_late, be redelivered to a second worker after the broker's visibility timeout.
"""

from celery import bootsteps

ENGINE_QUEUE = "engine"


def node_queue(node: str) -> str:
    return f"{ENGINE_QUEUE}.{node}"


class EngineHostStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        queues = worker.app.amqp.queues
        self.enabled = ENGINE_QUEUE in queues.consume_from
        self.host = None
        if self.enabled:
            # Commands for sessions this node owns are routed here (sessions_app.services).
            queues.select_add(node_queue(worker.hostname))

    def start(self, worker):
        if not self.enabled:
            return
        from sessions_app.engine.host import SessionHost

        self.host = SessionHost(worker.hostname)
        self.host.start()

    def stop(self, worker):
        if self.host is not None:
            self.host.stop()
            self.host = None

    shutdown = stop
