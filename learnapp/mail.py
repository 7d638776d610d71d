"""Email: the one ``send_email``, over the standard library's SMTP client.

Every email has a plain-text and an HTML part rendered from ``templates/email/``: the HTML
from ``<name>.html``, the text from ``<name>_text.html`` (named ``.html`` like every
template, and opening with ``{% autoescape false %}``: a text part carries user text as it
was written, where the HTML part escapes it). Links in emails are built from
``MAIL_BASE_URL``, never from the request's Host header, which a client chooses.

Headers follow two measured traps (DESIGN.md §8): the SMTP policy allows 998-character lines,
so a long ``List-Unsubscribe`` stays one plain line instead of an encoded word that mail
providers ignore; and every header value is cleaned of CR, LF and other control characters
(a line break in a subject would otherwise make ``EmailMessage`` raise).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from markupsafe import Markup

from learnapp.models import utcnow

POLICY = SMTP.clone(max_line_length=998)

# The email's whole look, inline: mail clients drop <style> blocks and external CSS, and the
# templates ask for a style by name so every email shares one palette.
STYLES = {
    "body": "margin:0;padding:0;background:#f4f1ea;",
    "outer": "width:100%;background:#f4f1ea;",
    "card": "width:100%;max-width:640px;background:#ffffff;border:1px solid #ddd6c8;"
    "border-collapse:collapse;",
    "cell": "padding:16px 24px;font-family:Helvetica,Arial,sans-serif;font-size:15px;"
    "line-height:1.5;color:#222222;",
    "h1": "margin:0 0 4px;font-size:22px;font-family:Helvetica,Arial,sans-serif;color:#1f3b63;",
    "h2": "margin:16px 0 8px;font-size:17px;font-family:Helvetica,Arial,sans-serif;"
    "color:#1f3b63;border-bottom:1px solid #ddd6c8;padding-bottom:4px;",
    "muted": "color:#666666;font-size:13px;",
    "link": "color:#1f5fa8;text-decoration:underline;",
    "item": "padding:4px 0;",
    "celebrate": "background:#e2efe7;border-left:4px solid #2e7d4f;padding:8px 12px;",
    "button": "display:inline-block;padding:10px 18px;background:#1f5fa8;color:#ffffff;"
    "text-decoration:none;border-radius:4px;font-family:Helvetica,Arial,sans-serif;",
    "figures": "border-collapse:collapse;width:100%;font-size:14px;",
    "figcell": "padding:4px 8px;border-bottom:1px solid #eee8dc;text-align:left;",
    "fignum": "padding:4px 8px;border-bottom:1px solid #eee8dc;text-align:right;",
    "footer": "padding:12px 24px;font-family:Helvetica,Arial,sans-serif;font-size:12px;"
    "color:#666666;",
}


class MailError(Exception):
    """Sending failed. ``permanent``: the server refused this message for good (5xx about
    the recipient or the message); otherwise a later try may work. ``server``: the server
    itself failed (unreachable, refused the login, closing), so other messages will too."""

    def __init__(self, message: str, *, permanent: bool, server: bool) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.server = server


def email_style(name: str) -> Markup:
    """The ``style`` attribute of the named part of an email (see ``STYLES``)."""
    return Markup(' style="{}"').format(STYLES[name])


def clean_header(value: str) -> str:
    """``value`` on one line: control characters (CR and LF included) become spaces."""
    text = "".join(" " if ord(c) < 32 or ord(c) == 127 or c in "\u2028\u2029" else c for c in value)
    return " ".join(text.split())


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link to ``endpoint`` on the site at ``MAIL_BASE_URL``."""
    base = urlsplit(current_app.config["MAIL_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def render_email(name: str, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML bodies of ``templates/email/<name>``."""
    context.update(link=external_url, style=email_style, org_name=current_app.config["ORG_NAME"])
    text = render_template(f"email/{name}_text.html", **context)
    html = render_template(f"email/{name}.html", **context)
    # Template tags leave blank lines behind; more than one in a row reads as a gap.
    return re.sub(r"\n{3,}", "\n\n", text.strip()) + "\n", html


def build_message(
    to: str, subject: str, text: str, html: str, headers: Mapping[str, str] | None = None
) -> EmailMessage:
    """The MIME message: multipart/alternative with text then HTML, and clean headers."""
    sender = current_app.config["MAIL_SENDER"]
    message = EmailMessage(policy=POLICY)
    message["From"] = clean_header(sender)
    message["To"] = clean_header(to)
    message["Subject"] = clean_header(subject)
    message["Date"] = format_datetime(utcnow())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=clean_header(domain))
    for name, value in (headers or {}).items():
        message[clean_header(name)] = clean_header(value)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_message(message: EmailMessage) -> None:
    """Hand ``message`` to the configured SMTP server; ``MailError`` says how it failed."""
    config = current_app.config
    host, port = config["MAIL_HOST"], int(config["MAIL_PORT"])
    timeout = float(config["MAIL_TIMEOUT_SECONDS"])
    security = str(config["MAIL_SECURITY"]).strip().lower()
    try:
        if security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()))
        raise _refused(code, reply) from error
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
        raise _refused(error.smtp_code, error.smtp_error) from error
    except smtplib.SMTPResponseException as error:  # greeting, HELO, login
        raise MailError(
            f"SMTP {error.smtp_code} {_text(error.smtp_error)}",
            permanent=False,
            server=True,
        ) from error
    except (smtplib.SMTPException, OSError) as error:  # unreachable, timed out, cut off
        raise MailError(
            f"SMTP server {host}:{port}: {error}", permanent=False, server=True
        ) from error


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _refused(code: int, reply: bytes | str) -> MailError:
    # 421: the server is closing the connection, whatever the command; other 4xx: try later.
    message = f"SMTP {code} {_text(reply)}"
    return MailError(message, permanent=500 <= code < 600, server=code == 421)


def send_email(
    to: str, subject: str, template: str, headers: Mapping[str, str] | None = None, **context: Any
) -> str:
    """Render ``templates/email/<template>`` and send it to ``to``; returns the Message-ID."""
    text, html = render_email(template, **context)
    message = build_message(to, subject, text, html, headers)
    send_message(message)
    return message["Message-ID"]


def address(name: str, email: str) -> str:
    """A To header value: the display name (cleaned) and the address."""
    user, _, domain = email.partition("@")
    return str(Address(display_name=clean_header(name), username=user, domain=domain))
