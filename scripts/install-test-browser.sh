#!/bin/sh
# Debian's Chromium and a CJK font, for the test that renders the map offline in a real browser.
# Installs only what is missing; without apt (or rights to use it) the test is skipped instead.
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wenquanyi; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get install -y -q chromium fonts-wqy-microhei >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null 2>&1 \
         && $SUDO apt-get install -y -q chromium fonts-wqy-microhei >/dev/null 2>&1; } \
    || echo "install-test-browser: could not install chromium; the browser test will be skipped"
else
  echo "install-test-browser: no apt-get; install Chromium yourself or the browser test is skipped"
fi
exit 0
