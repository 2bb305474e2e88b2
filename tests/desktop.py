"""Run the real Anki desktop (aqt, headless) with add-ons installed, and bring back what a check saw inside it.

    run = run_desktop(tmp_path / "anki", checks=CHECKS, check="my_check", ankiaddons=[archive], deck=apkg)
    run.result  # the dict the check returned, inside Anki

Anki runs in a subprocess (``python tests/desktop.py BASE``): Qt offscreen, Chromium without its sandbox,
a fresh base folder with the profile made beforehand (a fresh base otherwise opens a language dialog), the
deck imported into the profile's collection with the ``anki`` backend before Anki opens it. Beside the
add-ons under test, a small driver add-on is installed. On ``profile_did_open`` it steps the check: a
generator function ``check(mw, params)`` in a checks module (a plain file, copied into the driver) that
yields a short text while it waits for something (the driver polls it again 0.2 s later, on Qt's event
loop, so Anki and its add-ons keep running) and returns a JSON-able dict. The driver writes that dict,
the add-ons' load state and any traceback to a result file and quits Anki.

A learner's Anki has its own Python: the add-ons under test must not find cardgen, genanki or pydicom
on the path, even though the test venv has them. The launcher hides those from every import that does not
come from ``addons21`` (see ``_HiddenPackages``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

PROFILE = "learner"
TIMEOUT_S = 120.0
DRIVER_PACKAGE = "cardgen_test_driver"
# Installed in the test venv, never in a learner's Anki: an add-on that imports one of these is broken.
# (Anki's own dependencies, e.g. click and jinja2 for flask, are not hidden: Anki's installer ships them.)
HIDDEN_PACKAGES = ("cardgen", "genanki", "pydicom", "highdicom", "pylibjpeg", "yaml", "numpy", "PIL")
# Exit code of the launcher when Anki shows a traceback in a dialog (a startup error): no one can click it.
TRACEBACK_DIALOG_EXIT = 3
MESSAGE_PREFIX = "Anki message "  # how the launcher echoes a message box or tooltip to stderr
WARNING_MESSAGES = ("showWarning", "showCritical")
STDERR_TAIL_LINES = 40


class DesktopRunError(AssertionError):
    """Anki did not start, crashed, hung or an add-on failed: the message says which, with Anki's output."""


@dataclass(frozen=True)
class DesktopRun:
    """What one run of Anki gave back."""

    result: dict[str, Any]     # the check's returned dict
    loaded: dict[str, bool]    # add-on folder name -> its module was imported by Anki
    messages: list[str]        # message boxes and tooltips Anki showed, as "name: text"
    stdout: str
    stderr: str
    base: Path

    @property
    def collection_path(self) -> Path:
        return self.base / PROFILE / "collection.anki2"


def install_ankiaddon(archive: Path, addons_dir: Path) -> str:
    """Extract an .ankiaddon into ``addons_dir/<manifest package>`` as Anki's installer does; the folder name."""
    with zipfile.ZipFile(archive) as zip_file:
        names = zip_file.namelist()
        if "manifest.json" not in names:
            raise DesktopRunError(f"{archive}: no manifest.json at the top of the archive (files: {names[:10]})")
        manifest = json.loads(zip_file.read("manifest.json"))
        package = manifest.get("package")
        if not package:
            raise DesktopRunError(f"{archive}: manifest.json has no 'package': {manifest}")
        target = addons_dir / package
        zip_file.extractall(target)
    return package


def install_folder(folder: Path, addons_dir: Path) -> str:
    """Copy an add-on folder into ``addons_dir`` under its own name; the folder name."""
    shutil.copytree(folder, addons_dir / folder.name)
    return folder.name


