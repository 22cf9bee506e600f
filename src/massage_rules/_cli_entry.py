"""``python -m massage_rules._cli_entry``: run ``suggest`` without the console script (tests, debugging)."""

from ._cli import run

run()
