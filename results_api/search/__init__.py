"""Search inside stored task content: ``?search=`` on the task list, stats and export.

What each module holds:

* :mod:`.syntax`: the query language (free terms, "phrases", ``kwargs.key:value``);
* :mod:`.text`: the searchable text of a row, built from what the API shows
  (secrets masked, never a traceback), and the fingerprint of the rules it
  was built with;
* :mod:`.models`: the side table that keeps that text, keyed by the task
  row's primary key, and its state (how far it reaches, built with which rules);
* :mod:`.index`: fills the side table out of band (the management command
  ``index_task_search`` and the periodic task ``results_api.index_task_search``);
* :mod:`.query`: narrows a task queryset to the rows a query matches, from
  the side table for indexed rows and in Python for the rest;
* :mod:`.filters`: the ``search`` filter of the task filter set, and the
  matching excerpt the list shows.

It may import ``django_celery_results`` and the API's settings, masking and
introspection modules; nothing outside this package imports it but the
filter set, the views, the app's models, checks, tasks and commands.
"""
