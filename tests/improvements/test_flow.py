"""Moving an improvement along its flow: who may, what it records, and both faces."""

from __future__ import annotations

import pytest

from learnapp.extensions import db
from learnapp.improvements.models import Improvement, Status
from learnapp.models import Visibility
from tests.improvements.conftest import history_of

MOVERS = {"owner", "author", "lead", "admin"}
ROLES = ["owner", "author", "lead", "admin", "teammate", "other_team", "other_lead"]
# (from, to as posted, status afterwards)
TRANSITIONS = [
    (Status.PROPOSED, "planned", Status.PLANNED),
    (Status.PLANNED, "in_progress", Status.IN_PROGRESS),
    (Status.IN_PROGRESS, "done", Status.DONE),
    (Status.PROPOSED, "done", Status.DONE),
    (Status.PLANNED, "dropped", Status.DROPPED),
    (Status.DONE, "reopen", Status.PROPOSED),
    (Status.DROPPED, "reopen", Status.PROPOSED),
]


def fresh(improvement: Improvement) -> Improvement:
    db.session.expire_all()
    return db.session.get(Improvement, improvement.id)


def move(browser, improvement, to, expected=None, htmx=False, **extra):
    data = {"to": to, "expected": (expected or improvement.status).value, **extra}
    if to == "dropped":
        data.setdefault("reason", "Covered by the new deploy tool")
    return browser.post(f"/improvements/{improvement.id}/status", data, htmx=htmx)


@pytest.mark.parametrize(("start", "to", "after"), TRANSITIONS)
@pytest.mark.parametrize("role", ROLES)
def test_who_may_move_an_improvement(
    new_client, people, entry, make_improvement, role, start, to, after
):
    improvement = make_improvement(entry, people["owner"], status=start)
    before = history_of(improvement)
    response = move(new_client().login_as(people[role]), improvement, to)
    if role in MOVERS:
        assert response.status_code == 303
        assert fresh(improvement).status is after
        assert history_of(improvement) == [
            *before,
            (start.value, after.value, people[role].display_name),
        ]
    else:
        assert response.status_code == 403
        assert "Only its owner (Owner), the entry&#39;s author, a lead of Platform" in response.text
        assert fresh(improvement).status is start
        assert history_of(improvement) == before


def test_the_page_tells_people_without_the_right_who_can(client, people, entry, make_improvement):
    improvement = make_improvement(entry, people["owner"])
    page = client.login_as(people["teammate"]).get(f"/improvements/{improvement.id}").text
    assert "Only its owner (Owner), the entry&#39;s author, a lead of Platform or an admin" in page
    assert "Mark done" not in page


def test_anonymous_entry_never_names_its_author_to_others(
    client, people, make_entry, make_improvement
):
    anonymous = make_entry(people["author"], anonymous=True, title="Anon lesson")
    improvement = make_improvement(anonymous, people["owner"])
    response = move(client.login_as(people["teammate"]), improvement, "planned")
    assert response.status_code == 403
    assert "Author" not in response.text


def test_the_whole_flow_records_each_step_and_lead_time(client, people, entry, make_improvement):
    improvement = make_improvement(entry, people["owner"])
    browser = client.login_as(people["owner"])
    for to in ("planned", "in_progress", "done"):
        assert move(browser, fresh(improvement), to).status_code == 303
    done = fresh(improvement)
    assert done.status is Status.DONE and done.done_at is not None
    assert done.lead_time == done.done_at - done.created_at
    assert [step[:2] for step in history_of(improvement)] == [
        (None, "proposed"),
        ("proposed", "planned"),
        ("planned", "in_progress"),
        ("in_progress", "done"),
    ]
    page = browser.get(f"/improvements/{improvement.id}").text
    assert "idea to practice in" in page and "Reopen" in page

    assert move(browser, done, "reopen").status_code == 303
    reopened = fresh(improvement)
    assert reopened.status is Status.IN_PROGRESS, "reopen returns to where it was before done"
    assert reopened.done_at is None


def test_dropping_needs_a_reason_and_shows_it(client, people, entry, make_improvement):
    improvement = make_improvement(entry, people["owner"], status=Status.PLANNED)
    browser = client.login_as(people["owner"])
    refused = move(browser, improvement, "dropped", htmx=True, reason="")
    assert refused.status_code == 422
    assert "Say why it is dropped" in refused.text
    assert refused.text.lstrip().startswith(f'<li id="improvement-{improvement.id}"')
    assert fresh(improvement).status is Status.PLANNED

    plain_refusal = move(browser, improvement, "dropped", reason="")
    assert plain_refusal.status_code == 422 and "<html" in plain_refusal.text

    assert move(browser, improvement, "dropped", reason="Tool retired").status_code == 303
    dropped = fresh(improvement)
    assert dropped.status is Status.DROPPED and dropped.drop_reason == "Tool retired"
    assert history_of(improvement)[-1] == ("planned", "dropped", "Owner")
    assert "Dropped: Tool retired" in browser.get(f"/improvements/{improvement.id}").text


@pytest.mark.parametrize(
    ("start", "to", "status"),
    [
        (Status.DONE, "in_progress", 400),
        (Status.IN_PROGRESS, "planned", 400),
        (Status.PLANNED, "reopen", 400),
        (Status.PLANNED, "proposed", 422),
        (Status.PLANNED, "shipped", 422),
    ],
)
def test_moves_outside_the_flow_are_refused(
    client, people, entry, make_improvement, start, to, status
):
    improvement = make_improvement(entry, people["owner"], status=start)
    response = move(client.login_as(people["owner"]), improvement, to)
    assert response.status_code == status
    assert fresh(improvement).status is start
    assert len(history_of(improvement)) == 2


