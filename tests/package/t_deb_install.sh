#!/usr/bin/env bash
# The Debian packages (make deb): their contents and declared dependencies,
# lintian clean of errors, then installed into a fresh Debian 12 root
# (debootstrap, chroot) the way docs/operations.md says: the jiandu user and
# /var/lib/jiandu 0700 are made, `jianductl init` as that user, jiandud starts
# and `jianductl status` answers; remove keeps the data, purge deletes it
# after a warning.  The fresh root needs debootstrap and Debian's mirror: where
# it cannot run, that part is skipped, saying so.  Label "package" (minutes).
source "$(dirname "$0")/../integration/lib.sh"

DEB=$JD_BUILD_DIR/deb
if ! ls "$DEB"/jiandu_*.deb >/dev/null 2>&1; then
	"$JD_SOURCE_DIR/scripts/deb.sh" "$JD_BUILD_DIR" >/dev/null
fi
PKG=$(ls "$DEB"/jiandu_*.deb)
DEV=$(ls "$DEB"/jiandu-dev_*.deb)

# --- contents
files=$(dpkg-deb -c "$PKG" | awk '{print $1, $6}')
for f in ./usr/bin/jiandud ./usr/bin/jianductl ./usr/lib/jiandu/plugins/cases.so \
	./usr/lib/jiandu/plugins/review.so ./usr/share/man/man8/jiandud.8.gz \
	./usr/share/man/man8/jianductl.8.gz ./usr/share/man/man5/jiandud.conf.5.gz \
	./usr/share/bash-completion/completions/jianductl ./lib/systemd/system/jiandud.service \
	./usr/share/doc/jiandu/jiandud.conf.example ./usr/share/doc/jiandu/operations.md.gz \
	./usr/share/jiandu/ui/index.html ./usr/share/jiandu/ui/app.js; do
	contains "jiandu ships $f" "$files" " $f"
done
check "the counties are in the documentation" grep -q 'usr/share/doc/jiandu/examples/.' <<<"$files"
check "the binaries are executable" grep -q '^-rwxr-xr-x ./usr/bin/jiandud$' <<<"$files"
contains "jiandu-dev ships plugin.h" "$(dpkg-deb -c "$DEV")" "./usr/include/jiandu/plugin.h"
depends=$(dpkg-deb -f "$PKG" Depends)
for d in libevent libhiredis libsodium libjansson libinih libcurl libssl libcsv redis-server; do
	contains "Depends names $d (from the shared libraries)" "$depends" "$d"
done
unit=$(dpkg-deb --fsys-tarfile "$PKG" | tar -xO ./lib/systemd/system/jiandud.service)
contains "the unit runs the packaged binary" "$unit" "ExecStart=/usr/bin/jiandud -c /etc/jiandu/jiandud.conf"
check "the unit names no /usr/local path" bash -c '! grep -q /usr/local <<<"$1"' _ "$unit"
equals "lintian: no error" "$(grep -c '^E:' "$DEB/lintian.log" || true)" 0

# --- a fresh Debian 12 root
skip() {
	echo "SKIP: the install into a fresh Debian 12 root: $*"
	jd_finish
	exit
}
[ "${JD_SANITIZE:-OFF}" = ON ] && skip "the sanitizer run installs no package (the plain run does)"
command -v debootstrap >/dev/null || skip "no debootstrap (scripts/deps.sh installs it)"
[ "$(id -u)" = 0 ] || skip "debootstrap and chroot need root"

TARBALL=$JD_BUILD_DIR/debootstrap/bookworm-minbase.tgz
ROOT=$JD_TMP/root
MIRROR=${JD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ ! -s "$TARBALL" ]; then
	mkdir -p "$(dirname "$TARBALL")"
	# the packages of a minimal root, fetched once and kept in the build tree
	debootstrap --variant=minbase --make-tarball="$TARBALL.tmp" bookworm "$JD_TMP/dl" "$MIRROR" \
		>"$JD_TMP/debootstrap.log" 2>&1 || skip "debootstrap cannot fetch from $MIRROR: $(tail -1 "$JD_TMP/debootstrap.log")"
	mv "$TARBALL.tmp" "$TARBALL"
