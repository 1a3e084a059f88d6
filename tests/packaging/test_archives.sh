#!/usr/bin/env bash
# The release archives made by scripts/package-release: layout, man pages, completions and
# checksums (what the GitHub Action and `cargo binstall` rely on).
#
# Usage: tests/packaging/test_archives.sh DIST
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIST="${1:?usage: test_archives.sh DIST}"
version="$(crate_version)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== release archives"
name="ecs-preflight-x86_64-unknown-linux-musl"
expect_exit 0 "the Linux archive unpacks" -- tar -xzf "$DIST/$name.tar.gz" -C "$work"
d="$work/$name"
for f in ecs-preflight README.md CHANGELOG.md man/ecs-preflight.1 man/ecs-preflight-check.1 \
    completions/ecs-preflight.bash completions/_ecs-preflight completions/ecs-preflight.fish \
    completions/_ecs-preflight.ps1; do
    if [[ -s "$d/$f" ]]; then pass "$name/$f"; else fail "$name/$f missing or empty"; fi
done
expect_exit 0 "the archived binary runs" -- "$d/ecs-preflight" --version
expect_out "^ecs-preflight $version " "and reports version $version"

OUT="$(cat "$d/man/ecs-preflight-check.1")"
expect_out '^\.TH ecs-preflight-check 1' "ecs-preflight-check.1 is a man page"
expect_out 'fail\\-on' "it documents --fail-on"
if command -v man >/dev/null 2>&1; then
    expect_exit 0 "man renders ecs-preflight.1" -- env MANWIDTH=80 man -l "$d/man/ecs-preflight.1"
    expect_out "ecs-preflight-check\(1\)|check" "the main page lists the check command"
fi

# The bash completion is valid bash and completes the subcommands and check's options.
expect_exit 0 "bash -n on the bash completion" -- bash -n "$d/completions/ecs-preflight.bash"
expect_exit 0 "the bash completion completes 'ecs-preflight check --fa'" -- bash -c "
    source '$d/completions/ecs-preflight.bash'
    COMP_WORDS=(ecs-preflight check --fa); COMP_CWORD=2; COMP_LINE='ecs-preflight check --fa'
    _ecs__preflight ecs-preflight --fa check
    printf '%s\n' \"\${COMPREPLY[@]}\""
expect_out "^--fail-on$" "--fail-on is offered"
OUT="$(cat "$d/completions/_ecs-preflight")"
expect_out "^#compdef ecs-preflight" "the zsh completion is a #compdef file"

expect_exit 0 "the Windows archive lists" -- python3 -m zipfile -l "$DIST/ecs-preflight-x86_64-pc-windows-msvc.zip"
expect_out "ecs-preflight-x86_64-pc-windows-msvc/ecs-preflight\.exe " "it holds ecs-preflight.exe in its folder"

# Checksums: each archive's .sha256 and SHA256SUMS agree with the files.
expect_exit 0 "sha256sum -c SHA256SUMS" -- sh -c "cd '$DIST' && sha256sum -c SHA256SUMS"
for f in "$name.tar.gz" ecs-preflight-x86_64-pc-windows-msvc.zip; do
    expect_exit 0 "sha256sum -c $f.sha256" -- sh -c "cd '$DIST' && sha256sum -c '$f.sha256'"
done
OUT="$(cat "$DIST/SHA256SUMS")"
expect_out "^[0-9a-f]{64}  ecs_preflight-$version-py3-none-[^ ]+\.whl$" "SHA256SUMS lists the wheel"
expect_no_out '\.sha256$' "SHA256SUMS does not list the .sha256 files"

# cargo binstall's templates (Cargo.toml) name these archives and the binary inside them.
for target in x86_64-unknown-linux-musl x86_64-pc-windows-msvc; do
    expect_exit 0 "binstall metadata finds the $target archive and its binary" -- \
        python3 - "$ROOT/Cargo.toml" "$DIST" "$target" "$version" <<'PY'
import sys, tomllib, tarfile, zipfile, os
manifest, dist, target, version = sys.argv[1:]
meta = tomllib.load(open(manifest, "rb"))["package"]["metadata"]["binstall"]
meta = {**meta, **meta.get("overrides", {}).get(target, {})}
windows = "windows" in target
values = {"repo": "https://github.com/ecs-preflight/ecs-preflight", "version": version,
          "name": "ecs-preflight", "target": target, "bin": "ecs-preflight",
          "binary-ext": ".exe" if windows else ""}
def expand(template):
    for k, v in values.items():
        template = template.replace("{ %s }" % k, v)
    assert "{" not in template, template
    return template
url = expand(meta["pkg-url"])
prefix = "https://github.com/ecs-preflight/ecs-preflight/releases/download/v%s/" % version
assert url.startswith(prefix), url
archive = os.path.join(dist, url[len(prefix):])
assert os.path.isfile(archive), "no %s in the release" % url[len(prefix):]
bin_path = expand(meta["bin-dir"])
if meta["pkg-fmt"] == "zip":
    names = zipfile.ZipFile(archive).namelist()
else:
    assert meta["pkg-fmt"] == "tgz", meta["pkg-fmt"]
    names = tarfile.open(archive, "r:gz").getnames()
assert bin_path in names, "%s not in %s" % (bin_path, names)
print(url, "->", bin_path)
PY
done

report
