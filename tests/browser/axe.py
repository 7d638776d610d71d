"""Run axe-core in a page and fail on serious or critical accessibility violations.

The app's CSP (``script-src 'self'``) blocks ``add_script_tag``; ``page.evaluate`` goes through
the DevTools protocol, which the CSP does not govern, so axe is injected that way.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from playwright.sync_api import Page

from learnapp.config import PROJECT_ROOT

AXE_PATH = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = frozenset({"serious", "critical"})

_RUN_AXE = """
async () => {
  const results = await window.axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
  }));
}
"""


@functools.cache
def axe_source() -> str:
    """The axe-core script (read once per session)."""
    return AXE_PATH.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """All axe-core violations on ``page`` as it is now (axe is injected when missing).

    Needs a context with JavaScript on: without it axe's timers never fire and it hangs.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(_RUN_AXE)


def format_violations(violations: list[dict[str, Any]]) -> str:
    """Rule id, impact, help text and the selectors of each offending element."""
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"<{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {' > '.join(map(str, node['target']))}")
            for detail in (node["summary"] or "").splitlines():
                lines.append(f"       {detail}")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    """Fail when axe-core finds a serious or critical violation on ``page``."""
    failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    if failing:
        pytest.fail(
            f"axe-core found {len(failing)} serious or critical violation(s) on {where} "
            f"({page.url}):\n{format_violations(failing)}",
            pytrace=False,
        )
