"""``GET /search``: a real GET form, active search under htmx."""

from __future__ import annotations

from flask import request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from learnapp.forms import line_field
from learnapp.htmx import page_or_fragment
from learnapp.parsing import parse_count
from learnapp.search import bp, index
from learnapp.search.highlight import highlight, snippet
from learnapp.search.index import terms_of
from learnapp.search.queries import search_entries, search_improvements

PAGE_SIZE = 20
MAX_PAGE = 50


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = line_field("Search lessons and improvements", 200)


@bp.get("/search")
@login_required
def search() -> tuple[str, int]:
    form = SearchForm(formdata=request.args)
    valid = form.validate()
    terms = terms_of(form.q.data or "") if valid else []
    page = min(parse_count(request.args.get("page"), 10**6) or 1, MAX_PAGE)
    offset = (page - 1) * PAGE_SIZE
    entries = search_entries(current_user, terms, PAGE_SIZE + 1, offset)
    improvements = search_improvements(current_user, terms, PAGE_SIZE + 1, offset)
    context = {
        "form": form,
        "terms": terms,
        "page": page,
        "entries": entries[:PAGE_SIZE],
        "improvements": improvements[:PAGE_SIZE],
        "more": len(entries) > PAGE_SIZE or len(improvements) > PAGE_SIZE,
    }
    status = 200 if valid else 422
    return page_or_fragment("search/search.html", "search/_results.html", status, **context)


bp.add_app_template_filter(highlight, "highlight")
bp.add_app_template_filter(snippet, "snippet")
# Keep the index in step with every write, from the first app on.
bp.record_once(lambda _state: index.init_app())
