"""The ``cardgen`` command's entry point: quiet when Ctrl-C comes while the command is still loading.

Click turns a Ctrl-C into "Aborted!" only once ``cardgen.cli`` is imported; the installed script and
``python -m cardgen`` both start here so that an interrupt during the imports says the same, without
a traceback.
"""

import sys


def run() -> None:
    """Import the command line and run it."""
    try:
        from cardgen.cli import main
    except KeyboardInterrupt:
        print("\nAborted!", file=sys.stderr)
        sys.exit(1)
    main()
