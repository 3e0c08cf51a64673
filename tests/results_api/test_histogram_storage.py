"""The rollup's histograms: stored packed, read many at a time, and binned alike by the database."""

from __future__ import annotations

import datetime
import random

import pytest
from django.db.models import FloatField, Value

from django_celery_results.models import get_group_result_model, get_task_result_model
from results_api.stats import bins, histogram
from results_api.stats.queries import runtime_expression

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)


def random_counts(pick: random.Random, size: int) -> histogram.Counter:
    counts = histogram.Counter()
    for _ in range(size):
        histogram.add(counts, pick.choice([0.0, -pick.random(), pick.lognormvariate(0, 2)]))
    return counts


@pytest.mark.parametrize("size", [1, 40, 70_000])
def test_a_stored_histogram_reads_back_its_counts(size):
    counts = random_counts(random.Random(size), min(size, 3000))
    counts[histogram.ordinal_of(0.5)] += size  # a total that needs wider counts

    assert histogram.loads(histogram.dumps(counts)) == counts


def test_an_empty_histogram_is_stored_as_empty_text_and_has_no_percentile():
    assert histogram.dumps(histogram.Counter()) == ""
    assert histogram.merged_quantiles([histogram.decode("")], [0.5]) == [None]


@pytest.mark.parametrize("seed", range(10))
def test_stored_histograms_read_together_give_the_percentiles_of_their_sum(seed):
    pick = random.Random(seed)
    parts = [random_counts(pick, pick.randrange(0, 400)) for _ in range(pick.randrange(1, 40))]
    fractions = [0.0, 0.05, 0.5, 0.95, 0.99, 1.0]

    stored = [histogram.decode(histogram.dumps(counts)) for counts in parts]

    assert histogram.merged_quantiles(stored, fractions) == histogram.quantiles(
        sum(parts, histogram.Counter()), fractions
    )


def test_the_database_puts_durations_in_the_bins_python_does(db, custom_model):
    runtimes = [0.0, 0.000001, 0.004999, 0.005, 0.0123, 1.0, 59.999999, 3600.5, -0.25, -3.0]
    for number, runtime in enumerate(runtimes):
        started = NOW - datetime.timedelta(hours=number)
        manager = custom_model._default_manager
        manager.create(
            task_id=f"bins-{number}", status="SUCCESS", date_created=started, date_started=started
        )
        # date_done is stamped on save: put the intended one back.
        done = started + datetime.timedelta(seconds=runtime)
        manager.filter(task_id=f"bins-{number}").update(date_done=done)
    ordinal = bins.bin_ordinal(bins.seconds(runtime_expression()))

    found = get_task_result_model()._default_manager.aggregate(ordinals=bins.BinOrdinals(ordinal))[
        "ordinals"
    ]

    assert sorted(bins.parse(found)) == sorted(map(histogram.ordinal_of, runtimes))


@pytest.mark.parametrize("seconds", [1e-40, 1e-35, 1e35, 1e40, -1e40, -1e-40, 0.0, 1.0])
def test_the_database_clamps_the_bins_of_extreme_values_as_python_does(db, seconds):
    manager = get_group_result_model()._default_manager
    manager.create(group_id="extreme")
    ordinal = bins.bin_ordinal(Value(seconds, output_field=FloatField()))

    found = manager.annotate(ordinal=ordinal).values_list("ordinal", flat=True).get()

    assert found == histogram.ordinal_of(seconds)
