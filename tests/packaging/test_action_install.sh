#!/usr/bin/env bash
# The GitHub Action's install script (scripts/action-install.sh) against a release served from
# 127.0.0.1 by `python3 -m http.server`: the archives in DIST (made by scripts/package-release
# from this machine's binary, named as the Linux x86_64 and Windows targets) with their
# SHA256SUMS, a copy whose archive was altered after the sums were written, and a copy whose
# SHA256SUMS lacks the archive.
#
# Usage: tests/packaging/test_action_install.sh DIST
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIST="${1:?usage: test_action_install.sh DIST}"
version="$(crate_version)"
install="$ROOT/scripts/action-install.sh"
linux_archive="ecs-preflight-x86_64-unknown-linux-musl.tar.gz"
windows_archive="ecs-preflight-x86_64-pc-windows-msvc.zip"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== action install script against a loopback release"
for f in "$linux_archive" "$windows_archive" SHA256SUMS; do
    [[ -f "$DIST/$f" ]] || die "$DIST/$f missing (run tests/packaging/run.sh)"
done

# Release layouts: <root>/<name>/v<version>/<files>.
www="$work/www"
mkdir -p "$www/good/v$version" "$www/tampered/v$version" "$www/nosum/v$version"
cp "$DIST/$linux_archive" "$DIST/$windows_archive" "$DIST/SHA256SUMS" "$www/good/v$version/"
cp "$DIST/$linux_archive" "$DIST/SHA256SUMS" "$www/tampered/v$version/"
printf 'tampered' >>"$www/tampered/v$version/$linux_archive"
cp "$DIST/$linux_archive" "$www/nosum/v$version/"
grep -v " $linux_archive\$" "$DIST/SHA256SUMS" >"$www/nosum/v$version/SHA256SUMS"

# Port 0: the server picks a free port and prints it.
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$www" >"$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
    port="$(sed -n 's/.* port \([0-9][0-9]*\) .*/\1/p' "$work/server.log" | head -n 1)"
    [[ -n "$port" ]] && break
    sleep 0.1
done
[[ -n "$port" ]] || die "http.server did not start: $(cat "$work/server.log")"
base="http://127.0.0.1:$port"

# The environment GitHub gives a step, pointed at the loopback release.
runner() { # OS ARCH RELEASE_NAME -- command...
    local os="$1" arch="$2" rel="$3"
    shift 4
    env RUNNER_OS="$os" RUNNER_ARCH="$arch" GITHUB_PATH="$work/github_path" \
        ECS_PREFLIGHT_RELEASES_URL="$base/$rel" "$@"
}

: >"$work/github_path"
dir="$work/tool/linux"
expect_exit 0 "Linux X64: downloads, verifies and installs" -- \
    runner Linux X64 good -- "$install" --version "v$version" --dir "$dir"
expect_out "SHA-256 verified" "the checksum was verified"
expect_exit 0 "the installed binary runs" -- "$dir/ecs-preflight" --version
expect_out "^ecs-preflight $version " "it is version $version"
if grep -qxF "$dir" "$work/github_path"; then pass "the folder is added to GITHUB_PATH"; else fail "GITHUB_PATH does not list $dir"; fi

# A cache hit (the folder restored by actions/cache) needs no download: the "release" below
# does not exist, so any download would fail.
expect_exit 0 "cached install: nothing downloaded" -- \
    runner Linux X64 missing -- "$install" --version "$version" --dir "$dir"
expect_out "already in .*\(cached\)" "the cached binary is used"

expect_exit 0 "Windows X64: the .zip archive" -- \
    runner Windows X64 good -- "$install" --version "$version" --dir "$work/tool/windows"
[[ -x "$work/tool/windows/ecs-preflight.exe" ]] && pass "ecs-preflight.exe installed" || fail "no ecs-preflight.exe"

expect_exit 1 "checksum mismatch fails" -- \
    runner Linux X64 tampered -- "$install" --version "$version" --dir "$work/tool/tampered"
expect_out "checksum mismatch for $linux_archive" "the mismatch is named"
[[ ! -e "$work/tool/tampered/ecs-preflight" ]] && pass "nothing installed after a mismatch" || fail "a binary was installed despite the mismatch"

expect_exit 1 "an archive missing from SHA256SUMS fails" -- \
    runner Linux X64 nosum -- "$install" --version "$version" --dir "$work/tool/nosum"
expect_out "SHA256SUMS of $version has no checksum for $linux_archive" "the missing checksum is named"

expect_exit 1 "unknown platform fails" -- \
    runner FreeBSD X64 good -- "$install" --version "$version" --dir "$work/tool/bsd"
expect_out "no prebuilt ecs-preflight for runner OS 'FreeBSD' and architecture 'X64'" "the platform is named"
expect_exit 1 "unknown architecture fails" -- \
    runner Linux ARM good -- "$install" --version "$version" --dir "$work/tool/arm"
expect_out "architecture 'ARM'" "the architecture is named"

expect_exit 1 "a version that was not released fails" -- \
    runner Linux X64 good -- "$install" --version 99.0.0 --dir "$work/tool/none"
expect_out "could not download .*/v99\.0\.0/" "the missing download is named"

expect_exit 1 "a version that is not a version fails" -- \
    runner Linux X64 good -- "$install" --version main --dir "$work/tool/main"
expect_out "'main' is not a release version" "the bad version is named"

expect_exit 2 "missing arguments are a usage error" -- runner Linux X64 good -- "$install" --version "$version"

report
