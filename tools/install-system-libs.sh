#!/usr/bin/env bash
# The Debian packages the tests need beyond Python: the end-to-end test runs the real Anki desktop.
# Installs only the missing ones (as root or with passwordless sudo); does nothing where dpkg is absent.
set -euo pipefail

# The end-to-end test runs the real Anki desktop (aqt[qt] from the `test` extra), headless. PyQt6's wheels
# carry Qt and Chromium but not the system libraries they link to (found with readelf NEEDED over the Qt
# libraries Anki loads, its offscreen and xcb platform plugins and QtWebEngineProcess, mapped with dpkg -S):
# X11/xcb client libraries (Qt's xcb platform plugin links them, even offscreen), OpenGL/EGL/GBM, NSS and
# ALSA for Chromium, D-Bus, fontconfig with a font. Debian 12 names; installed only when missing.
QT_DEBIAN_PACKAGES=(
    libasound2 libbrotli1 libdbus-1-3 libegl1 libexpat1 libfontconfig1 libfreetype6 libgbm1 libgl1
    libglib2.0-0 libgssapi-krb5-2 libnspr4 libnss3 libudev1 libzstd1 fonts-dejavu-core
    libx11-6 libx11-xcb1 libxcomposite1 libxdamage1 libxext6 libxfixes3 libxrandr2 libxtst6 libxkbfile1
    libxkbcommon0 libxkbcommon-x11-0 libxcb1 libxcb-cursor0 libxcb-dri3-0 libxcb-glx0 libxcb-icccm4
    libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0
    libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
    libfaketime  # not Qt: the add-on evaluation (benchmarks/fair.py) moves Anki's clock with it
)
# The PACS tests (tests/test_pacs.py) run a real Orthanc with its DICOMweb plugin as a child process
# (the Debian service is not used; in CI the tests fail rather than skip when these are missing).
PACS_DEBIAN_PACKAGES=(orthanc orthanc-dicomweb)
# tests/test_preview.py opens cardgen preview's pages in headless Chromium.
PREVIEW_DEBIAN_PACKAGES=(chromium)
if command -v dpkg-query >/dev/null; then
    missing=()
    for package in "${QT_DEBIAN_PACKAGES[@]}" "${PACS_DEBIAN_PACKAGES[@]}" "${PREVIEW_DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed || missing+=("$package")
    done
    if ((${#missing[@]})); then
        sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo -n"
        if [[ -n $sudo ]] && ! sudo -n true 2>/dev/null; then
            # No way to install here: say what is missing and let the tests run (only the Anki desktop
            # and PACS tests need these).
            echo "cardgen: the Anki desktop and PACS tests need these Debian packages; install them as root:" >&2
            echo "  apt-get install ${missing[*]}" >&2
            exit 0
        fi
        echo "installing for Qt/QtWebEngine and Orthanc: ${missing[*]}"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