def set_addon_config(folder: Path, overrides: dict[str, Any]) -> None:
    """Store the add-on's config as Anki does when a learner edits it: meta.json's "config", whole."""
    defaults_path = folder / "config.json"
    config = json.loads(defaults_path.read_text(encoding="utf-8")) if defaults_path.exists() else {}
    unknown = set(overrides) - set(config)
    if unknown:
        raise DesktopRunError(f"{folder.name}: config.json has no setting {sorted(unknown)} (it has {sorted(config)})")
    meta_path = folder / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    meta["config"] = {**config, **overrides}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")


def run_desktop(base: Path, *, checks: Path, check: str, params: dict[str, Any] | None = None,
                ankiaddons: Sequence[Path] = (), addon_folders: Sequence[Path] = (),
                addon_config: dict[str, dict[str, Any]] | None = None,
                deck: Path | None = None, timeout: float = TIMEOUT_S) -> DesktopRun:
    """Start Anki in ``base`` with the add-ons installed and ``deck`` imported, run ``checks.check`` inside it.

    ``addon_config``: add-on folder name -> settings that override its config.json, as a learner sets
    them in Tools > Add-ons > Config.

    Raises DesktopRunError on a timeout, a crash, a traceback in Anki's output, an add-on that did not
    load, or a check that raised; the message carries the tail of Anki's output.
    """
    addons_dir = base / "addons21"
    addons_dir.mkdir(parents=True)
    under_test = [install_ankiaddon(archive, addons_dir) for archive in ankiaddons]
    under_test += [install_folder(folder, addons_dir) for folder in addon_folders]
    for name, overrides in (addon_config or {}).items():
        set_addon_config(addons_dir / name, overrides)
    result_path = base / "driver-result.json"
    _write_driver(addons_dir / DRIVER_PACKAGE, checks, check, params or {}, result_path,
                  expected=under_test, deadline_s=timeout - 15)

    command = [sys.executable, str(Path(__file__).resolve()), str(base), json.dumps(under_test)]
    if deck is not None:
        command.append(str(deck.resolve()))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",
               PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1",
               # Qt and Chromium keep caches and settings under XDG folders: keep them in the run's base.
               XDG_CACHE_HOME=str(base / "xdg-cache"), XDG_CONFIG_HOME=str(base / "xdg-config"),
               XDG_DATA_HOME=str(base / "xdg-data"),
               # Anki lets one instance run per user (a local socket named by this key): a run of its own,
               # or another test run on the same machine makes this Anki hand over and exit.
               ANKI_SINGLE_INSTANCE_KEY=f"cardgen-test-{base.name}-{os.getpid()}")
    # A session of its own: on a timeout the whole group (Anki and its QtWebEngineProcess children) is killed.
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise DesktopRunError(f"Anki did not finish within {timeout:.0f} s" + _output_tail(stdout, stderr))
    finally:
        _kill_leftovers(process.pid)

    if not result_path.exists():
        raise DesktopRunError(f"Anki exited with code {process.returncode} and no result from the driver add-on"
                              + _output_tail(stdout, stderr))
    report = json.loads(result_path.read_text(encoding="utf-8"))
    if report["error"]:
        raise DesktopRunError(f"the check {check!r} failed inside Anki:\n{report['error']}"
                              + _output_tail(stdout, stderr))
    not_loaded = [name for name, loaded in report["loaded"].items() if not loaded]
    if not_loaded:
        raise DesktopRunError(f"add-ons not loaded by Anki: {not_loaded}; Anki's state: {report['addon_state']}"
                              + _output_tail(stdout, stderr))
    # Anki prints a failed add-on import, and its error handler a failed callback, as a Python traceback.
    if _tracebacks_of_anki_or_addons(stdout + stderr):
        raise DesktopRunError("a Python traceback in Anki's output" + _output_tail(stdout, stderr))
    warnings = [line for line in stderr.splitlines()
                if line.startswith(tuple(f"{MESSAGE_PREFIX}{name}" for name in WARNING_MESSAGES))]
    if warnings:
        raise DesktopRunError(f"Anki showed a warning: {warnings}" + _output_tail(stdout, stderr))
    if process.returncode != 0:
        raise DesktopRunError(f"Anki exited with code {process.returncode}" + _output_tail(stdout, stderr))
    messages = [line[len(MESSAGE_PREFIX):] for line in stderr.splitlines() if line.startswith(MESSAGE_PREFIX)]
    return DesktopRun(result=report["result"], loaded=report["loaded"], messages=messages, stdout=stdout,
                      stderr=stderr, base=base)


