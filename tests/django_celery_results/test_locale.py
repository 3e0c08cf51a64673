"""The admin of task results speaks each language the package ships a catalogue for."""

from __future__ import annotations

import pytest
from celery import states
from django.urls import reverse

from django_celery_results.models import get_task_result_model

pytestmark = pytest.mark.django_db

# Accept-Language -> what our catalogue puts on the changelist: the action,
# a column heading, the app's name.
CHANGELIST = {
    "es": ("Terminar las tareas seleccionadas", "ID de la tarea", "Resultados de Celery"),
    "pt-br": ("Encerrar as tarefas selecionadas", "ID da tarefa", "Resultados do Celery"),
    "ru": ("Завершить выбранные задачи", "ID задачи", "Результаты Celery"),
    "zh-hans": ("终止所选任务", "任务 ID", "Celery 结果"),
}


@pytest.mark.parametrize("language", CHANGELIST)
def test_the_task_results_changelist_renders_translated(localised, admin_client, backend, language):
    backend.store_result("t-1", 1, states.SUCCESS)
    opts = get_task_result_model()._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language)

    page = response.content.decode()
    assert response.status_code == 200
    assert [phrase for phrase in CHANGELIST[language] if phrase not in page] == []
    assert "Terminate selected tasks" not in page
