#!/bin/sh
# Debian packages some tests use: Chromium (the map opened offline in a real browser), a CJK font
# (Chinese text in print maps), poppler-utils (pdftoppm renders the PDFs to check them) and
# LibreOffice Calc (soffice --headless reads every workbook back; no recommends: no GUI extras).
# Installs only what is missing; without apt (or rights to use it) those tests are skipped.
if command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
   && command -v soffice >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wenquanyi; then
  exit 0
fi
PACKAGES="chromium fonts-wqy-microhei poppler-utils"
OFFICE="libreoffice-calc"
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
install() {
  $SUDO apt-get install -y -q $PACKAGES >/dev/null 2>&1 \
    && $SUDO apt-get install -y -q --no-install-recommends $OFFICE >/dev/null 2>&1
}
if command -v apt-get >/dev/null 2>&1; then
  install || { $SUDO apt-get update -q >/dev/null 2>&1 && install; } \
    || echo "install-test-browser: could not install $PACKAGES $OFFICE; the tests needing them are skipped"
else
  echo "install-test-browser: no apt-get; install $PACKAGES $OFFICE yourself or those tests are skipped"
fi
exit 0
