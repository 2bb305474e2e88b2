"""``python -m cardgen``: the command line (see ``cardgen.entry``)."""

from cardgen.entry import run

run()
