#!/usr/bin/env bash
# The pre-commit hook `ecs-preflight` (.pre-commit-hooks.yaml): `pre-commit try-repo` on a
# scratch git repository, installing the hook the way pre-commit does (`pip install .` of the
# hook repository, whose pyproject.toml pulls the ecs-preflight wheel). The wheel comes from DIST
# and setuptools from .venv-pkg/wheelhouse, with no package index: no Rust, no network.
# A task definition with `:latest` must fail the hook; a clean one must pass.
#
# Usage: tests/packaging/test_pre_commit.sh DIST
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIST="${1:?usage: test_pre_commit.sh DIST}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[[ -x "$VENV/bin/pre-commit" ]] || die "$VENV/bin/pre-commit missing (scripts/install-packaging-tools)"

echo "== pre-commit try-repo"
git_q() { git -c user.name=test -c user.email=test@example.com -c init.defaultBranch=main -c commit.gpgsign=false "$@"; }

# The hook repository: what pre-commit clones from ours (the hook definitions and the
# pyproject.toml that `pip install .` reads).
hooks="$work/hooks"
mkdir -p "$hooks"
cp "$ROOT/.pre-commit-hooks.yaml" "$ROOT/pyproject.toml" "$hooks/"
# `--skip-unrecognized` (non-ECS files named by pre-commit are skipped) and `--allow-empty` (a
# commit without ECS inputs passes) come with another change; until the binary knows them, the
# hook is tried without them, on ECS files only.
help_text="$("$ROOT/.venv-pkg/bin/python" - "$DIST" <<'PY'
import sys, zipfile, glob, subprocess, tempfile, os
wheel = glob.glob(os.path.join(sys.argv[1], "ecs_preflight-*.whl"))[0]
with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as d:
    [name] = [n for n in z.namelist() if n.endswith(".data/scripts/ecs-preflight")]
    path = z.extract(name, d)
    os.chmod(path, 0o755)
    print(subprocess.run([path, "check", "--help"], capture_output=True, text=True).stdout)
PY
)"
flags_known=true
for flag in --skip-unrecognized --allow-empty; do
    if ! grep -q -- "$flag" <<<"$help_text"; then
        flags_known=false
        echo "  note: this ecs-preflight has no $flag yet; trying the hook without it"
        sed -i "s/ $flag//" "$hooks/.pre-commit-hooks.yaml"
    fi
done
grep -q -- "entry: ecs-preflight check" "$hooks/.pre-commit-hooks.yaml" || die "no hook entry left"
(cd "$hooks" && git_q init -q && git_q add -A && git_q commit -qm hooks)

export PRE_COMMIT_HOME="$work/pre-commit-home"
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$DIST $VENV/wheelhouse" PIP_DISABLE_PIP_VERSION_CHECK=1
# pre-commit and the hook run with this PATH: no cargo anywhere on it.
export PATH="$VENV/bin:/usr/local/bin:/usr/bin:/bin"
export NO_COLOR=1

# A scratch repository that uses the hook.
make_repo() { # dir
    mkdir -p "$1"
    (cd "$1" && git_q init -q)
}
taskdef() { # image
    cat <<JSON
{
  "family": "web",
  "requiresCompatibilities": ["FARGATE"],
  "networkMode": "awsvpc",
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    { "name": "web", "image": "$1", "essential": true }
  ]
}
JSON
}

bad="$work/bad"
make_repo "$bad"
taskdef "nginx:latest" >"$bad/taskdef.json"
if $flags_known; then echo '{"name": "app", "version": "1.0.0"}' >"$bad/package.json"; fi
(cd "$bad" && git_q add -A)
expect_exit 1 "try-repo on a task definition with :latest fails" -- \
    sh -c "cd '$bad' && pre-commit try-repo '$hooks' ecs-preflight --all-files"
expect_out "IMG002" "the hook reports IMG002 latest-tag"
expect_out "taskdef\.json" "on taskdef.json"

good="$work/good"
make_repo "$good"
taskdef "public.ecr.aws/nginx/nginx:1.27.3@sha256:0a8b3f8c2e1d4b5a6978f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f" >"$good/taskdef.json"
if $flags_known; then
    echo '{"name": "app", "version": "1.0.0"}' >"$good/package.json"
    printf 'name: ci\non: push\njobs: {}\n' >"$good/ci.yml"
fi
(cd "$good" && git_q add -A)
expect_exit 0 "try-repo on a clean task definition passes" -- \
    sh -c "cd '$good' && pre-commit try-repo '$hooks' ecs-preflight --all-files"
expect_out "ecs-preflight\.+Passed" "pre-commit shows the hook passed"

if $flags_known; then
    # Only non-ECS JSON and YAML changed: the hook runs on them and passes.
    other="$work/other"
    make_repo "$other"
    echo '{"name": "app", "version": "1.0.0"}' >"$other/package.json"
    printf 'name: ci\non: push\njobs: {}\n' >"$other/ci.yml"
    (cd "$other" && git_q add -A)
    expect_exit 0 "try-repo on non-ECS JSON and YAML only passes" -- \
        sh -c "cd '$other' && pre-commit try-repo '$hooks' ecs-preflight --all-files"
    expect_out "ecs-preflight\.+Passed" "the hook ran and passed"
fi

report
