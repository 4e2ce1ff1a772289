#!/usr/bin/env bash
# Installs the Debian packages nuanxin needs, only those that are missing, so a second run
# does nothing (and needs neither root nor the network).
#
#   scripts/debian-packages.sh venv cjk-font gettext chromium
#
#   venv      python3-venv, without which Debian's python3 cannot create .venv
#   cjk-font  fonts-noto-cjk, so Chinese renders in the browser and in screenshots
#   gettext   msgfmt, which compilemessages calls
#   chromium  Debian's Chromium, which the Playwright tests drive (no browser download)
#   pango     the text layout libraries WeasyPrint draws PDFs with (volunteer certificates)
#   wrk       the HTTP load generator the city benchmark drives gunicorn with
set -euo pipefail

missing=()
for need in "$@"; do
  case "$need" in
    venv) python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv) ;;
    cjk-font)
      command -v fc-list >/dev/null || missing+=(fontconfig)
      { command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .; } || missing+=(fonts-noto-cjk)
      ;;
    gettext) command -v msgfmt >/dev/null || missing+=(gettext) ;;
    chromium) test -x /usr/bin/chromium || missing+=(chromium) ;;
    pango) { ldconfig -p | grep -q 'libpangoft2-1.0.so.0'; } || missing+=(libpango-1.0-0 libpangoft2-1.0-0) ;;
    wrk) command -v wrk >/dev/null || missing+=(wrk) ;;
    *) echo "debian-packages.sh: unknown need '$need'" >&2; exit 2 ;;
  esac
done

[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Missing packages: ${missing[*]}. This is not a Debian system: install them with your package manager." >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Installing ${missing[*]} needs root (or sudo)." >&2; exit 1; }
  sudo=(sudo)
fi
echo "Installing Debian packages: ${missing[*]}"
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
