"""API errors come in the language the client asks for, from the package's catalogues."""

from __future__ import annotations

import pytest
from django.urls import reverse

# Accept-Language -> the opening of the unknown-parameter error.
UNKNOWN_PARAMETER = {
    "en": "Unknown query parameter. Known:",
    "es": "Parámetro de consulta desconocido. Conocidos:",
    "pt-br": "Parâmetro de consulta desconhecido. Conhecidos:",
    "ru": "Неизвестный параметр запроса. Известные:",
    "zh-hans": "未知的查询参数。已知参数：",  # noqa: RUF001 (Chinese punctuation)
}


@pytest.mark.parametrize("language", UNKNOWN_PARAMETER)
def test_an_unknown_parameter_error_is_translated(localised, staff_client, language):
    response = staff_client.get(
        reverse("results_api:task-list"), {"colour": "red"}, HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 400
    assert response.json()["colour"][0].startswith(UNKNOWN_PARAMETER[language])
