#!/usr/bin/env bash
# Regenerate the English catalogue from the Chinese source strings and compile it.
# Chinese is the source language (msgids are Chinese); English translations live in locale/en.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY manage.py makemessages -l en --no-obsolete --ignore='.venv/*' --ignore='var/*' --ignore='tests/*' --ignore='bench/*' --ignore='test-artifacts/*'
$PY scripts/fill_translations.py locale/en/LC_MESSAGES/django.po
$PY manage.py compilemessages -l en --ignore='.venv/*'
# zh-hans: every msgid translated to itself, so a lookup stops at the project's catalogue
# plus Chinese for the Wagtail admin strings Wagtail's own zh_Hans catalogues lack (locale/zh_Hans/wagtail.tsv)
(cd scripts && ../$PY identity_catalogue.py ../locale/en/LC_MESSAGES/django.po ../locale/zh_Hans/LC_MESSAGES/django.po ../locale/zh_Hans/wagtail.tsv)
$PY manage.py compilemessages -l zh_Hans --ignore='.venv/*'
