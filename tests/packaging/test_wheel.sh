#!/usr/bin/env bash
# The PyPI wheel works without Rust: installs the wheel from DIST (built by tests/packaging/run.sh
# with maturin from python/pyproject.toml) into a fresh virtualenv, then runs ecs-preflight from
# it with a PATH that holds no Rust toolchain.
#
# Usage: tests/packaging/test_wheel.sh DIST
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIST="${1:?usage: test_wheel.sh DIST}"
version="$(crate_version)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== wheel: pip install into a fresh virtualenv, run without Rust"
shopt -s nullglob
wheels=("$DIST"/ecs_preflight-"$version"-py3-none-*.whl)
shopt -u nullglob
[[ "${#wheels[@]}" == 1 ]] || die "expected one ecs_preflight-$version-py3-none-*.whl in $DIST, found ${#wheels[@]}"
wheel="${wheels[0]}"
pass "one wheel for version $version: $(basename "$wheel")"

# A bin wheel holds the binary as a script and its metadata, nothing else.
expect_exit 0 "wheel contents listed" -- python3 -m zipfile -l "$wheel"
expect_out "ecs_preflight-$version\.data/scripts/ecs-preflight( |$)" "the binary is installed as a script"
expect_no_out '\.py ' "no Python modules in the wheel"

python3 -m venv "$work/venv"
expect_exit 0 "pip install the wheel (no index)" -- \
    "$work/venv/bin/pip" install --disable-pip-version-check --no-index --quiet "$wheel"

# Only the virtualenv and the system's own folders: no ~/.cargo/bin.
run_env=(env -i "HOME=$work" "PATH=$work/venv/bin:/usr/bin:/bin" "NO_COLOR=1")
if "${run_env[@]}" sh -c 'command -v cargo || command -v rustc' >/dev/null; then
    fail "a Rust toolchain is on the restricted PATH; the test cannot show the wheel needs none"
else
    pass "no cargo or rustc on the PATH used below"
fi
expect_exit 0 "ecs-preflight is on the virtualenv's PATH" -- "${run_env[@]}" sh -c 'command -v ecs-preflight'
expect_out "^$work/venv/bin/ecs-preflight$" "it is the virtualenv's copy"

expect_exit 0 "ecs-preflight --version" -- "${run_env[@]}" ecs-preflight --version
expect_out "^ecs-preflight $version \(features: " "--version names the version and the features"

# The example scenario has errors: exit 1, findings of several families.
expect_exit 1 "ecs-preflight check examples/shop" -- \
    "${run_env[@]}" sh -c "cd '$ROOT' && ecs-preflight check examples/shop"
expect_out "TD002 fargate-cpu-memory" "the TD002 finding of the example is reported"
expect_out "IMG002 latest-tag" "the IMG002 finding of the example is reported"
expect_out "examples/shop/taskdefs/worker\.json:[0-9]+:[0-9]+" "findings point at file, line and column"

# The rule pages are embedded in the binary (explain works away from the repository).
expect_exit 0 "ecs-preflight explain IMG002 outside the repository" -- \
    "${run_env[@]}" sh -c "cd '$work' && ecs-preflight explain IMG002"
expect_out "latest" "the rule page is printed"

expect_exit 0 "pip show ecs-preflight" -- "$work/venv/bin/pip" show --disable-pip-version-check ecs-preflight
expect_out "^Version: $version$" "the installed distribution has the crate's version"

report
