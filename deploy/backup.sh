#!/usr/bin/env bash
# Back up Anxun: the PostgreSQL database (pg_dump custom format) and the media files (tar of
# ANXUN_MEDIA_ROOT, or an rclone copy of the object-storage bucket).
#
#   deploy/backup.sh [DEST_ROOT]        # default: $ANXUN_BACKUP_DIR or /var/backups/anxun
#
# Environment: DATABASE_URL (required), ANXUN_MEDIA_ROOT, ANXUN_BACKUP_RCLONE_SOURCE (rclone remote
# of the bucket, e.g. "s3:anxun-media/media"; when set, media are copied with rclone instead of tar),
# ANXUN_BACKUP_KEEP_DAYS (older sets are removed; default 14).
# Writes DEST_ROOT/<UTC timestamp>/ with database.dump, media.tar.gz (or media/) and SHA256SUMS; a set
# only gets its final name once complete. The secrets (anxun.env, signing key) are NOT included:
# keep them separately — without ANXUN_PII_ENCRYPTION_KEY the ID numbers in a dump cannot be read.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must be set (postgres://…)}"
dest_root="${1:-${ANXUN_BACKUP_DIR:-/var/backups/anxun}}"
keep_days="${ANXUN_BACKUP_KEEP_DAYS:-14}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
work="$dest_root/.$stamp.partial"
final="$dest_root/$stamp"

umask 077
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

echo "database → $final/database.dump"
pg_dump --format=custom --compress=6 --no-password --file="$work/database.dump" --dbname="$DATABASE_URL"

if [ -n "${ANXUN_BACKUP_RCLONE_SOURCE:-}" ]; then
  echo "media (rclone ${ANXUN_BACKUP_RCLONE_SOURCE}) → $final/media/"
  rclone copy --checksum "$ANXUN_BACKUP_RCLONE_SOURCE" "$work/media"
else
  media_root="${ANXUN_MEDIA_ROOT:?set ANXUN_MEDIA_ROOT or ANXUN_BACKUP_RCLONE_SOURCE}"
  echo "media ($media_root) → $final/media.tar.gz"
  mkdir -p "$media_root"
  tar --create --gzip --file="$work/media.tar.gz" --directory="$media_root" .
fi

(cd "$work" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum > SHA256SUMS)
mv "$work" "$final"
trap - EXIT

# Keep the last $keep_days days (never the set just written).
find "$dest_root" -mindepth 1 -maxdepth 1 -type d -name '20*' -mtime "+$keep_days" ! -path "$final" \
  -exec rm -rf {} +
echo "backup complete: $final"