fi
debootstrap --variant=minbase --unpack-tarball="$TARBALL" bookworm "$ROOT" "$MIRROR" \
	>"$JD_TMP/debootstrap.log" 2>&1 || skip "debootstrap cannot make a root here: $(tail -1 "$JD_TMP/debootstrap.log")"

in_root() { chroot "$ROOT" "$@"; }
root_cleanup() {
	local pid
	pid=$(cat "$ROOT/etc/jiandu/jiandud.pid" 2>/dev/null || true)
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
	jd_wait_for 100 jd_exited "${pid:-0}" || kill -KILL "$pid" 2>/dev/null || true
	umount "$ROOT/proc" 2>/dev/null || true
	jd_cleanup
}
trap root_cleanup EXIT
mount -t proc proc "$ROOT/proc"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# no service starts inside the root (redis-server's package would start one)
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"
cp "$PKG" "$DEV" "$ROOT/tmp/"

in_root apt-get update -qq >"$JD_TMP/apt.log" 2>&1 || skip "apt-get update in the root failed: $(tail -1 "$JD_TMP/apt.log")"
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -qq --no-install-recommends \
	"/tmp/$(basename "$PKG")" "/tmp/$(basename "$DEV")" >>"$JD_TMP/apt.log" 2>&1
equals "the packages install with their dependencies" "$?" 0
check "the jiandu system user exists" quiet in_root getent passwd jiandu
equals "/var/lib/jiandu is 0700, the user's" "$(in_root stat -c '%a %U' /var/lib/jiandu)" "700 jiandu"
equals "/etc/jiandu is 0700, the user's" "$(in_root stat -c '%a %U' /etc/jiandu)" "700 jiandu"
check "the man page is there" test -s "$ROOT/usr/share/man/man8/jiandud.8.gz"

CP=$(jd_free_port)
AP=$(jd_free_port)
in_root runuser -u jiandu -- jianductl init /etc/jiandu --data-dir /var/lib/jiandu \
	--control-port "$CP" --api-port "$AP" >"$JD_TMP/init.log" 2>&1
equals "jianductl init as the jiandu user, as documented" "$?" 0
contains "init found the packaged plugins" "$(cat "$JD_TMP/init.log")" "from /usr/lib/jiandu/plugins"
in_root runuser -u jiandu -- jiandud -t -c /etc/jiandu/jiandud.conf >/dev/null
equals "jiandud -t accepts the configuration" "$?" 0
in_root runuser -u jiandu -- jiandud -d -c /etc/jiandu/jiandud.conf
equals "jiandud starts (-d)" "$?" 0
status_ok() { in_root jianductl -c /etc/jiandu/jianductl.conf status | grep -q '^redis  *ok (managed)'; }
check "jianductl status answers" jd_wait_for 100 status_ok
owner=$(in_root stat -c %U /var/lib/jiandu/redis.sock 2>/dev/null || true)
equals "the managed Redis runs as jiandu in /var/lib/jiandu" "$owner" "jiandu"
kill -TERM "$(cat "$ROOT/etc/jiandu/jiandud.pid")"
stopped() { ! in_root jianductl -c /etc/jiandu/jianductl.conf status >/dev/null 2>&1; }
check "jiandud stops on SIGTERM" jd_wait_for 100 stopped

DEBIAN_FRONTEND=noninteractive in_root apt-get remove -y -qq jiandu >"$JD_TMP/remove.log" 2>&1
equals "remove: done" "$?" 0
check "remove keeps the keyring" test -s "$ROOT/etc/jiandu/keyring"
check "remove keeps the data" test -d "$ROOT/var/lib/jiandu/appendonlydir"
check "remove takes the binaries" test ! -e "$ROOT/usr/bin/jiandud"
DEBIAN_FRONTEND=noninteractive in_root apt-get purge -y -qq jiandu >"$JD_TMP/purge.log" 2>&1
equals "purge: done" "$?" 0
contains "purge warns before deleting" "$(cat "$JD_TMP/purge.log")" "deleting /var/lib/jiandu"
check "purge deletes the data" test ! -e "$ROOT/var/lib/jiandu"
check "purge deletes the keyring" test ! -e "$ROOT/etc/jiandu"

jd_finish
