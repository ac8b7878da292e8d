#!/usr/bin/env bash
# The Debian package as operators get it: built with cpack from this build tree, its contents and control
# fields (dpkg-deb), Debian's own checker (lintian: no error; warnings are printed), the systemd unit
# (systemd-analyze verify, and `security --offline` under an exposure threshold), and the packaged binary
# runs. Nothing is installed on the machine.
# usage: check_package.sh BUILD_DIR
set -euo pipefail
build="$1"
for tool in cpack dpkg-deb lintian systemd-analyze; do
    command -v "$tool" >/dev/null || { echo "$tool not found (scripts/test installs it)" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; exit 1; }
deb="$(ls "$work"/out/prequal_*_amd64.deb)"
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

fail=0
expect() { echo "FAIL: $*" >&2; fail=1; }

contents="$(dpkg-deb -c "$deb" | awk '{print $1, $2, $6}')"
for path in ./usr/bin/prequal ./lib/systemd/system/prequal.service ./etc/prequal/prequal.env \
    ./usr/share/prequal/sql/001_initial.sql ./usr/share/prequal/docs/redoc.standalone.js \
    ./usr/share/doc/prequal/copyright \
    ./usr/share/doc/prequal/changelog.gz; do
    grep -q " $path\$" <<<"$contents" || expect "$path missing from the package"
done
# The environment file holds secrets: never world-readable (postinst makes it root:prequal 0640).
grep -q '^-rw-r----- root/root ./etc/prequal/prequal.env$' <<<"$contents" || expect "prequal.env is not 0640"
[ "$(dpkg-deb -f "$deb" Package)" = prequal ] || expect "Package field"
dpkg-deb -f "$deb" Depends | grep -q 'libpq5' || expect "Depends lacks libpq5 (dpkg-shlibdeps)"
dpkg-deb -f "$deb" Depends | grep -q 'adduser' || expect "Depends lacks adduser (postinst)"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/prequal/prequal.env || expect "conffiles"

echo "--- lintian"
lintian --fail-on error --tag-display-limit 0 "$deb" | tee "$work/lintian.txt" || expect "lintian reports errors"

echo "--- the packaged binary runs"
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/prequal" --version || expect "the packaged binary does not run"

echo "--- systemd unit"
# verify needs the ExecStart binary to exist: point it at the extracted one.
sed "s|/usr/bin/prequal|$work/root/usr/bin/prequal|" "$work/root/lib/systemd/system/prequal.service" \
    >"$work/prequal.service"
grep -q '^Type=notify$' "$work/prequal.service" || expect "the unit is not Type=notify"
systemd-analyze verify "$work/prequal.service" || expect "systemd-analyze verify"
systemd-analyze security --offline=true --threshold=20 "$work/prequal.service" | tail -1 ||
    expect "systemd-analyze security: exposure above 2.0"
exit "$fail"
