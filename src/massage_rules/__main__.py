"""``python -m massage_rules``: the authoring and integration tools (``massage-rules``)."""

from ._admin import run

run()
