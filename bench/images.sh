#!/usr/bin/env bash
# bench/images.sh: build torg's two container images and run them, as a
# deploy would: Dockerfile (one machine, fly.toml) and Dockerfile.litefs
# (LiteFS, fly.litefs.toml). Each runs with the [env] of its fly file.
#
#   torg         /healthz 200; a signup POST (as Fly's proxy passes it on)
#                303; the signup still there after a restart; torg runs as
#                the user torg, not root.
#   torg-litefs  LiteFS mounts /litefs; torg runs as the user torg; /healthz
#                200; a signup 303; its .eml in TORG_MAIL_DIR; torg.db in
#                the mount. Then a second container as a replica: healthz
#                "replica of", the primary's signups reach it, and a POST
#                sent to it is answered 409 with fly-replay.
#
# It prints each image's size and exits non-zero if a check fails.
#
# Usage: bench/images.sh  (from anywhere; needs docker or podman, git, curl;
# root or a rootful engine: LiteFS needs --privileged and /dev/fuse)
#
#   ENGINE=podman        docker or podman (default: docker if present)
#   BUILD_FLAGS=...      extra flags for every build ("--network host")
#   PORT=18480           torg on PORT, the LiteFS primary PORT+1, replica PORT+2
#   SUBNET=10.89.7       the LiteFS containers' network (/24), for the lease
#   KEEP=1               leave the containers, volumes and network behind
#
# The images are built from `git archive HEAD`: what is committed, nothing
# else in the folder.
#
# LiteFS's lease on Fly is Consul; here the shipped litefs.yml is mounted
# over /etc/litefs.yml with only its lease section switched to a static
# one (primary: candidate true; replica: candidate false), so that the
# exec step (install -d of the mail folder, setpriv to the user torg) runs
# as shipped.
#
# What was done where this first ran (docs/scaling.md "The images, built
# and run"): a machine with neither a Docker daemon nor Docker Hub, Debian
# bookworm, podman 4.3 from Debian. The base images the Dockerfiles name
# were made locally and tagged with the names Docker Hub uses, so that the
# Dockerfiles ran unchanged; on a normal machine none of this is needed:
#
#   debootstrap --variant=minbase bookworm slim http://deb.debian.org/debian
#   # slimmed as the official image is (dpkg excludes /usr/share/doc, man,
#   # locale, info; apt lists and caches emptied; deb822 sources with
#   # bookworm, bookworm-updates, bookworm-security)
#   tar -C slim --numeric-owner -cf slim.tar .
#   podman import --change 'CMD ["bash"]' slim.tar docker.io/library/debian:bookworm-slim
#
#   cp -a slim golang; chroot golang apt-get install --no-install-recommends \
#     gcc libc6-dev git ca-certificates; cp -a "$(go env GOROOT)" golang/usr/local/go
#   # (Go 1.26.8) mkdir -p golang/go/src golang/go/bin; chmod -R 1777 golang/go
#   # the machine's CA bundle into golang/etc/ssl/certs/ca-certificates.crt:
#   # its HTTPS to the module proxy passes a proxy with its own CA
#   tar -C golang --numeric-owner -cf golang.tar .
#   podman import --change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
#     --change 'ENV GOLANG_VERSION=1.26.8' --change 'ENV GOTOOLCHAIN=local' \
#     --change 'ENV GOPATH=/go' --change 'WORKDIR /go' --change 'CMD ["bash"]' \
#     golang.tar docker.io/library/golang:1.26-bookworm
#
# and, as that machine is itself a container, /etc/containers/containers.conf
# with runtime = "runc" (crun refuses its hybrid cgroups) and
# default_ulimits nofile=16384:16384, nproc=32768:32768 (podman may not
# raise them), and BUILD_FLAGS="--network host" (the module proxy).
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE=${ENGINE:-$(command -v docker >/dev/null 2>&1 && echo docker || echo podman)}
PORT=${PORT:-18480}
SUBNET=${SUBNET:-10.89.7}
read -r -a build_flags <<<"${BUILD_FLAGS:-}"
for tool in "$ENGINE" git curl; do
	command -v "$tool" >/dev/null || { echo "bench/images.sh: $tool is missing" >&2; exit 1; }