def _tracebacks_of_anki_or_addons(output: str) -> list[str]:
    """The Python tracebacks in Anki's output, but for the media server's known race at shutdown.

    As Anki quits, its media server (waitress, in a thread) can still be answering the webview; it
    then writes to the trigger pipe Anki has just closed and logs ``OSError: [Errno 9]`` from inside
    waitress. That is Anki's own shutdown, not an add-on's error, and it comes and goes with timing.
    Every other traceback counts, including one that passes through waitress on its way elsewhere."""
    blocks = output.split("Traceback (most recent call last)")[1:]
    return [block for block in blocks if not _is_waitress_shutdown_race(block)]


def _is_waitress_shutdown_race(block: str) -> bool:
    lines = [line for line in block.splitlines() if line.strip()]
    frames = [line for line in lines if line.lstrip().startswith("File ")]
    ending = next((line for line in lines if not line.startswith(" ") and line != ":"), "")
    return (bool(frames) and all("/waitress/" in frame for frame in frames)
            and ending.startswith("OSError: [Errno 9] Bad file descriptor"))


def _output_tail(stdout: str, stderr: str) -> str:
    def tail(text: str) -> str:
        return "\n".join(text.splitlines()[-STDERR_TAIL_LINES:]) or "(empty)"
    return f"\n--- Anki's stdout (tail) ---\n{tail(stdout)}\n--- Anki's stderr (tail) ---\n{tail(stderr)}"


def _kill_leftovers(group: int) -> None:
    """Chromium helpers can outlive Anki's main process; end the run's own process group."""
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass


_DRIVER = '''\
"""Test driver written by tests/desktop.py: steps a check on Anki's event loop, writes its result, quits."""

import json
import sys
import time
import traceback
from pathlib import Path

from aqt import gui_hooks, mw
from aqt.qt import QTimer

from . import checks

SETTINGS = json.loads((Path(__file__).parent / "settings.json").read_text(encoding="utf-8"))
POLL_MS = 200


def _addon_state():
    return {meta.dir_name: {"enabled": meta.enabled, "compatible": meta.compatible()}
            for meta in mw.addonManager.all_addon_meta()}


def _finish(result, error):
    report = {"result": result, "error": error,
              "loaded": {name: name in sys.modules for name in SETTINGS["expected"]},
              "addon_state": _addon_state()}
    Path(SETTINGS["result_path"]).write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    QTimer.singleShot(0, mw.unloadProfileAndExit)


def _start():
    deadline = time.monotonic() + SETTINGS["deadline_s"]
    steps = getattr(checks, SETTINGS["check"])(mw, SETTINGS["params"])
    waiting_for = ["the check to start"]

    def step():
        try:
            waiting_for[0] = next(steps)
        except StopIteration as done:
            _finish(done.value, None)
            return
        except Exception:
            _finish(None, traceback.format_exc())
            return
        if time.monotonic() > deadline:
            _finish(None, f"gave up after {SETTINGS['deadline_s']:.0f} s waiting for {waiting_for[0]}")
            return
        QTimer.singleShot(POLL_MS, step)

    step()


gui_hooks.profile_did_open.append(lambda: QTimer.singleShot(0, _start))
'''


