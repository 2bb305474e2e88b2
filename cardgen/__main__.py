"""``python -m cardgen``: the command line, quiet when Ctrl-C comes while it is still loading."""

import sys

try:
    from cardgen.cli import main
except KeyboardInterrupt:  # before Click can handle it: say what Click says, without a traceback
    print("\nAborted!", file=sys.stderr)
    sys.exit(1)

main()
