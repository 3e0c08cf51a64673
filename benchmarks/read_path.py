"""Read path at scale: results_api and the admin, against minimal raw-SQL handlers.

    python -m benchmarks.read_path [--sizes 100000,10000000] [--rounds 7] [--requests 20]
    python -m benchmarks.read_path --sizes 10000000 --load-only   # build the database once

Each size gets a PostgreSQL database of the test app's custom model,
loaded by one generated INSERT ... SELECT (10,000 rows per tenant, and
tenant 1, the biggest, holds a tenth of all rows: 100k rows hold 10
tenants, 10M rows 1,000; 10 task names; a month of dates; 85% SUCCESS, 8%
FAILURE, 2% REVOKED, and 5% RETRY or STARTED in the last hour, older
ones SUCCESS), with the indexes the README recommends, vacuumed and
analysed, and its stats rollup brought up to 4 minutes before the newest
result, as the periodic task leaves it (the first run is the backfill). It
is kept between runs (10M rows load in about 20 minutes, the backfill
about 15, on a shared 2-core machine). Requests go over loopback HTTP (one
keep-alive connection) to a real server, gunicorn with one worker thread,
as a deployment serves them: the API with a staff user's session, the
admin with a superuser's, the API's requests each against a reference
handler (benchmarks/reference.py) in the same server that checks the
session's user is staff, runs the equivalent SQL and writes JSON with the
standard library; the two are interleaved, each round's medians give a
ratio, and the figure is the median of the rounds' ratios. The server reports
each request's database time in a ``Server-Timing`` header
(benchmarks/timing.py).

Targets: each API endpoint within 2x its reference and under 2 ms of
database time; the biggest tenant's stats (by status over 30 days, by
hour over one day) under 5 ms of database time (their reference reads the
task table: the cost without the rollup); the admin's changelist under 150
ms and its search by task id under 50 ms; the deep page (after 100,000
rows, or half the table when it is smaller) no slower than 1.2x the first
page; every figure at the largest size within 1.2x the smallest. The
biggest tenant's day by hour and status is a longer answer at the largest
size (every status occurs in every hour there, not at the smallest), so
its scaling is compared per answer row; its total is printed too.

Search (``?search=``) is measured on the side table ``index_task_search``
fills (the load step brings it up to date; the first run is the backfill):
a selective term (a number in one row's arguments and result) and the
same as a key-targeted term (``result.rows:<n>``), each against a
reference that runs the hand-written indexed SQL (the trigram ``LIKE`` on
the side table, joined to the tasks); and a broad term (in every row) in
one tenant, its first page and a page 5,000 rows in through the API's
cursor. Targets: each within 2x its reference and under 20 ms of database
time, the deep page within 1.2x the first, every figure at the largest
size within 1.2x the smallest.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import VAR

ROOT = Path(__file__).resolve().parent.parent
ROWS_PER_TENANT = 10_000
# The tenant that holds a tenth of the rows.
BIGGEST = 1
# How much of the latest results the rollup leaves to the task table: up to
# ROLLUP_STEP + ROLLUP_LAG + the periodic task's period (1 + 2 + 1 minutes by default).
# The figures file's suffix for how many rows a stats answer holds.
ROWS = " (answer rows)"
# The request whose answer is longer at the larger size: its scaling is per answer row.
BY_HOUR_AND_STATUS = "stats 1 day by hour and status (biggest tenant)"
ROLLUP_TAIL = datetime.timedelta(minutes=4)
# In every row's arguments: a search that matches a whole tenant.
BROAD_TERM = "pdf"
SEARCH_FIRST = "search, broad term, first page (tenant)"
SEARCH_DEEP = "search, broad term, deep page (tenant)"
# How far into the tenant's matches the deep page of a broad search starts.
SEARCH_DEEP_OFFSET = 5_000
# After the rounds, searches with the side table's mark this far before the newest result, as
# a fill that ran that long ago leaves it: the newest rows are matched live (not a target).
NOT_INDEXED = datetime.timedelta(minutes=3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,10000000")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20, help="requests per side and round")
    parser.add_argument("--load-only", action="store_true", help="load the databases and stop")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return measure(args.child, args.rounds, args.requests, args.load_only)
    sizes = [int(size) for size in args.sizes.split(",")]
    figures = {}
    met = True
    for size in sizes:
        env = {**os.environ, "BENCH_DB": "postgres", "BENCH_DB_NAME": f"cra_bench_read_{size}"}
        output = VAR / f"bench-read-{size}.txt"
        command = [sys.executable, "-m", "benchmarks.read_path", "--child", str(size),
                   "--rounds", str(args.rounds), "--requests", str(args.requests)]  # fmt: skip
        if args.load_only:
            subprocess.run([*command, "--load-only"], env=env, cwd=ROOT, check=True)
            continue
        output.unlink(missing_ok=True)
        met &= subprocess.run(command, env=env, cwd=ROOT).returncode == 0
        if not output.exists():
            print(f"the measurement at {size:,} rows failed", file=sys.stderr)
            return 2
        figures[size] = _read_figures(output)
    if args.load_only:
        return 0
    if len(sizes) > 1:
        met &= report_scaling(sizes, figures)
    return 0 if met else 1


def _read_figures(path: Path) -> dict[str, float]:
    pairs = (line.split("=") for line in path.read_text().splitlines() if "=" in line)
    return {name: float(value) for name, value in pairs}


def report_scaling(sizes: list[int], figures: dict[int, dict[str, float]]) -> bool:
    from benchmarks import harness

    small, large = min(sizes), max(sizes)
    names = [name for name in figures[large] if not name.endswith(ROWS)]
    targets = []
    for name in names:
        ratio = figures[large][name] / figures[small][name]
        label = f"{name}: {large:,} rows / {small:,} rows"
        rows = (figures[small].get(name + ROWS), figures[large].get(name + ROWS))
        if name == BY_HOUR_AND_STATUS and rows[0] and rows[1]:
            # Not the same answer: every status occurs in every hour of the larger table's
            # biggest tenant, not of the smaller's. Compare the cost of an answer row.
            ratio *= rows[0] / rows[1]
            label += f", per answer row ({rows[0]:.0f} and {rows[1]:.0f} rows)"
        targets.append(harness.Target(label, ratio, 1.2, higher_is_better=False, unit="x"))
    figure_lines = [
        (f"{name} at {size:,} rows", f"{figures[size][name]:.2f} ms")
        for name in names
        for size in sizes
    ]
    return harness.report("read path scaling", figure_lines, targets)


def load(size: int) -> None:
    """Fill the custom model's table with ``size`` generated rows unless there; vacuum it."""
    from django.db import connection

    tenants = max(size // ROWS_PER_TENANT, 2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM testapp_taskresult), "
            "(SELECT COUNT(*) FROM testapp_taskresult WHERE tenant_id = 1)"
        )
        # This generator's rows: tenant 1, the biggest, holds a tenth of them.
        if cursor.fetchone() != (size, size // 10):
            print(f"loading {size:,} rows for {tenants} tenants ...", flush=True)
            started = time.perf_counter()
            generate(cursor, size, tenants)
            print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
    connection.close()
    with connection.cursor() as cursor:
        # On every run: stats read only the index once the visibility map marks every
        # page, and a vacuum that ran beside another transaction may have left some out.
        cursor.execute("VACUUM (FREEZE, ANALYZE) testapp_taskresult")


def generate(cursor, size: int, tenants: int) -> None:
    """Replace the tenants and task results with ``size`` generated rows in ``tenants``."""
    cursor.execute("TRUNCATE testapp_taskresult, testapp_tenant RESTART IDENTITY CASCADE")
    cursor.execute(
        "INSERT INTO testapp_tenant (name) SELECT 'tenant ' || g FROM generate_series(1, %s) g",
        [tenants],
    )
    cursor.execute(
        """
            INSERT INTO testapp_taskresult (
                task_id, periodic_task_name, task_name, task_args, task_kwargs, status, worker,
                content_type, content_encoding, result, date_created, date_started, date_done,
                traceback, meta, tenant_id, priority, attempt)
            SELECT md5('task-' || g)::uuid::text, NULL, 'app.tasks.task_' || (k %% 10),
                   '"(' || g || ', ''pdf'')"', '"{''tenant_id'': ' || tenant || '}"', status,
                   'celery@worker-' || (k %% 4), 'application/json', 'utf-8',
                   CASE WHEN status = 'FAILURE'
                        THEN '{"exc_type": "ValueError", "exc_message": ["bad input"]}'
                        ELSE '{"rows": ' || g || ', "status": "ok"}' END,
                   done - runtime - interval '5 milliseconds', done - runtime, done,
                   CASE WHEN status = 'FAILURE'
                        THEN 'Traceback (most recent call last):\n  ...\nValueError: bad input'
                   END,
                   '{"children": []}', tenant,
                   (ARRAY['low', 'normal', 'high'])[1 + k %% 3], k %% 3
            FROM (
                -- k numbers each tenant's own rows, so that states, names and runtimes
                -- are spread alike within every tenant.
                SELECT g, k, tenant, done,
                       ((k * 37) %% 5000) * interval '1 millisecond' AS runtime,
                       -- A task is RETRY or STARTED only while it is in flight: in the
                       -- last hour; older ones have finished.
                       CASE WHEN k %% 100 < 85 THEN 'SUCCESS' WHEN k %% 100 < 93 THEN 'FAILURE'
                            WHEN k %% 100 >= 98 THEN 'REVOKED'
                            WHEN done < now() - interval '1 hour' THEN 'SUCCESS'
                            WHEN k %% 100 < 96 THEN 'RETRY' ELSE 'STARTED' END AS status
                FROM (
                    SELECT g, now() - g * (interval '30 days' / %s) AS done,
                           CASE WHEN g %% 10 = 0 THEN 1 ELSE 2 + g %% %s END AS tenant,
                           CASE WHEN g %% 10 = 0 THEN g / 10 ELSE g / %s END AS k
                    FROM generate_series(1, %s) g
                ) numbered
            ) rows
            """,
        [size, tenants - 1, tenants - 1, size],
    )


def measure(size: int, rounds: int, requests: int, load_only: bool = False) -> int:
    from benchmarks import harness

    harness.ensure_pg_database(os.environ["BENCH_DB_NAME"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    load(size)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(date_done) FROM testapp_taskresult")
        (last_done,) = cursor.fetchone()
    # The rollup stops ROLLUP_TAIL before the newest result, as the periodic task may
    # leave it: stats read those latest results from the task table.
    started = time.perf_counter()
    call_command("rollup_task_results", until=(last_done - ROLLUP_TAIL).isoformat())
    print(f"rollup brought up to date in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    call_command("index_task_search", verbosity=2)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE results_api_tasksearchtext")
    print(f"search index brought up to date in {time.perf_counter() - started:.0f} s", flush=True)
    if load_only:
        return 0
    staff, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    superuser, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    cookies = []
    for user in (staff, superuser):
        login = Client()
        login.force_login(user)
        session = login.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session}")

    tenant = max(size // ROWS_PER_TENANT, 1) // 2 + 1
    deep_offset = min(100_000, size // 2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, task_id, date_created FROM testapp_taskresult "
            "ORDER BY date_created DESC, id DESC OFFSET %s LIMIT 1",
            [deep_offset],
        )
        deep_id, some_task_id, deep_created = cursor.fetchone()
        cursor.execute(
            "SELECT date_created FROM testapp_taskresult WHERE tenant_id = %s "
            "ORDER BY date_created DESC, id DESC OFFSET %s LIMIT 1",
            [tenant, SEARCH_DEEP_OFFSET],
        )
        (search_deep_created,) = cursor.fetchone()
    connection.close()

    rows = (deep_id, some_task_id, deep_created, last_done, search_deep_created)
    with Server() as server:
        clients = (server.client(cookies[0]), server.client(cookies[1]))
        return measure_pairs(size, rounds, requests, clients, tenant, rows)


def measure_pairs(size: int, rounds: int, requests: int, clients, tenant: int, rows: tuple) -> int:
    """Time each request (and its reference) through ``clients``; report against the targets.

    ``clients`` are the staff user's and a superuser's ``get``: the API is
    read as staff, the admin as a superuser.
    """
    from urllib.parse import urlencode

    from benchmarks import harness

    get, get_admin = clients
    deep_id, some_task_id, deep_created, last_done, search_deep_created = rows
    cursor_value = _cursor_after(get, deep_created)
    # A number in one row's arguments and result (and, by chance, in a task id or two).
    selective = str(size - 12_345)
    broad = {"search": BROAD_TERM, "tenant": tenant}
    search_cursor = _cursor_after(get, search_deep_created, broad)
    api = "/api/results/tasks/"
    month = urlencode({"date_done__gte": (last_done - datetime.timedelta(days=30)).isoformat()})
    day = urlencode(
        {
            "date_done__gte": (last_done - datetime.timedelta(days=1)).isoformat(),
            "date_done__lte": last_done.isoformat(),
        }
    )
    admin = "/admin/testapp/taskresult/"
    # name: (url, reference url or None, who asks)
    pairs = {
        "first page (tenant, status)": (
            f"{api}?tenant={tenant}&status=FAILURE&page_size=50",
            f"/ref/tasks/?tenant={tenant}&status=FAILURE",
            get,
        ),
        "first page (all)": (f"{api}?page_size=50", None, get),
        "deep page": (
            f"{api}?page_size=50&cursor={cursor_value}",
            "/ref/tasks/after/?" + urlencode({"created": deep_created.isoformat(), "id": deep_id}),
            get,
        ),
        "detail": (f"{api}{some_task_id}/", f"/ref/tasks/{some_task_id}/", get),
        "stats (status, tenant)": (
            f"{api}stats/?group_by=status&tenant={tenant}",
            f"/ref/tasks/stats/?tenant={tenant}",
            get,
        ),
        "stats 30 days (status, biggest tenant)": (
            f"{api}stats/?group_by=status&tenant={BIGGEST}&{month}",
            f"/ref/tasks/stats/?tenant={BIGGEST}&{month}",
            get,
        ),
        "stats 1 day by hour (biggest tenant)": (
            f"{api}stats/?interval=hour&tenant={BIGGEST}&{day}",
            None,
            get,
        ),
        BY_HOUR_AND_STATUS: (
            f"{api}stats/?group_by=status&interval=hour&tenant={BIGGEST}&{day}",
            None,
            get,
        ),
        "search, selective term": (
            f"{api}?search={selective}&page_size=50",
            f"/ref/tasks/search/?text={selective}",
            get,
        ),
        "search, key-targeted term": (
            f"{api}?search=result.rows:{selective}&page_size=50",
            # Its value's trigrams are rare, its key's in every row: both conditions.
            "/ref/tasks/search/?"
            + urlencode({"text": [f"={selective}\n", f"\nresult.rows={selective}\n"]}, doseq=True),
            get,
        ),
        SEARCH_FIRST: (
            f"{api}?{urlencode(broad)}&page_size=50",
            "/ref/tasks/search/?" + urlencode({"text": BROAD_TERM, "tenant": tenant}),
            get,
        ),
        SEARCH_DEEP: (f"{api}?{urlencode(broad)}&page_size=50&cursor={search_cursor}", None, get),
        "admin changelist": (admin, None, get_admin),
        "admin search by task id": (f"{admin}?q={some_task_id}", None, get_admin),
        "admin search by task id prefix": (f"{admin}?q={some_task_id[:8]}", None, get_admin),
    }

    answer_rows: dict[str, int] = {}

    def timed(url: str, getter, count: int = requests) -> tuple[float, float]:
        """Return the median wall and database milliseconds of ``count`` GETs of ``url``."""
        walls, dbs = [], []
        for _ in range(count):
            started = time.perf_counter()
            status, body, db = getter(url)
            walls.append((time.perf_counter() - started) * 1000)
            dbs.append(db)
            assert status == 200, (url, status, body[:300])
        if "/stats/" in url:
            answer_rows[url] = len(json.loads(body)["results"])
        return statistics.median(walls), statistics.median(dbs)

    results: dict[str, dict[str, list[float]]] = {}
    print(f"read path at {size:,} rows: {rounds} rounds x {requests} requests", flush=True)
    for _ in range(3):  # warm the server: imports, the connection, generated classes
        for url, _ref_url, getter in pairs.values():
            timed(url, getter, 3)
    for number in range(rounds):
        for name, (url, ref_url, getter) in pairs.items():
            wall, db = timed(url, getter)
            entry = results.setdefault(name, {"api": [], "db": [], "ref": []})
            entry["api"].append(wall)
            entry["db"].append(db)
            if ref_url:
                # The biggest tenant's reference reads a million rows: seconds each.
                ref_requests = 3 if "biggest tenant" in name else requests
                entry["ref"].append(timed(ref_url, get, ref_requests)[0])
        print(f"  round {number + 1}/{rounds} done", flush=True)

    medians = {
        name: {side: statistics.median(values) for side, values in entry.items() if values}
        for name, entry in results.items()
    }
    figures, targets = [], []
    for name, entry in medians.items():
        line = f"{entry['api']:.2f} ms (database {entry['db']:.2f} ms)"
        if name.startswith("admin"):
            bound = 150 if name == "admin changelist" else 50
            targets.append(harness.Target(name, entry["api"], bound, False, " ms"))
        elif "biggest tenant" in name:
            targets.append(harness.Target(f"{name}: database time", entry["db"], 5, False, " ms"))
        elif name.startswith("search"):
            targets.append(harness.Target(f"{name}: database time", entry["db"], 20, False, " ms"))
        else:
            targets.append(harness.Target(f"{name}: database time", entry["db"], 2, False, " ms"))
        if "ref" in entry:
            # The median of the rounds' ratios: each round's two sides ran side by side.
            rounds_of = results[name]
            ratio = statistics.median(
                api / ref for api, ref in zip(rounds_of["api"], rounds_of["ref"], strict=True)
            )
            line += f"; reference {entry['ref']:.2f} ms; ratio {ratio:.2f}"
            if "biggest tenant" not in name:  # its reference reads the tasks, not the rollup
                targets.append(harness.Target(f"{name} / reference", ratio, 2, False, "x"))
        figures.append((name, line))
    deep = medians["deep page"]["api"] / medians["first page (all)"]["api"]
    targets.append(harness.Target("deep page / first page", deep, 1.2, False, "x"))
    deep_search = medians[SEARCH_DEEP]["api"] / medians[SEARCH_FIRST]["api"]
    targets.append(harness.Target(f"{SEARCH_DEEP} / first page", deep_search, 1.2, False, "x"))
    lines = [f"{name}={entry['api']}" for name, entry in medians.items()]
    lines += [
        f"{name}{ROWS}={answer_rows[url]}"
        for name, (url, _ref_url, _getter) in pairs.items()
        if url in answer_rows
    ]
    (VAR / f"bench-read-{size}.txt").write_text("\n".join(lines) + "\n")
    met = harness.report(f"read path, {size:,} rows", figures, targets)
    searches = {name: pairs[name][0] for name in ("search, selective term", SEARCH_FIRST)}
    print_not_indexed(searches, get, rounds, requests)
    return 0 if met else 1


def print_not_indexed(searches: dict[str, str], get, rounds: int, requests: int) -> None:
    """Print what ``searches`` cost with the newest ``NOT_INDEXED`` of rows matched live.

    The side table's mark is moved back for the measurement and put back
    after it. Before the page of a search was read in two steps, a broad
    term with a live match in the page's tenant hashed every indexed match.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexed_until FROM results_api_tasksearchstate")
        (mark,) = cursor.fetchone()
        cursor.execute(
            "UPDATE results_api_tasksearchstate SET indexed_until = "
            "(SELECT MAX(date_done) FROM testapp_taskresult) - %s",
            [NOT_INDEXED],
        )
        cursor.execute(
            "SELECT COUNT(*) FROM testapp_taskresult WHERE date_done >= "
            "(SELECT indexed_until FROM results_api_tasksearchstate)"
        )
        (live,) = cursor.fetchone()
    try:
        print(f"\nwith the newest {NOT_INDEXED} not indexed ({live} rows matched live):")
        for name, url in searches.items():
            walls = []
            for _ in range(rounds):
                for _ in range(requests):
                    started = time.perf_counter()
                    status, body, _db = get(url)
                    walls.append((time.perf_counter() - started) * 1000)
                    assert status == 200, (url, status, body[:300])
            print(f"  {name}: {statistics.median(walls):.2f} ms")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE results_api_tasksearchstate SET indexed_until = %s", [mark])
        connection.close()


def _cursor_after(get, created, filters: dict | None = None) -> str:
    """Return the API's own cursor for the page after the row created at ``created``.

    The first page of ``?date_created__lte=`` (with ``filters``) starts at
    that row; its next link's cursor holds only the ordering keys, so it
    pages the list of ``filters`` alone from the same place.
    """
    from urllib.parse import parse_qs, urlencode, urlparse

    query = urlencode({**(filters or {}), "page_size": 1, "date_created__lte": created.isoformat()})
    next_link = json.loads(get(f"/api/results/tasks/?{query}")[1])["next"]
    return parse_qs(urlparse(next_link).query)["cursor"][0]


class Server:
    """gunicorn serving benchmarks.wsgi on a free loopback port, one worker thread."""

    def __enter__(self) -> Server:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = (VAR / "bench-read-gunicorn.log").open("wb")
        command = [
            sys.executable, "-m", "gunicorn", "benchmarks.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "1",
            "--worker-class", "gthread", "--keep-alive", "60", "--log-level", "warning",
            "--timeout", "600",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"gunicorn did not start; see {self.log.name}")
            time.sleep(0.2)
        return self

    def _answers(self) -> bool:
        import http.client

        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/ref/tasks/stats/?tenant=1")
            return connection.getresponse().status == 403  # it answers, to staff only
        except OSError:
            return False

    def client(self, cookie: str):
        """Return ``get(url) -> (status, body, database ms)`` over one keep-alive connection."""
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {"Cookie": cookie, "Accept": "application/json"}

        def get(url: str) -> tuple[int, bytes, float]:
            try:
                connection.request("GET", url, headers=headers)
                response = connection.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closes a keep-alive connection idle for 60 s (while the
                # other client waits on a slow reference): open it again.
                connection.close()
                connection.request("GET", url, headers=headers)
                response = connection.getresponse()
            body = response.read()
            timing = response.getheader("Server-Timing", "db;dur=nan")
            return response.status, body, float(timing.split("dur=")[1])

        return get

    def __exit__(self, *exc_info) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


if __name__ == "__main__":
    sys.exit(main())
