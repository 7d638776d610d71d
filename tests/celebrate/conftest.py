"""The improvements tests' people, entry and improvement maker serve here too."""

from tests.improvements.conftest import entry, make_improvement, people  # noqa: F401
