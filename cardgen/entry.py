"""The ``cardgen`` command's entry point: quiet when Ctrl-C comes while the command is still loading.

Click turns a Ctrl-C into "Aborted!" only once ``cardgen.cli`` is imported; the installed script and
``python -m cardgen`` both start here so that an interrupt during the imports says the same, without
a traceback.
"""

import os
import signal
import sys
import threading


def run() -> None:
    """Import the command line and run it."""
    sys.unraisablehook = _pass_on_interrupts(sys.unraisablehook)
    _quiet_library_warnings()
    try:
        from cardgen.cli import main
    except KeyboardInterrupt:
        print("\nAborted!", file=sys.stderr)
        sys.exit(1)
    main()


def _quiet_library_warnings() -> None:
    """pydicom's and numpy's warnings (a value longer than its VR allows, a division by zero) printed
    with their source lines are noise to an educator at the command line: what matters in them
    becomes cardgen's own error. ``python -W`` (or PYTHONWARNINGS) still shows them, for developers."""
    if sys.warnoptions:
        return
    import warnings

    warnings.filterwarnings("ignore", module=r"pydicom(\.|$)")
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"numpy(\.|$)")


_REDELIVERY_DELAY_S = 0.05


def _pass_on_interrupts(hook):
    """``hook``, but a Ctrl-C that lands where Python cannot raise it is delivered again instead.

    Python runs a signal handler at the next instruction of any Python code, and that may be a
    weak-reference callback (the import system has one per module lock) or a finaliser. A
    KeyboardInterrupt raised there cannot propagate: Python prints "Exception ignored in ..." with a
    traceback and goes on, so the Ctrl-C would be lost and the build run to its end. The signal is
    sent again a moment later, from a thread, when the main thread is back in ordinary code (sent at
    once, it would be raised inside this hook and lost the same way)."""
    def hook_passing_on_interrupts(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            redelivery = threading.Timer(_REDELIVERY_DELAY_S, os.kill, (os.getpid(), signal.SIGINT))
            redelivery.daemon = True  # a process already ending is not kept for it
            redelivery.start()
            return
        hook(unraisable)
    return hook_passing_on_interrupts
