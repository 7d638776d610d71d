"""The Atom 1.0 feed of published narratives, built with ElementTree (it escapes for us)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from xml.etree import ElementTree as ET  # nosec B405  # builds, never parses

from learnapp.incidents.models import Incident
from learnapp.markdown import show

ATOM = "http://www.w3.org/2005/Atom"


def _child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def atom_feed(
    incidents: list[Incident],
    org_name: str,
    self_url: str,
    page_url: str,
    link_for: Callable[[Incident], str],
    now: datetime,
) -> bytes:
    """The feed document: one entry per narrative, absolute links, the organisation as author.

    Authors are left out on purpose: a narrative may belong to an anonymous entry.
    """
    feed = ET.Element("feed", xmlns=ATOM)
    _child(feed, "title", f"{org_name}: incident narratives")
    _child(feed, "id", self_url)
    _child(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _child(feed, "link", rel="alternate", type="text/html", href=page_url)
    newest = incidents[0].published_at if incidents else None
    _child(feed, "updated", (newest or now).isoformat())
    _child(_child(feed, "author"), "name", org_name)
    for incident in incidents:
        link = link_for(incident)
        published = incident.published_at.isoformat() if incident.published_at else ""
        entry = _child(feed, "entry")
        _child(entry, "title", f"{incident.severity_name}: {incident.entry.title}")
        _child(entry, "id", link)
        _child(entry, "link", rel="alternate", type="text/html", href=link)
        _child(entry, "published", published)
        _child(entry, "updated", published)
        if incident.entry.team:
            _child(entry, "category", term=incident.entry.team.slug, label=incident.entry.team.name)
        _child(entry, "content", str(show(incident.narrative_html)), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
