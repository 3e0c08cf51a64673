"""Bulk actions: retry, revoke or delete every task a filter selects, previewed, then confirmed.

    GET  tasks/bulk/<action>/?<filters>                -> what would be done, and a token
    POST tasks/bulk/<action>/?<filters> {"token": ...} -> done, in batches

``selection`` binds a preview to its confirmation (a signed token of the
user, the action, the filters and the count); ``plan`` counts what a
filter selects and what would be skipped, and why; ``run`` acts in keyset
batches, each its own transaction, resumable after an interruption;
``permissions`` holds the Django permission each bulk action needs;
``views`` is the endpoint, mixed into the task viewset; ``models`` records
each run.

May import: :mod:`results_api.conf`, :mod:`results_api.models`,
:mod:`results_api.content`, :mod:`results_api.audit`,
:mod:`results_api.control` (how a task is retried or revoked, shared with
the single actions) and :mod:`django_celery_results`. The task viewset in
:mod:`results_api.rest` mixes ``views`` in, so that a bulk action takes the
list's filters; nothing here imports the REST API.
"""