done

WORK=$(mktemp -d)
run_id=torg-images-$$
PRIMARY_IP=$SUBNET.10 REPLICA_IP=$SUBNET.11
cleanup() {
	if [ -n "${KEEP:-}" ]; then
		echo "kept: containers and volumes $run_id-*, network $run_id, files in $WORK"
		return
	fi
	"$ENGINE" rm -f "$run_id-torg" "$run_id-primary" "$run_id-replica" >/dev/null 2>&1 || true
	"$ENGINE" volume rm "$run_id-data" "$run_id-primary" "$run_id-replica" >/dev/null 2>&1 || true
	"$ENGINE" network rm "$run_id" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

failed=0
pass() { echo "  ok    $*"; }
fail() { echo "  FAIL  $*"; failed=$((failed + 1)); }
# check NAME WANT GOT: pass when GOT is WANT.
check() { if [ "$3" = "$2" ]; then pass "$1: $3"; else fail "$1: got $3, want $2"; fi; }

# env_file FLYTOML OUT: the [env] section of a fly file as an env file.
env_file() {
	awk '/^\[/ { inenv = ($0 == "[env]") ; next }
		inenv && /^ *[A-Z_]+ *= *"/ {
			sub(/^ */, ""); key = $0; sub(/ *=.*/, "", key)
			val = $0; sub(/^[^"]*"/, "", val); sub(/".*/, "", val)
			print key "=" val
		}' "$1" >"$2"
}

# base_url: TORG_BASE_URL of an env file; the host every POST pretends to.
base_url() { sed -n 's/^TORG_BASE_URL=//p' "$1"; }

# wait_healthy PORT: until /healthz answers 200 (at most 30 s).
wait_healthy() {
	for _ in $(seq 150); do
		curl -fs -o /dev/null "http://127.0.0.1:$1/healthz" && return 0
		sleep 0.2
	done
	return 1
}

# signup PORT SLUG EMAIL BASEURL: POST a signup as Fly's proxy passes one
# on (the public Host and Origin, HTTPS, the client's address); prints the
# status and the Location.
signup() {
	local host=${4#https://}
	curl -s -o /dev/null -w '%{http_code} %header{location}' \
		-H "Host: $host" -H "Origin: $4" -H 'X-Forwarded-Proto: https' \
		-H "Fly-Client-IP: 203.0.113.$((RANDOM % 200 + 1))" \
		--data-urlencode 'name=Kari Nordmann' --data-urlencode "email=$3" \
		-d phone=91234567 -d organization= -d diet= -d seats=1 \
		-d show_name=none -d consent=yes \
		"http://127.0.0.1:$1/events/$2/signups"
}

# processes CONTAINER: "user command" for every process in it, from /proc
# (the slim image has no ps; docker top and podman top print differently).
processes() {
	# The processes there before this shell, less the shell itself.
	"$ENGINE" exec "$1" sh -c 'for d in $(ls -d /proc/[0-9]*); do
		[ "$d" = /proc/$$ ] && continue
		cmd=$(tr "\0" " " 2>/dev/null <"$d/cmdline") || continue
		[ -n "$cmd" ] || continue
		uid=$(awk "/^Uid:/ {print \$2}" "$d/status")
		echo "$(getent passwd "$uid" | cut -d: -f1) $cmd"
	done' 
}

# user_of CONTAINER: the user torg serve runs as.
user_of() { processes "$1" | awk '$2 ~ /torg$/ && $3 == "serve" { print $1; exit }'; }

size_of() { "$ENGINE" image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.1f MB", $1 / 1e6 }'; }

seats_left() {
	curl -fs "http://127.0.0.1:$1/events/$2" | grep -o 'data-seats-left="[0-9]*"' | grep -o '[0-9]*' || echo none
}

echo "== source: git archive HEAD ($(git rev-parse --short HEAD)), engine $ENGINE"
mkdir "$WORK/src"
git archive HEAD | tar -x -C "$WORK/src"

for image in torg:Dockerfile torg-litefs:Dockerfile.litefs; do
	echo "== build ${image%%:*} from ${image#*:}"
	start=$SECONDS
	"$ENGINE" build "${build_flags[@]}" -f "$WORK/src/${image#*:}" -t "${image%%:*}" "$WORK/src" >"$WORK/build-${image%%:*}.log" 2>&1 ||
		{ tail -30 "$WORK/build-${image%%:*}.log"; echo "bench/images.sh: building ${image%%:*} failed" >&2; exit 1; }
	echo "   built in $((SECONDS - start)) s"
done

# The metrics address of both fly files is Fly's private one; here it is
# the container's loopback.
hosts=(--add-host fly-local-6pn:127.0.0.1)

echo "== torg (Dockerfile, fly.toml [env]) on 127.0.0.1:$PORT"
env_file fly.toml "$WORK/torg.env"
BASE=$(base_url "$WORK/torg.env")
"$ENGINE" volume create "$run_id-data" >/dev/null
"$ENGINE" run -d --name "$run_id-torg" -p "127.0.0.1:$PORT:8080" -v "$run_id-data:/data" \
	--env-file "$WORK/torg.env" "${hosts[@]}" torg >/dev/null
if wait_healthy "$PORT"; then pass "/healthz 200"; else fail "/healthz never 200"; "$ENGINE" logs "$run_id-torg" | tail -20; fi
slug=$("$ENGINE" exec --user torg "$run_id-torg" torg event add --db /data/torg.db --title Frokostmøte --starts 2030-12-03T07:30 --capacity 50)
read -r status location <<<"$(signup "$PORT" "$slug" kari@example.no "$BASE")"
check "signup POST" 303 "$status"
check "torg serve runs as" torg "$(user_of "$run_id-torg")"
processes "$run_id-torg" | sed 's/^/        /'
"$ENGINE" restart "$run_id-torg" >/dev/null
wait_healthy "$PORT" || fail "/healthz never 200 after the restart"
check "the signup's page after a restart" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$location")"
check "seats left after a restart" 49 "$(seats_left "$PORT" "$slug")"
"$ENGINE" exec "$run_id-torg" ls -la /data | sed 's/^/        /'

echo "== torg-litefs (Dockerfile.litefs, fly.litefs.toml [env]), static lease"
env_file fly.litefs.toml "$WORK/litefs.env"
BASE=$(base_url "$WORK/litefs.env")
MAILDIR=$(sed -n 's/^TORG_MAIL_DIR=//p' "$WORK/litefs.env")
# The shipped litefs.yml with its lease section (from "lease:" to the next
# blank line) replaced by a static lease naming the primary.
static_lease() {
	awk -v cand="$1" -v url="http://$PRIMARY_IP:20202" '
		/^lease:/ { skip = 1
			print "lease:\n  type: \"static\"\n  hostname: \"primary\"\n  candidate: " cand "\n  advertise-url: \"" url "\""
			next }
		skip && /^$/ { skip = 0 }
		!skip' litefs.yml
}
static_lease true >"$WORK/primary.yml"
static_lease false >"$WORK/replica.yml"
diff litefs.yml "$WORK/primary.yml" | sed 's/^/        /' || true
"$ENGINE" network create --subnet "$SUBNET.0/24" "$run_id" >/dev/null
litefs_node() { # NAME IP PORT
	"$ENGINE" volume create "$run_id-$1" >/dev/null
	"$ENGINE" run -d --name "$run_id-$1" --network "$run_id" --ip "$2" -p "127.0.0.1:$3:8080" \
		--privileged --device /dev/fuse -v "$run_id-$1:/var/lib/litefs" \
		-v "$WORK/$1.yml:/etc/litefs.yml:ro" --env-file "$WORK/litefs.env" "${hosts[@]}" torg-litefs >/dev/null
}
litefs_node primary "$PRIMARY_IP" $((PORT + 1))
if wait_healthy $((PORT + 1)); then pass "/healthz 200"; else fail "/healthz never 200"; "$ENGINE" logs "$run_id-primary" 2>&1 | tail -30; fi
check "LiteFS mount" "/litefs fuse" "$("$ENGINE" exec "$run_id-primary" awk '$2 == "/litefs" { print $2, $3 }' /proc/mounts | sed 's/fuse\..*/fuse/')"
check "torg serve runs as" torg "$(user_of "$run_id-primary")"
processes "$run_id-primary" | sed 's/^/        /'
slug=$("$ENGINE" exec --user torg "$run_id-primary" torg event add --db /litefs/torg.db --title Frokostmøte --starts 2030-12-03T07:30 --capacity 50)
read -r status _ <<<"$(signup $((PORT + 1)) "$slug" kari@example.no "$BASE")"
check "signup POST" 303 "$status"
eml=none
for _ in $(seq 50); do
	eml=$("$ENGINE" exec "$run_id-primary" sh -c "ls $MAILDIR/*.eml 2>/dev/null | wc -l")
	[ "$eml" -gt 0 ] && break
	sleep 0.2
done
check ".eml files in $MAILDIR" 1 "$eml"
check "the mail folder's owner" torg "$("$ENGINE" exec "$run_id-primary" stat -c %U "$MAILDIR")"
check "torg.db in the mount" yes "$("$ENGINE" exec "$run_id-primary" sh -c 'test -s /litefs/torg.db && echo yes || echo no')"
"$ENGINE" exec "$run_id-primary" ls -la /litefs "$MAILDIR" | sed 's/^/        /'

echo "== a replica of it (candidate false)"
litefs_node replica "$REPLICA_IP" $((PORT + 2))
if wait_healthy $((PORT + 2)); then pass "/healthz 200"; else fail "/healthz never 200"; "$ENGINE" logs "$run_id-replica" 2>&1 | tail -30; fi
check "replica's /healthz" "ok: replica of primary" "$(curl -s "http://127.0.0.1:$((PORT + 2))/healthz")"
check "torg serve runs as" torg "$(user_of "$run_id-replica")"
check "the first signup on the replica: seats left" 49 "$(seats_left $((PORT + 2)) "$slug")"
read -r status _ <<<"$(signup $((PORT + 1)) "$slug" ola@example.no "$BASE")"
check "a second signup through the primary" 303 "$status"
start=$(date +%s%N) left=none
for _ in $(seq 100); do
	left=$(seats_left $((PORT + 2)) "$slug")
	[ "$left" = 48 ] && break
	sleep 0.05
done
check "the second signup on the replica: seats left" 48 "$left"
echo "        (on the replica's event page $((($(date +%s%N) - start) / 1000000)) ms after the primary's 303)"
replay=$(curl -s -o /dev/null -D - -H "Host: ${BASE#https://}" -H "Origin: $BASE" -H 'X-Forwarded-Proto: https' \
	--data-urlencode 'name=Per' -d email=per@example.no -d phone=91234569 -d seats=1 -d show_name=none -d consent=yes \
	"http://127.0.0.1:$((PORT + 2))/events/$slug/signups" | tr -d '\r' | awk 'NR == 1 { s = $2 } tolower($1) == "fly-replay:" { r = $2 } END { print s, r }')
check "a POST sent to the replica" "409 instance=primary" "$replay"

echo "== sizes"
for image in torg torg-litefs; do
	echo "   $image: $(size_of "$image")"
done
"$ENGINE" image ls | grep -E '^(REPOSITORY|\S*torg)' || true

if [ "$failed" -gt 0 ]; then
	echo "bench/images.sh: $failed check(s) failed" >&2
	exit 1
fi
echo "bench/images.sh: every check passed"
