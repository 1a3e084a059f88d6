#!/usr/bin/env bash
# The shell steps of action.yml, run as GitHub would run them (bash -e -o pipefail, inputs as
# environment variables, GITHUB_OUTPUT a file), with the binary from DIST on PATH: resolving
# the version from the action's tag, and the check step's report files and exit code.
#
# Usage: tests/packaging/test_action_steps.sh DIST
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIST="${1:?usage: test_action_steps.sh DIST}"
version="$(crate_version)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== action.yml steps"
# The binary, from the Linux archive made by scripts/package-release.
tar -xzf "$DIST/ecs-preflight-x86_64-unknown-linux-musl.tar.gz" -C "$work"
bindir="$work/ecs-preflight-x86_64-unknown-linux-musl"

# Each step's `run` script, by id, into $work/<id>.sh.
"$VENV/bin/python" - "$ROOT/action.yml" "$work" <<'PY'
import sys, yaml
action = yaml.safe_load(open(sys.argv[1]))
for step in action["runs"]["steps"]:
    if "run" in step and "id" in step:
        assert step["shell"] == "bash", step
        open("%s/%s.sh" % (sys.argv[2], step["id"]), "w").write(step["run"])
PY
[[ -f "$work/resolve.sh" && -f "$work/check.sh" ]] || die "action.yml has no resolve or check step"

step() { # id, then VAR=value... ; output lands in $work/output
    local id="$1"
    shift
    : >"$work/output"
    env PATH="$bindir:/usr/bin:/bin" GITHUB_OUTPUT="$work/output" RUNNER_TEMP="$work" \
        RUNNER_TOOL_CACHE="$work/toolcache" RUNNER_OS=Linux RUNNER_ARCH=X64 NO_COLOR=1 "$@" \
        bash --noprofile --norc -e -o pipefail "$work/$id.sh"
}
output() { sed -n "s/^$1=//p" "$work/output"; }

expect_exit 0 "resolve: the version comes from the action's tag" -- step resolve INPUT_VERSION= ACTION_REF="v$version"
[[ "$(output version)" == "$version" ]] && pass "version=$version" || fail "version=$(output version)"
[[ "$(output dir)" == "$work/toolcache/ecs-preflight/$version/Linux-X64" ]] && pass "dir in the tool cache, per version and platform" || fail "dir=$(output dir)"
expect_exit 0 "resolve: the version input wins" -- step resolve INPUT_VERSION=9.8.7 ACTION_REF=v1.0.0
[[ "$(output version)" == "9.8.7" ]] && pass "version=9.8.7" || fail "version=$(output version)"
expect_exit 1 "resolve: a branch ref without a version input fails" -- step resolve INPUT_VERSION= ACTION_REF=main
expect_out "::error title=ecs-preflight::cannot tell which release to run from 'main'" "and says why"

check_inputs=(INPUT_ARGS= INPUT_FORMAT=github INPUT_UPLOAD_SARIF=true INPUT_FAIL_ON=error INPUT_BASELINE=)
cd "$ROOT"
expect_exit 0 "check: findings do not fail the step itself" -- \
    step check "${check_inputs[@]}" INPUT_PATHS="examples/shop/taskdefs/worker.json"
expect_out "^::error file=examples/shop/taskdefs/worker\.json,line=[0-9]+" "findings become annotations"
[[ "$(output exit-code)" == 1 ]] && pass "exit-code=1 (errors, fail-on error)" || fail "exit-code=$(output exit-code)"
sarif="$(output sarif-file)"
if [[ -n "$sarif" ]] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["version"]=="2.1.0" and d["runs"][0]["results"] else 1)' "$sarif"; then
    pass "a SARIF 2.1.0 report with results for the upload step"
else
    fail "no usable SARIF report (sarif-file='$sarif')"
fi

expect_exit 0 "check: fail-on never" -- \
    step check INPUT_ARGS= INPUT_FORMAT=github INPUT_UPLOAD_SARIF=false INPUT_FAIL_ON=never INPUT_BASELINE= \
    INPUT_PATHS="examples/shop/taskdefs/worker.json"
[[ "$(output exit-code)" == 0 ]] && pass "exit-code=0" || fail "exit-code=$(output exit-code)"
[[ -z "$(output sarif-file)" ]] && pass "no SARIF report when upload-sarif is false" || fail "sarif-file=$(output sarif-file)"

# Paths on separate lines, args split on spaces, another format.
expect_exit 0 "check: several paths and args" -- \
    step check INPUT_ARGS="--select TD002 --region us-east-1" INPUT_FORMAT=json INPUT_UPLOAD_SARIF=false \
    INPUT_FAIL_ON=error INPUT_BASELINE= INPUT_PATHS=$'examples/shop/taskdefs/worker.json\nexamples/shop/taskdefs/web.json'
expect_out '"code": ?"TD002"' "the selected rule is reported"
expect_no_out '"code": ?"IMG' "other rules are not (--select was passed)"
expect_out '"files": ?2' "both paths were checked"

report
