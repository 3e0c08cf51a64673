"""One way to forget what was built from settings: ``django_celery_results.setting_caches``."""

from __future__ import annotations

from django.core.signals import setting_changed
from django.test import override_settings

from django_celery_results.setting_caches import cached_setting, forget_when_changed


def test_a_cached_setting_is_read_again_after_it_changes():
    reads = []

    @cached_setting("SOME_FLAG")
    def flag() -> int:
        reads.append(1)
        return len(reads)

    assert (flag(), flag()) == (1, 1)
    with override_settings(SOME_FLAG=True):
        assert (flag(), flag()) == (2, 2)
    assert flag() == 3


def test_a_reset_runs_only_for_the_settings_it_names():
    resets = []
    forget_when_changed(lambda: resets.append("x"), settings=("SETTING_X",))

    with override_settings(SETTING_Y=1):
        pass
    with override_settings(SETTING_X=1):
        pass

    assert resets == ["x", "x"]  # on entering and on leaving the override


def test_one_receiver_of_changed_settings_serves_both_packages():
    receivers = [receiver() for _key, receiver, *_rest in setting_changed.receivers]
    ours = [
        f"{r.__module__}.{r.__qualname__}"
        for r in receivers
        if r is not None and r.__module__.startswith(("django_celery_results", "results_api"))
    ]

    assert ours == ["django_celery_results.setting_caches._forget_on_setting_changed"]
