"""Rules for the stored content of a task: what a user may see of it and what can be trusted.

``redaction`` masks secrets in arguments, results and meta, and decides
who sees tracebacks (``permission_cache`` remembers that answer);
``arguments`` recovers a task's stored arguments exactly, for a retry.

May import: :mod:`results_api.conf` and :mod:`django_celery_results`;
nothing else of :mod:`results_api`.
"""