def test_double_click_moves_once(client, people, entry, make_improvement):
    improvement = make_improvement(entry, people["owner"], status=Status.IN_PROGRESS)
    browser = client.login_as(people["owner"])
    first = move(browser, improvement, "done", expected=Status.IN_PROGRESS, htmx=True)
    second = move(browser, improvement, "done", expected=Status.IN_PROGRESS, htmx=True)
    assert first.status_code == second.status_code == 200
    assert "Moved to Done." in second.text
    assert [step[1] for step in history_of(improvement)] == ["proposed", "in_progress", "done"]


def test_a_stale_page_changes_nothing_and_says_so(client, people, entry, make_improvement):
    improvement = make_improvement(entry, people["owner"], status=Status.DONE)
    response = move(
        client.login_as(people["owner"]),
        improvement,
        "in_progress",
        expected=Status.PLANNED,
        htmx=True,
    )
    assert response.status_code == 200
    assert "moved it to Done meanwhile; nothing changed" in response.text
    assert fresh(improvement).status is Status.DONE


def test_htmx_move_on_the_entry_page_swaps_the_item_and_updates_the_count(
    client, people, entry, make_improvement
):
    improvement = make_improvement(entry, people["owner"], status=Status.IN_PROGRESS)
    browser = client.login_as(people["owner"])
    on_entry = {"HX-Current-URL": f"http://localhost/entries/{entry.id}"}
    response = browser.post(
        f"/improvements/{improvement.id}/status",
        {"to": "done", "expected": "in_progress"},
        htmx=True,
        headers=on_entry,
    )
    html = response.text
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "improvement-moved"
    assert html.lstrip().startswith(f'<li id="improvement-{improvement.id}"')
    assert 'id="improvement-counts" class="counts" hx-swap-oob="true"' in html
    assert "(1 · 1 done)" in html
    assert "<html" not in html


def test_htmx_move_on_the_backlog_sends_no_entry_count(client, people, entry, make_improvement):
    improvement = make_improvement(entry, people["owner"])
    response = client.login_as(people["owner"]).post(
        f"/improvements/{improvement.id}/status",
        {"to": "planned", "expected": "proposed"},
        htmx=True,
        headers={"HX-Current-URL": "http://localhost/improvements?status=open"},
    )
    assert response.status_code == 200
    assert "improvement-counts" not in response.text
    assert 'value="/improvements?status=open"' in response.text, "next keeps the page"


def test_plain_move_returns_to_the_page_it_came_from(client, people, entry, make_improvement):
    improvement = make_improvement(entry, people["owner"])
    browser = client.login_as(people["owner"])
    response = move(browser, improvement, "planned", next="/improvements?sort=age")
    assert response.headers["Location"] == f"/improvements?sort=age#improvement-{improvement.id}"
    offsite = move(browser, fresh(improvement), "in_progress", next="https://evil.example/")
    assert offsite.headers["Location"] == f"/#improvement-{improvement.id}"


def test_improvements_of_unseen_entries_are_not_found(client, people, make_entry, make_improvement):
    private = make_entry(people["author"], visibility=Visibility.PRIVATE)
    improvement = make_improvement(private, people["author"])
    browser = client.login_as(people["admin"])
    assert browser.get(f"/improvements/{improvement.id}").status_code == 404
    assert browser.get(f"/improvements/{improvement.id}/edit").status_code == 404
    assert move(browser, improvement, "planned").status_code == 404
    assert fresh(improvement).status is Status.PROPOSED
    assert browser.get("/improvements/99999999999999999999").status_code == 404


def test_edit_by_a_mover_saves_and_by_others_is_refused(
    client, new_client, people, entry, make_improvement
):
    improvement = make_improvement(entry, people["owner"])
    data = {
        "title": "Sharper title",
        "details": "More",
        "type": "monitoring",
        "owner": str(people["lead"].id),
        "priority": "1",
        "due_date": "",
        "external_ref": "",
    }
    refused = (
        new_client().login_as(people["teammate"]).post(f"/improvements/{improvement.id}/edit", data)
    )
    assert refused.status_code == 403
    saved = client.login_as(people["owner"]).post(f"/improvements/{improvement.id}/edit", data)
    assert saved.status_code == 303
    edited = fresh(improvement)
    assert (edited.title, edited.owner_id, edited.priority) == (
        "Sharper title",
        people["lead"].id,
        1,
    )
    # The owner handed it to the lead, so now the lead may edit it.
    invalid = client.login_as(people["lead"]).post(
        f"/improvements/{improvement.id}/edit", {**data, "title": ""}
    )
    assert invalid.status_code == 422 and "More" in invalid.text


@pytest.mark.parametrize(
    ("reference", "linked"),
    [
        ("OPS-123", False),
        ("https://tracker.example/browse/OPS-123", True),
        ("javascript:alert(1)", False),
        ("http://x.example/a b", False),
    ],
)
def test_external_reference_is_a_link_only_when_it_is_a_web_address(
    client, people, entry, make_improvement, reference, linked
):
    improvement = make_improvement(entry, people["owner"], external_ref=reference)
    page = client.login_as(people["owner"]).get(f"/improvements/{improvement.id}").text
    assert (f'href="{reference}"' in page) is linked
    assert reference.replace("&", "&amp;") in page
