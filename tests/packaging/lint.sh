#!/usr/bin/env bash
# Lints what ships the tool: the GitHub workflows and action.yml against the GitHub schemas
# vendored in check-jsonschema (and the workflows with actionlint), the pre-commit hook manifest with pre-commit itself, the
# Dockerfile with hadolint, the shell scripts with `bash -n`, and the version pins that must
# equal the crate's version.
#
# Usage: tests/packaging/lint.sh [DIST]   (DIST is not used; run.sh passes it to every test)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== lint: workflows, action, hooks, Dockerfile, scripts, versions"

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml examples/ci/github-workflow.yml)
shopt -u nullglob
[[ "${#workflows[@]}" -gt 0 ]] || die "no workflows found"
expect_exit 0 "workflows validate (vendor.github-workflows): ${workflows[*]}" -- \
    "$VENV/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
expect_exit 0 "action.yml validates (vendor.github-actions)" -- \
    "$VENV/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml

# actionlint: what a schema cannot see (unknown runner labels, expression types, outdated
# action versions). Without shellcheck, which is not installed here.
expect_exit 0 "actionlint: ${workflows[*]}" -- "$VENV/bin/actionlint" -shellcheck= "${workflows[@]}"

# The schemas do reject a broken file: an action step without `shell`, a workflow job without
# `runs-on` or `uses`.
sed 's/^      shell: bash$/      shel: bash/' action.yml >"$work/action.yml"
expect_exit 1 "an action with a misspelled key fails the schema (control)" -- \
    "$VENV/bin/check-jsonschema" --builtin-schema vendor.github-actions "$work/action.yml"
printf 'on: push\njobs:\n  a:\n    steps:\n      - run: "true"\n' >"$work/workflow.yml"
expect_exit 1 "a workflow job without runs-on fails the schema (control)" -- \
    "$VENV/bin/check-jsonschema" --builtin-schema vendor.github-workflows "$work/workflow.yml"

expect_exit 0 "pre-commit validate-manifest .pre-commit-hooks.yaml" -- \
    "$VENV/bin/pre-commit" validate-manifest .pre-commit-hooks.yaml
expect_exit 0 "the README's pre-commit config validates" -- \
    "$VENV/bin/pre-commit" validate-config examples/ci/pre-commit-config.yaml
expect_exit 0 "the README's .gitlab-ci.yml validates (vendor.gitlab-ci)" -- \
    "$VENV/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci examples/ci/gitlab-ci.yml

# The README shows the validated examples, byte for byte.
for example in examples/ci/github-workflow.yml examples/ci/gitlab-ci.yml examples/ci/pre-commit-config.yaml; do
    if python3 -c 'import sys; sys.exit(0 if open(sys.argv[1]).read() in open(sys.argv[2]).read() else 1)' \
        "$example" README.md; then
        pass "README.md shows $example"
    else
        fail "README.md does not show $example as it is (copy it into the README)"
    fi
done

expect_exit 0 "hadolint Dockerfile" -- "$VENV/bin/hadolint" Dockerfile

for script in scripts/package-release scripts/action-install.sh scripts/install-packaging-tools \
    tests/packaging/*.sh; do
    expect_exit 0 "bash -n $script" -- bash -n "$script"
done

# The crate package (`cargo publish`): every rule page that `explain` embeds, no tests.
expect_exit 0 "cargo package --list" -- cargo package --list --no-default-features --allow-dirty --locked
pages_listed="$(printf '%s\n' "$OUT" | grep -c '^rules/.*\.md$' || true)"
pages_here="$(find rules -name '*.md' | wc -l | tr -d ' ')"
if [[ "$pages_listed" == "$pages_here" && "$pages_here" -gt 0 ]]; then
    pass "the package holds all $pages_here rule pages"
else
    fail "the package holds $pages_listed of the $pages_here rule pages"
fi
expect_out "^examples/aws/read-only-policy\.json$" "the package holds the policy the aws feature embeds"
expect_no_out "^tests/" "the package holds no tests"

# One version everywhere: Cargo.toml, and the pre-commit hook's pins of the wheel.
version="$(crate_version)"
OUT="$(cat pyproject.toml)"
expect_out "^version = \"$version\"$" "pyproject.toml (pre-commit hook) has the crate's version"
expect_out "\"ecs-preflight==$version\"" "it pins the ecs-preflight wheel of the crate's version"
OUT="$(cat CHANGELOG.md)"
expect_out "^## \[$version\]" "CHANGELOG.md has a section for $version"

report
