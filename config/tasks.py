from celery import shared_task


@shared_task(name="qadam.ping", acks_late=True)
def ping(value: str = "pong") -> str:
    """Echo a value back: proves a worker is consuming the queue and can answer."""
    return value