def _write_driver(folder: Path, checks: Path, check: str, params: dict[str, Any], result_path: Path, *,
                  expected: list[str], deadline_s: float) -> None:
    folder.mkdir()
    (folder / "__init__.py").write_text(_DRIVER, encoding="utf-8")
    shutil.copyfile(checks, folder / "checks.py")
    (folder / "manifest.json").write_text(json.dumps({"package": DRIVER_PACKAGE, "name": "cardgen test driver"}),
                                          encoding="utf-8")
    settings = {"check": check, "params": params, "result_path": str(result_path), "expected": expected,
                "deadline_s": deadline_s}
    (folder / "settings.json").write_text(json.dumps(settings), encoding="utf-8")


class _HiddenPackages:
    """A meta path finder: the packages a learner's Anki does not have are found only inside addons21."""

    def __init__(self, addons_dir: Path) -> None:
        self.addons_dir = str(addons_dir)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        from importlib.machinery import PathFinder

        if path is not None or fullname not in HIDDEN_PACKAGES:
            return None  # submodules follow their parent's __path__; other top-level names are Anki's own
        spec = PathFinder.find_spec(fullname, [self.addons_dir])
        if spec is None:
            raise ModuleNotFoundError(f"No module named {fullname!r} (not installed in a learner's Anki)",
                                      name=fullname)
        return spec


def _tap_messages(module: Any) -> None:
    """Echo the text of Anki's message boxes and tooltips to stderr; quit on one that shows a traceback.

    Offscreen, a dialog is seen by no one: a startup error (Anki catches it and shows it in a modal box)
    would hang the run until the timeout with nothing in the output, and an add-on's warning would pass
    unnoticed. ``aqt.main`` bound these names when Anki was imported; add-ons import them from
    ``aqt.utils`` when they show something.
    """
    for name in ("showInfo", *WARNING_MESSAGES, "tooltip"):
        shown = getattr(module, name, None)
        if shown is None:
            continue

        def tapped(text: str, *args: Any, _shown: Any = shown, _name: str = name, **kwargs: Any) -> Any:
            # sys.__stderr__: Anki replaces sys.stderr with its error handler, which would show this as an error.
            print(f"{MESSAGE_PREFIX}{_name}: {text}", file=sys.__stderr__, flush=True)
            if "Traceback (most recent call last)" in str(text):
                os._exit(TRACEBACK_DIALOG_EXIT)
            return _shown(text, *args, **kwargs)

        setattr(module, name, tapped)


def _launch(base: Path, under_test: list[str], deck: Path | None) -> None:
    """Inside the subprocess: make the profile, import the deck, run Anki."""
    from aqt.profiles import ProfileManager

    profiles = ProfileManager(base)
    profiles.setupMeta()
    profiles.setLang("en")
    profiles.meta["firstRun"] = False
    profiles.set_update_check(False)            # no network in tests
    profiles.set_check_for_addon_updates(False)
    profiles.create(PROFILE)
    profiles.load(PROFILE)
    profiles.save()

    if deck is not None:
        from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

        (base / PROFILE).mkdir(exist_ok=True)
        col = Collection(str(base / PROFILE / "collection.anki2"))
        try:
            col.import_anki_package(ImportAnkiPackageRequest(
                package_path=str(deck), options=ImportAnkiPackageOptions(with_scheduling=True)))
        finally:
            col.close()

    # Imported already (this script, aqt, anki) stays; everything the add-ons import from now on is checked.
    for name in HIDDEN_PACKAGES:
        if name in sys.modules and name not in under_test:
            raise RuntimeError(f"{name} was imported before Anki started; the hiding cannot work")
    sys.meta_path.insert(0, _HiddenPackages(base / "addons21"))

    import aqt
    import aqt.main
    import aqt.utils

    _tap_messages(aqt.main)
    _tap_messages(aqt.utils)
    sys.argv = ["anki", "-b", str(base), "-p", PROFILE, "-l", "en"]
    aqt.run()


if __name__ == "__main__":
    _launch(Path(sys.argv[1]), json.loads(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
