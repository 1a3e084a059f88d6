# Shared helpers of the packaging tests (sourced). Each test script counts its checks and ends
# with `report`, which prints "N passed, N failed" and fails the script if any check failed.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv-pkg"
PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "  ok: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "  FAIL: $*" >&2; }
die() { echo "  ERROR: $*" >&2; exit 1; }

# expect_exit CODE DESCRIPTION -- COMMAND...: runs COMMAND (output in $OUT, stdout and stderr
# together) and checks its exit code.
expect_exit() {
    local want="$1" what="$2"
    shift 3
    local got=0
    OUT="$("$@" 2>&1)" || got=$?
    if [[ "$got" == "$want" ]]; then
        pass "$what (exit $got)"
    else
        fail "$what: exit $got, expected $want; output:"
        printf '%s\n' "$OUT" | sed 's/^/      /' >&2
    fi
}

# expect_out PATTERN DESCRIPTION: the last command's output ($OUT) matches the extended regex.
expect_out() {
    if printf '%s\n' "$OUT" | grep -Eq -- "$1"; then
        pass "$2"
    else
        fail "$2: output does not match /$1/; output:"
        printf '%s\n' "$OUT" | sed 's/^/      /' >&2
    fi
}

expect_no_out() {
    if printf '%s\n' "$OUT" | grep -Eq -- "$1"; then
        fail "$2: output matches /$1/; output:"
        printf '%s\n' "$OUT" | sed 's/^/      /' >&2
    else
        pass "$2"
    fi
}

report() {
    echo "$(basename "$0"): $PASSED passed, $FAILED failed"
    [[ "$FAILED" == 0 ]]
}

crate_version() {
    sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -n 1
}
