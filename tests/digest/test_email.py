"""The digest email as a mail client receives it: parts, headers, links and escaping."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest

from learnapp.digest.send import send_digests
from learnapp.digest.weeks import IsoWeek
from learnapp.extensions import db
from learnapp.mail import build_message, clean_header
from learnapp.models import Visibility
from tests.digest.conftest import BASE_URL

WEEK = IsoWeek(2026, 10)
IN_WEEK = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
NASTY = '<b onmouseover="x()">Tom & "Jerry"</b>'


@pytest.fixture
def received(mailbox, people, make_entry):
    """The email the teammate got for a week with a lesson whose text is HTML-like."""
    make_entry(
        people["author"],
        title=NASTY,
        what_we_learned="Use <script>alert(1)</script> & check",
        created_at=IN_WEEK,
    )
    make_entry(people["author"], title="Private", visibility=Visibility.PRIVATE, created_at=IN_WEEK)
    send_digests(WEEK, sleep=lambda seconds: None)
    (only,) = mailbox.to(people["teammate"].email)
    return only


def parts(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_the_email_has_a_text_and_an_html_part(received):
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    text, html = parts(message)
    assert "NEW LESSONS" in text and "<table" not in text
    assert "<table" in html and "New lessons" in html


def test_user_text_is_escaped_in_html_and_verbatim_in_text(received):
    text, html = parts(received.message)
    assert NASTY in text
    assert "Use <script>alert(1)</script> & check" in text
    assert "&lt;b onmouseover=&#34;x()&#34;&gt;Tom &amp; &#34;Jerry&#34;&lt;/b&gt;" in html
    assert "<script>" not in html and "<b onmouseover" not in html


def test_other_peoples_private_entries_are_not_in_the_email(received):
    text, html = parts(received.message)
    assert "Private" not in text and "Private" not in html


def test_every_link_is_absolute_on_the_configured_site(received):
    text, html = parts(received.message)
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(h.startswith(BASE_URL + "/") for h in hrefs), hrefs
    urls = re.findall(r"https?://\S+", text)
    assert urls and all(u.startswith(BASE_URL + "/") for u in urls), urls
    assert f"{BASE_URL}/digest/2026-W10" in text


def test_the_subject_carries_the_week(received):
    assert received.message["Subject"] == "Acme weekly digest: Week 10, 2-8 March 2026"


def test_one_click_unsubscribe_headers_are_whole_unencoded_lines(received, mail_app):
    raw_headers = received.raw.split(b"\r\n\r\n", 1)[0].decode()
    (line,) = [h for h in raw_headers.split("\r\n") if h.startswith("List-Unsubscribe:")]
    assert "=?" not in line  # an encoded word would be ignored by mail providers
    assert re.fullmatch(rf"List-Unsubscribe: <{re.escape(BASE_URL)}/unsubscribe/[\w.-]+>", line)
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw_headers.split("\r\n")


def test_a_mailto_unsubscribe_is_offered_when_configured(mail_app, mailbox, people, make_entry):
    mail_app.config["MAIL_UNSUBSCRIBE_MAILTO"] = "unsubscribe@learn.example.org"
    make_entry(people["author"], created_at=IN_WEEK)
    send_digests(WEEK, sleep=lambda seconds: None)

    value = mailbox.to(people["teammate"].email)[0].message["List-Unsubscribe"]
    url, mailto = value.split(", ")
    assert url.startswith(f"<{BASE_URL}/unsubscribe/")
    assert (
        mailto
        == f"<mailto:unsubscribe@learn.example.org?subject=unsubscribe%20{people['teammate'].id}>"
    )


def test_message_id_date_sender_and_recipient_are_set(received, people):
    message = received.message
    assert re.fullmatch(r"<[^@\s]+@learn\.example\.org>", message["Message-ID"])
    sent = parsedate_to_datetime(message["Date"])
    assert sent.tzinfo is not None and abs((datetime.now(UTC) - sent).total_seconds()) < 60
    assert message["From"] == "Learn <learnapp@learn.example.org>"
    assert message["To"] == "Teammate <teammate@example.com>"
    assert received.sender == "learnapp@learn.example.org"


def test_a_quiet_week_says_so_kindly(mailbox, people, entry, make_improvement):
    make_improvement(entry, people["owner"], created_at=datetime(2026, 1, 5, tzinfo=UTC))
    send_digests(IsoWeek(2026, 20), sleep=lambda seconds: None)

    text, html = parts(mailbox.to(people["owner"].email)[0].message)
    assert "A quiet week" in text and "A quiet week" in html
    assert "Your open improvements" in html


@pytest.mark.parametrize(
    "value",
    ["Line one\r\nBcc: victim@example.com", "tab\there", "nul\x00byte", "u2028\u2028sep"],
)
def test_header_values_lose_line_breaks_and_control_characters(app, value):
    cleaned = clean_header(value)
    assert not any(ord(c) < 32 or c == "\u2028" for c in cleaned)
    message = build_message("a@example.com", value, "text", "<p>html</p>", {"X-Note": value})
    assert "Bcc" not in message
    assert "\n" not in str(message["Subject"]) and message["Subject"] == cleaned


def test_a_long_unsubscribe_header_is_not_folded(app):
    url = "https://learn.example.org/unsubscribe/" + "a" * 300
    message = build_message("a@example.com", "s", "t", "<p>h</p>", {"List-Unsubscribe": f"<{url}>"})
    flat = message.as_bytes()
    assert f"List-Unsubscribe: <{url}>\r\n".encode() in flat


def test_settings_turn_the_digest_off_and_on(mailbox, client, people, make_entry):
    teammate = people["teammate"]
    make_entry(people["author"], created_at=IN_WEEK)
    client.login_as(teammate)
    form = {
        "display_name": "Teammate",
        "timezone": "UTC",
        "team": str(teammate.memberships[0].team_id),
    }

    assert client.post("/settings", data=form).status_code == 303
    db.session.refresh(teammate)
    assert teammate.digest_opt_in is False
    send_digests(WEEK, sleep=lambda seconds: None)
    assert mailbox.to(teammate.email) == []

    client.post("/settings", data={**form, "digest_opt_in": "y"})
    db.session.refresh(teammate)
    assert teammate.digest_opt_in is True
    send_digests(WEEK, sleep=lambda seconds: None)
    assert len(mailbox.to(teammate.email)) == 1
