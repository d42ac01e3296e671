#!/bin/sh
# Entrypoint of Dockerfile (one machine, fly.toml): torg runs as the user
# torg, not as root, the way litefs.yml runs it on LiteFS.
#
# The volume with the database (fly.toml [mounts], /data) is root's: Fly
# mounts it so at every start, and an image from before this one ran torg
# as root and left root's files in it. So, as root, make the database's
# folder and everything in it the user torg's (and TORG_MAIL_DIR, if it is
# elsewhere), then drop to torg with setpriv (util-linux, always in
# Debian). Every command goes through here, so `torg backup` or
# `torg user add` run with `docker run … torg …` leave files torg can use.
set -eu

if [ "$(id -u)" != 0 ]; then
	exec torg "$@" # started with --user: nothing to hand over
fi

# torg serve's default database is data/torg.db from the folder it runs in.
dir=$(realpath -m "$(dirname "${TORG_DB:-data/torg.db}")")
if [ "$dir" = / ]; then
	echo "docker-entrypoint.sh: TORG_DB ${TORG_DB:-} is in /: give the database a folder of its own (the volume's)" >&2
	exit 1
fi
install -d -o torg -g torg -m 0750 "$dir"
chown -R torg:torg "$dir"
if [ -n "${TORG_MAIL_DIR:-}" ]; then
	install -d -o torg -g torg -m 0750 "$TORG_MAIL_DIR"
	chown -R torg:torg "$TORG_MAIL_DIR"
fi

exec setpriv --reuid=torg --regid=torg --init-groups --inh-caps=-all torg "$@"
