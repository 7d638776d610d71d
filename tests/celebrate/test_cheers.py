"""Cheers and thanks: one per person and target, both faces, refusals, counts in place."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from learnapp.celebrate.models import Cheer
from learnapp.celebrate.writing import set_cheer
from learnapp.extensions import db
from learnapp.improvements.models import Status
from learnapp.models import Visibility


def cheers() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Cheer.id)))


def test_thanks_plain_post_counts_and_redirects_back(client, people, entry):
    browser = client.login_as(people["teammate"])
    response = browser.post(f"/entries/{entry.id}/thanks", {"on": "1", "next": "/?tag=x"})
    assert response.status_code == 303 and response.headers["Location"] == "/?tag=x"
    assert cheers() == 1
    page = browser.get(f"/entries/{entry.id}").text
    assert 'aria-pressed="true"' in page and 'value="0"' in page


def test_thanks_under_htmx_swaps_the_button_with_the_new_count(client, new_client, people, entry):
    new_client().login_as(people["lead"]).post(f"/entries/{entry.id}/thanks", {"on": "1"})
    response = client.login_as(people["teammate"]).post(
        f"/entries/{entry.id}/thanks", {"on": "1"}, htmx=True
    )
    html = response.text
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "cheer-changed"
    assert html.lstrip().startswith("<form") and "<html" not in html
    assert 'aria-pressed="true"' in html
    assert '<span class="count" aria-label="2 so far">2</span>' in html
    assert "Thanks sent." in html


def test_double_click_keeps_one_thanks(client, people, entry):
    browser = client.login_as(people["teammate"])
    for _ in range(2):
        assert (
            browser.post(f"/entries/{entry.id}/thanks", {"on": "1"}, htmx=True).status_code == 200
        )
    assert cheers() == 1
    browser.post(f"/entries/{entry.id}/thanks", {"on": "0"}, htmx=True)
    browser.post(f"/entries/{entry.id}/thanks", {"on": "0"}, htmx=True)
    assert cheers() == 0


def test_the_database_refuses_a_second_cheer_of_the_same_target(app, people, entry):
    db.session.add(Cheer(user_id=people["teammate"].id, entry_id=entry.id))
    db.session.commit()
    db.session.add(Cheer(user_id=people["teammate"].id, entry_id=entry.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    set_cheer(people["teammate"].id, True, entry_id=entry.id)  # the app's path: no error
    db.session.commit()
    assert cheers() == 1


def test_you_cannot_thank_yourself(client, people, entry):
    browser = client.login_as(people["author"])
    response = browser.post(f"/entries/{entry.id}/thanks", {"on": "1"})
    assert response.status_code == 403
    assert "You cannot thank yourself" in response.text
    assert cheers() == 0
    assert "Thanks for sharing" not in browser.get(f"/entries/{entry.id}").text


@pytest.mark.parametrize("value", ["", "2", "toggle"])
def test_a_button_must_say_what_it_wants(client, people, entry, value):
    response = client.login_as(people["teammate"]).post(
        f"/entries/{entry.id}/thanks", {"on": value}
    )
    assert response.status_code == 400
    assert cheers() == 0


def test_thanks_needs_csrf_and_a_visible_entry(client, people, make_entry):
    private = make_entry(people["author"], visibility=Visibility.PRIVATE)
    browser = client.login_as(people["teammate"])
    assert browser.post(f"/entries/{private.id}/thanks", {"on": "1"}).status_code == 404
    assert browser.post(f"/entries/{private.id}/thanks", {"on": "1"}, csrf=False).status_code == 400
    assert cheers() == 0


def test_cheer_a_done_improvement_and_see_the_count_on_the_item(
    client, people, entry, make_improvement
):
    improvement = make_improvement(entry, people["owner"], Status.DONE)
    browser = client.login_as(people["teammate"])
    response = browser.post(f"/improvements/{improvement.id}/cheer", {"on": "1"}, htmx=True)
    assert response.status_code == 200 and 'aria-label="1 so far"' in response.text
    page = browser.get(f"/entries/{entry.id}").text
    assert 'id="cheer-' in page and 'aria-pressed="true"' in page
    assert cheers() == 1


@pytest.mark.parametrize("status", [Status.PROPOSED, Status.IN_PROGRESS, Status.DROPPED])
def test_only_done_improvements_are_cheered(client, people, entry, make_improvement, status):
    improvement = make_improvement(entry, people["owner"], status)
    response = client.login_as(people["teammate"]).post(
        f"/improvements/{improvement.id}/cheer", {"on": "1"}
    )
    assert response.status_code == 400
    assert cheers() == 0


def test_owners_do_not_cheer_their_own_improvement(client, people, entry, make_improvement):
    improvement = make_improvement(entry, people["owner"], Status.DONE)
    response = client.login_as(people["owner"]).post(
        f"/improvements/{improvement.id}/cheer", {"on": "1"}
    )
    assert response.status_code == 403 and cheers() == 0


def test_cards_show_thanks_counts_without_a_query_per_card(client, new_client, people, make_entry):
    from tests.conftest import recorded_sql

    browser = client.login_as(people["teammate"])
    make_entry(people["author"])
    with recorded_sql() as few:
        browser.get("/")
    for number in range(10):
        thanked = make_entry(people["author"], title=f"Thanked {number}")
        set_cheer(people["lead"].id, True, entry_id=thanked.id)
    db.session.commit()
    with recorded_sql() as many:
        feed = browser.get("/").text
    assert len(many) == len(few)
    assert feed.count('aria-label="1 so far"') == 10
