#!/usr/bin/env bash
# Restore an Anxun backup set written by deploy/backup.sh. Stop the app servers, workers and beat first.
#
#   deploy/restore.sh BACKUP_SET_DIR --yes
#
# Environment: DATABASE_URL (the database to overwrite; it must exist, e.g. `createdb anxun`),
# ANXUN_MEDIA_ROOT, or ANXUN_BACKUP_RCLONE_SOURCE for media on object storage.
# The database objects of the dump replace those in DATABASE_URL (pg_restore --clean, one
# transaction: on error nothing changes). The media directory is replaced as a whole; the previous
# one is kept beside it as <media>.before-restore-<timestamp> until you delete it.
set -euo pipefail

set_dir="${1:?usage: deploy/restore.sh BACKUP_SET_DIR --yes}"
[ "${2:-}" = "--yes" ] || { echo "This overwrites the database and the media. Add --yes to go on." >&2; exit 2; }
: "${DATABASE_URL:?DATABASE_URL must be set (postgres://…)}"
[ -f "$set_dir/database.dump" ] || { echo "$set_dir/database.dump not found" >&2; exit 1; }

echo "checking $set_dir/SHA256SUMS"
(cd "$set_dir" && sha256sum --quiet --check SHA256SUMS)

echo "database ← $set_dir/database.dump"
pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
  --no-password --dbname="$DATABASE_URL" "$set_dir/database.dump"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
if [ -d "$set_dir/media" ]; then
  : "${ANXUN_BACKUP_RCLONE_SOURCE:?the set holds an rclone copy: set ANXUN_BACKUP_RCLONE_SOURCE}"
  echo "media ← $set_dir/media/ (rclone sync to ${ANXUN_BACKUP_RCLONE_SOURCE})"
  rclone sync --checksum "$set_dir/media" "$ANXUN_BACKUP_RCLONE_SOURCE"
else
  media_root="${ANXUN_MEDIA_ROOT:?ANXUN_MEDIA_ROOT must be set}"
  media_root="${media_root%/}"
  echo "media ← $set_dir/media.tar.gz"
  incoming="$media_root.restore-$stamp"
  mkdir -p "$incoming"
  tar --extract --gzip --file="$set_dir/media.tar.gz" --directory="$incoming"
  if [ -d "$media_root" ]; then
    mv "$media_root" "$media_root.before-restore-$stamp"
    echo "previous media kept in $media_root.before-restore-$stamp"
  fi
  mv "$incoming" "$media_root"
fi
echo "restore complete. Run 'manage.py migrate' if the code is newer than the backup, then start the services."
