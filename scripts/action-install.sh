#!/usr/bin/env bash
# Installs a released ecs-preflight binary for the GitHub Action (action.yml): picks the release
# archive for the runner's OS and architecture, downloads it with the release's SHA256SUMS,
# refuses it unless its SHA-256 matches, and unpacks the binary into DIR (which the action
# caches). A DIR that already holds that version's binary (a cache hit) is used as it is.
#
# Usage: scripts/action-install.sh --version VERSION --dir DIR
# Environment:
#   RUNNER_OS, RUNNER_ARCH      set by GitHub Actions (Linux|macOS|Windows, X64|ARM64)
#   ECS_PREFLIGHT_RELEASES_URL  where releases are downloaded from; VERSION's files are read
#                               from $ECS_PREFLIGHT_RELEASES_URL/v$VERSION/ (default: the
#                               project's GitHub releases)
#   GITHUB_PATH                 when set, DIR is appended to it (the binary is on PATH in the
#                               job's next steps)
# Exit codes: 0 installed; 1 could not install (the message says why); 2 usage error.
set -euo pipefail

DEFAULT_RELEASES_URL="https://github.com/ecs-preflight/ecs-preflight/releases/download"

say() { echo "ecs-preflight install: $*"; }
die() { echo "ecs-preflight install: ERROR: $*" >&2; exit 1; }
usage() { echo "usage: scripts/action-install.sh --version VERSION --dir DIR" >&2; exit 2; }

VERSION="" DIR=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --version) VERSION="${2:-}"; shift 2 || usage ;;
        --dir) DIR="${2:-}"; shift 2 || usage ;;
        *) usage ;;
    esac
done
[[ -n "$VERSION" && -n "$DIR" ]] || usage

VERSION="${VERSION#v}"
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
    die "'$VERSION' is not a release version (like 0.2.0 or v0.2.0); pin the action to a release tag or set its 'version' input"

# The release targets, by GitHub's runner names. Linux binaries are static (musl): they run on
# any distribution, in containers too.
os="${RUNNER_OS:-}" arch="${RUNNER_ARCH:-}"
case "$os/$arch" in
    Linux/X64) target="x86_64-unknown-linux-musl" ;;
    Linux/ARM64) target="aarch64-unknown-linux-musl" ;;
    macOS/X64) target="x86_64-apple-darwin" ;;
    macOS/ARM64) target="aarch64-apple-darwin" ;;
    Windows/X64) target="x86_64-pc-windows-msvc" ;;
    *)
        die "no prebuilt ecs-preflight for runner OS '${os:-unset}' and architecture '${arch:-unset}' (prebuilt: Linux X64/ARM64, macOS X64/ARM64, Windows X64); install it from source instead: cargo install ecs-preflight --locked"
        ;;
esac
exe="" ext="tar.gz"
[[ "$os" == Windows ]] && exe=".exe" ext="zip"
name="ecs-preflight-$target"
asset="$name.$ext"
binary="$DIR/ecs-preflight$exe"

# `ecs-preflight --version` prints "ecs-preflight X.Y.Z (features: …)".
is_version() { # binary
    local got
    got="$("$1" --version 2>/dev/null)" || return 1
    [[ "$got" == "ecs-preflight $VERSION" || "$got" == "ecs-preflight $VERSION "* ]]
}

add_to_path() {
    if [[ -n "${GITHUB_PATH:-}" ]]; then
        echo "$DIR" >>"$GITHUB_PATH"
    fi
}

if [[ -x "$binary" ]] && is_version "$binary"; then
    say "ecs-preflight $VERSION for $target already in $DIR (cached)"
    add_to_path
    exit 0
fi

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        die "neither sha256sum nor shasum is installed"
    fi
}

download() { # url file
    curl --fail --silent --show-error --location --retry 3 --retry-delay 2 --output "$2" "$1" ||
        die "could not download $1 (is $VERSION released, with an archive for $target?)"
}

base="${ECS_PREFLIGHT_RELEASES_URL:-$DEFAULT_RELEASES_URL}"
base="${base%/}/v$VERSION"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

say "downloading $base/$asset"
download "$base/SHA256SUMS" "$work/SHA256SUMS"
download "$base/$asset" "$work/$asset"

# The line for exactly this file ("<hash>  <name>", or "<hash> *<name>" from binary mode).
expected="$(awk -v f="$asset" '$2 == f || $2 == "*" f { print tolower($1); exit }' "$work/SHA256SUMS" | tr -d '\r')"
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "SHA256SUMS of $VERSION has no checksum for $asset"
actual="$(sha256_of "$work/$asset")"
[[ "$actual" == "$expected" ]] ||
    die "checksum mismatch for $asset: SHA256SUMS says $expected, the download has $actual; not installed"
say "SHA-256 verified ($actual)"

mkdir -p "$work/unpacked"
if [[ "$ext" == zip ]]; then
    if command -v unzip >/dev/null 2>&1; then
        unzip -q "$work/$asset" -d "$work/unpacked"
    else
        py="$(command -v python3 || command -v python)" || die "unzip or python is needed to unpack $asset"
        "$py" -m zipfile -e "$work/$asset" "$work/unpacked"
    fi
else
    tar -xzf "$work/$asset" -C "$work/unpacked"
fi
unpacked="$work/unpacked/$name/ecs-preflight$exe"
[[ -f "$unpacked" ]] || die "$asset does not hold $name/ecs-preflight$exe"
chmod +x "$unpacked"
is_version "$unpacked" || die "the binary in $asset does not report version $VERSION"

mkdir -p "$DIR"
mv -f "$unpacked" "$binary"
say "installed ecs-preflight $VERSION ($target) in $DIR"
add_to_path
