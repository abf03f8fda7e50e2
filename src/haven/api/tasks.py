"""Background work of the API (Django's tasks framework; the database backend runs it in ``db_worker``)."""

from django.tasks import default_task_backend, task

from . import webhooks


@task()
def deliver_webhook(delivery_id: int) -> None:
    """Attempt one webhook delivery; when it is to be tried again, enqueue the next attempt for its time (a backend
    that cannot defer leaves it to ``manage.py webhooks_deliver``, which attempts whatever is due)."""
    delivery = webhooks.attempt(delivery_id)
    if delivery is not None and delivery.next_attempt_at is not None and default_task_backend.supports_defer:
        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery_id)
