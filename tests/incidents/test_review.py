"""Responder analyses, the review checklist, its notes and contributing factors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from learnapp.extensions import db
from learnapp.incidents.models import Analysis, IncidentStatus, ReviewStep
from learnapp.models import ContributingFactor
from tests.incidents.conftest import incident

ANALYSIS = {
    "saw_and_did": "I saw the error rate climb and rolled back.",
    "surprised": "The canary did not cover config.",
    "themes": "config, canaries",
}


@pytest.fixture
def resolved(make_incident, people):
    return make_incident(
        people["author"], status=IncidentStatus.RESOLVED, responders=(people["responder"],)
    )


@pytest.fixture
def in_review(make_incident, people):
    return make_incident(
        people["author"], status=IncidentStatus.IN_REVIEW, responders=(people["responder"],)
    )


def analyses() -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Analysis).order_by(Analysis.id))
    return [(a.author.display_name, a.saw_and_did) for a in rows]


@pytest.mark.parametrize("htmx", [False, True])
def test_each_responder_writes_their_own_analysis(client, people, resolved, htmx):
    response = client.login_as(people["responder"]).post(
        f"/entries/{resolved.id}/analyses", ANALYSIS, htmx=htmx
    )
    if htmx:
        assert response.status_code == 200 and response.headers["HX-Trigger"] == "analysis-saved"
        assert response.text.lstrip().startswith('<section id="analyses"')
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == f"/entries/{resolved.id}#analyses"
    assert analyses() == [("Responder", ANALYSIS["saw_and_did"])]


def test_one_analysis_per_person_editable_by_its_author(client, new_client, people, resolved):
    browser = client.login_as(people["responder"])
    browser.post(f"/entries/{resolved.id}/analyses", ANALYSIS)
    browser.post(
        f"/entries/{resolved.id}/analyses", {**ANALYSIS, "saw_and_did": "Rolled back at 14:27."}
    )
    new_client().login_as(people["author"]).post(f"/entries/{resolved.id}/analyses", ANALYSIS)
    assert analyses() == [
        ("Responder", "Rolled back at 14:27."),
        ("Author", ANALYSIS["saw_and_did"]),
    ]
    page = browser.get(f"/entries/{resolved.id}").text
    assert "Edit your analysis" in page and 'value="config, canaries"' not in page
    assert "Rolled back at 14:27." in page and "<h3>Author</h3>" in page


def test_an_empty_analysis_is_refused_in_place(client, people, resolved):
    response = client.login_as(people["responder"]).post(
        f"/entries/{resolved.id}/analyses",
        {"saw_and_did": "", "surprised": "", "themes": ""},
        htmx=True,
    )
    assert response.status_code == 422
    assert "Write at least what you saw and did." in response.text
    assert analyses() == []


def test_analyses_wait_until_the_incident_is_resolved(client, people, incident_entry):
    response = client.login_as(people["responder"]).post(
        f"/entries/{incident_entry.id}/analyses", ANALYSIS
    )
    assert response.status_code == 403
    assert "once it is resolved" in response.text


@pytest.mark.parametrize("htmx", [False, True])
def test_blaming_words_get_a_gentle_hint_and_are_still_saved(client, people, resolved, htmx):
    blaming = {**ANALYSIS, "saw_and_did": "Human error: Bob should have checked. Careless."}
    response = client.login_as(people["responder"]).post(
        f"/entries/{resolved.id}/analyses", blaming, htmx=htmx
    )
    assert response.status_code == 200, "the hint shows with what was saved"
    assert "A gentle hint:" in response.text
    for phrase in ("<q>Human error</q>", "<q>should have</q>", "<q>Careless</q>"):
        assert phrase in response.text
    assert analyses() == [("Responder", blaming["saw_and_did"])]


def test_the_review_starts_from_resolved_and_lists_who_wrote_an_analysis(client, people, resolved):
    browser = client.login_as(people["responder"])
    browser.post(f"/entries/{resolved.id}/analyses", ANALYSIS)
    page = browser.get(f"/entries/{resolved.id}").text
    assert "Written by: Responder." in page and "Not yet: Author." in page
    fragment = browser.get(f"/entries/{resolved.id}/review", htmx=True)
    assert fragment.text.lstrip().startswith('<section id="review"')
    assert 'hx-trigger="analysis-saved from:body"' in fragment.text
    assert "<html" in browser.get(f"/entries/{resolved.id}/review").text


def tick(browser, entry, step, done="1", htmx=False):
    return browser.post(
        f"/entries/{entry.id}/review/steps", {"step": step, "done": done}, htmx=htmx
    )


@pytest.mark.parametrize("htmx", [False, True])
def test_ticking_a_step_records_who_and_when(client, people, in_review, htmx):
    browser = client.login_as(people["lead"])
    response = tick(browser, in_review, "understanding", htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    step = db.session.scalars(select(ReviewStep)).one()
    assert step.step.value == "understanding" and step.ticked_by_id == people["lead"].id
    page = browser.get(f"/entries/{in_review.id}").text
    assert "ticked by Lead" in page

    tick(browser, in_review, "understanding", done="0", htmx=htmx)
    assert db.session.scalars(select(ReviewStep)).all() == []


def test_ticking_twice_records_one_step(client, people, in_review):
    browser = client.login_as(people["author"])
    tick(browser, in_review, "factors")
    tick(browser, in_review, "factors")
    db.session.expire_all()
    assert len(db.session.scalars(select(ReviewStep)).all()) == 1


@pytest.mark.parametrize(("step", "done"), [("blame", "1"), ("factors", "maybe")])
def test_unknown_steps_are_refused(client, people, in_review, step, done):
    assert tick(client.login_as(people["author"]), in_review, step, done).status_code == 400


def test_steps_are_ticked_only_in_review(client, people, resolved):
    assert tick(client.login_as(people["author"]), resolved, "factors").status_code == 403


def test_others_may_read_the_review_but_not_tick_it(client, people, in_review):
    browser = client.login_as(people["teammate"])
    assert tick(browser, in_review, "factors").status_code == 403
    page = browser.get(f"/entries/{in_review.id}").text
    assert "Post-incident review" in page and "Mark done" not in page


def test_review_notes_save_each_field_on_its_own(client, people, in_review):
    browser = client.login_as(people["author"])
    browser.post(f"/entries/{in_review.id}/review", {"summary": "A config push broke checkout."})
    browser.post(f"/entries/{in_review.id}/review", {"learnings": "- Canary config too"}, htmx=True)
    found = incident(in_review)
    assert found.summary == "A config push broke checkout."
    assert found.learnings == "- Canary config too"


@pytest.mark.parametrize("htmx", [False, True])
def test_contributing_factors_from_the_taxonomy_each_with_a_note(client, people, in_review, htmx):
    browser = client.login_as(people["author"])
    for factor, note in (
        ("technical:config drift", "Staging differed"),
        ("human:time pressure", ""),
    ):
        response = browser.post(
            f"/entries/{in_review.id}/factors", {"factor": factor, "note": note}, htmx=htmx
        )
        assert response.status_code == (200 if htmx else 303)
    db.session.expire_all()
    rows = db.session.scalars(select(ContributingFactor).order_by(ContributingFactor.id)).all()
    assert [(f.category.value, f.factor, f.note) for f in rows] == [
        ("technical", "config drift", "Staging differed"),
        ("human", "time pressure", ""),
    ]
    removed = browser.post(f"/entries/{in_review.id}/factors/{rows[0].id}/delete", htmx=htmx)
    assert removed.status_code == (200 if htmx else 303)
    db.session.expire_all()
    assert [f.factor for f in db.session.scalars(select(ContributingFactor))] == ["time pressure"]


@pytest.mark.parametrize("factor", ["technical:blame", "moral:laziness", "", "human"])
def test_factors_outside_the_taxonomy_are_refused(client, people, in_review, factor):
    response = client.login_as(people["author"]).post(
        f"/entries/{in_review.id}/factors", {"factor": factor, "note": "kept note"}, htmx=True
    )
    assert response.status_code == 422
    assert 'value="kept note"' in response.text
    assert db.session.scalars(select(ContributingFactor)).all() == []


def test_removing_another_entrys_factor_is_404(client, people, in_review, make_incident):
    other = make_incident(people["author"], status=IncidentStatus.IN_REVIEW)
    factor = ContributingFactor(entry_id=other.id, category="human", factor="fatigue", note="")
    db.session.add(factor)
    db.session.commit()
    response = client.login_as(people["author"]).post(
        f"/entries/{in_review.id}/factors/{factor.id}/delete"
    )
    assert response.status_code == 404
