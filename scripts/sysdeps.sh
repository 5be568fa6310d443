#!/usr/bin/env bash
# System packages the platform uses: a CJK font (Chinese PDFs), Chromium (browser tests),
# zbar-tools (QR decoding in tests), poppler-utils (PDF → PNG), gettext (translations), npm (the
# accessibility checker the browser tests inject, package.json).
# Installs what is missing when running as root with apt; otherwise names what to install.
# Usage: sysdeps.sh [--required]   (--required: fail if something is missing)
set -u
missing=()
fc-list 2>/dev/null | grep -qi "Noto Sans CJK\|Noto Serif CJK" || missing+=(fonts-noto-cjk)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null && exit 0
  echo "apt-get install failed." >&2
fi
echo "Missing system packages: ${missing[*]}" >&2
echo "Install them with: sudo apt-get install ${missing[*]}" >&2
[ "${1:-}" = "--required" ] && exit 1
exit 0
