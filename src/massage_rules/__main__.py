"""``python -m massage_rules``: the authoring and integration tools (``massage-rules``)."""

from massage_rules.cli.admin import run

run()
