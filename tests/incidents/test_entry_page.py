"""The whole entry page keeps every section, whichever feature's form came back with errors."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("improvements", {"title": ""}),
        ("no-change", {"reason": ""}),
    ],
)
def test_a_refused_improvement_form_without_js_keeps_the_incident_sections(
    client, people, incident_entry, path, data
):
    response = client.login_as(people["author"]).post(f"/entries/{incident_entry.id}/{path}", data)
    assert response.status_code == 422
    page = response.text
    assert 'id="improvements"' in page
    assert "Timeline" in page and "Checkout failed for most customers" in page
