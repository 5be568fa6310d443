#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (Django 6.1 needs it), or explain and fail.
set -u
candidates=("${PYTHON:-}" python3.14 python3.13 python3.12)
for dir in "$HOME"/.pyenv/versions/3.1[2-9]* /root/.pyenv/versions/3.1[2-9]* /usr/local/bin /usr/bin; do
  for exe in "$dir"/bin/python3 "$dir"/python3.1[2-9]; do candidates+=("$exe"); done
done
candidates+=(python3 python)
for c in "${candidates[@]}"; do
  [ -n "$c" ] || continue
  path=$(command -v "$c" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
echo "Anxun needs Python 3.12 or newer; none was found. Install one (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2
exit 1
