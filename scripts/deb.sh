#!/usr/bin/env bash
# make deb: the Debian packages jiandu and jiandu-dev, built with debhelper
# from a copy of the tree in BUILD/deb (dpkg-buildpackage writes into the
# parent of the source), then checked with lintian (no error allowed).
#   scripts/deb.sh BUILD
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath -m "${1:-build}")
out=$build/deb
version=$(dpkg-parsechangelog -S Version)
src=$out/jiandu-$version

rm -rf "$out"
mkdir -p "$src"
# what git knows (tracked and new files, not what .gitignore leaves out)
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		xargs -0 cp --parents -t "$src"
else
	tar --exclude=./build --exclude='./build-*' --exclude=./var -cf - . | tar -xf - -C "$src"
fi
echo "jiandu: building the packages in $src" >&2
(cd "$src" && DEB_BUILD_OPTIONS="parallel=${JOBS:-2}" dpkg-buildpackage -us -uc -b \
	>"$out/build.log" 2>&1) || {
	tail -40 "$out/build.log" >&2
	echo "jiandu: dpkg-buildpackage failed; the whole log: $out/build.log" >&2
	exit 1
}
lintian --fail-on error --no-tag-display-limit "$out"/jiandu_*.changes | tee "$out/lintian.log" >&2
ls -1 "$out"/*.deb
