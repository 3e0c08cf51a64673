"""Prometheus metrics from the stored results: counters that survive restarts and cleanup.

    path("metrics", include("results_api.metrics.urls")),   # off until mounted

``totals`` keeps cumulative counts and duration histograms per label
combination (the rollup run calls it, out of band like the stats rollup);
``collector`` turns them, and a few gauges read from the task table, into
``prometheus_client`` metric families; ``views`` serves them to a scraper
holding ``RESULTS_API["METRICS_TOKEN"]`` or passing the API's permission
classes, through the scope hook. See docs/metrics.md.

May import ``django_celery_results``, the settings (``results_api.conf``)
and the stats engine's rollup modules it reads from; nothing imports it
but the rollup task and command that keep its totals.
"""
