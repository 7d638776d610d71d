"""Compressed responses, and static files under versioned names cached for a year."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import brotli
import pytest

from learnapp.assets import IMMUTABLE, content_hash, versioned_name

try:
    from compression import zstd  # Python 3.14
except ImportError:
    from backports import zstd

DECOMPRESS = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": zstd.decompress,
    "deflate": zlib.decompress,
}
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')
STATIC = Path(__file__).resolve().parent.parent / "static"


@pytest.fixture
def reader(client, make_user, make_entry):
    user = make_user("Reader")
    for number in range(5):
        make_entry(user, title=f"Lesson {number}", what_happened="A long story. " * 40)
    return client.login_as(user)


def assets_of(page: str) -> list[str]:
    return ASSET.findall(page)


@pytest.mark.parametrize("encoding", DECOMPRESS)
def test_pages_are_compressed_as_the_browser_accepts(reader, encoding):
    plain = reader.get("/").data
    answer = reader.get("/", headers={"Accept-Encoding": encoding})
    assert answer.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert answer.headers["Cache-Control"] == "private, no-store"  # still never cached
    assert len(answer.data) < len(plain) / 3
    # The same page, but for the CSRF token and the form's fresh idempotency key.
    assert b"Lesson 4" in DECOMPRESS[encoding](answer.data)


def test_a_browser_that_asks_for_nothing_gets_the_page_as_it_is(reader):
    answer = reader.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in answer.headers
    assert b"Lesson 4" in answer.data


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_css_and_javascript_are_compressed(reader, encoding):
    for url in assets_of(reader.get("/").text):
        answer = reader.get(url, headers={"Accept-Encoding": encoding})
        assert answer.status_code == 200, url
        assert answer.headers["Content-Encoding"] == encoding, url
        plain = STATIC / re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", url[len("/static/") :])
        assert DECOMPRESS[encoding](answer.data) == plain.read_bytes()


def test_the_layout_links_static_files_under_versioned_names(reader):
    urls = assets_of(reader.get("/").text)
    assert {re.sub(r"\.[0-9a-f]{12}\.", ".", u) for u in urls} == {
        "/static/css/app.css",
        "/static/vendor/htmx.min.js",
        "/static/js/app.js",
    }
    assert all(re.search(r"\.[0-9a-f]{12}\.(css|js)$", url) for url in urls)


def test_a_versioned_name_is_cached_for_a_year(reader):
    css = next(u for u in assets_of(reader.get("/").text) if u.endswith(".css"))
    answer = reader.get(css)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == IMMUTABLE
    assert "Expires" not in answer.headers
    assert answer.data == (STATIC / "css" / "app.css").read_bytes()


def test_the_plain_name_still_works_and_is_revalidated(client):
    answer = client.get("/static/css/app.css")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["ETag"]
    again = client.get("/static/css/app.css", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_a_page_from_before_a_deploy_gets_todays_file_not_cached_for_long(client):
    answer = client.get("/static/css/app.0123456789ab.css")
    assert answer.status_code == 200
    assert answer.data == (STATIC / "css" / "app.css").read_bytes()
    assert "immutable" not in answer.headers["Cache-Control"]


@pytest.mark.parametrize(
    "url",
    [
        "/static/../learnapp/config.0123456789ab.py",
        "/static/%2e%2e/learnapp/config.0123456789ab.py",
        "/static/css/missing.0123456789ab.css",
        "/static/css/missing.css",
    ],
)
def test_names_outside_the_static_folder_or_missing_are_not_found(client, url):
    assert client.get(url).status_code == 404


def test_the_version_follows_the_content(app, tmp_path):
    app.static_folder = str(tmp_path)
    (tmp_path / "site.css").write_text("body { color: red }")
    first = versioned_name("site.css")
    assert first == f"site.{content_hash('site.css')}.css"
    (tmp_path / "site.css").write_text("body { color: blue }")
    assert versioned_name("site.css") != first


def test_the_atom_feed_is_of_a_compressed_type(app, reader):
    feed = reader.get("/narratives.atom")
    assert feed.status_code == 200
    assert feed.mimetype in app.config["COMPRESS_MIMETYPES"]


def test_a_range_of_a_static_file_is_still_served(client):
    answer = client.get("/static/css/app.css", headers={"Range": "bytes=0-9"})
    assert answer.status_code == 206
    assert answer.data == (STATIC / "css" / "app.css").read_bytes()[:10]
