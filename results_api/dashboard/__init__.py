"""A ready task monitor over the results API, mounted with one line::

    path("results/", include("results_api.dashboard.urls")),

One page and its native ES modules, shipped in the package (no CDN, no
build step, no ``collectstatic``), that read only the public API with the
user's session: its filters, columns and selects come from
``tasks/metadata/``, so they follow the active task result model. The page
is shown to a logged-in user whom the API's ``PERMISSION_CLASSES`` admit
(see :mod:`results_api.dashboard.access`); docs/dashboard.md tells the rest.

May import: :mod:`results_api.rest` and everything below it; nothing imports
the dashboard but the URLconf a project writes.
"""
