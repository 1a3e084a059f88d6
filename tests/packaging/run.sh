#!/usr/bin/env bash
# The packaging tests, as CI runs them (called by scripts/test):
#   1. builds the wheel once with maturin (python/pyproject.toml, offline build, dev profile:
#      the packaging is under test here, not the optimiser; the release workflow builds --release);
#   2. packs the binary from that wheel into release archives with scripts/package-release (as
#      the Linux x86_64 and the Windows target, so both archive kinds are exercised) and writes
#      SHA256SUMS;
#   3. runs each test_*.sh on them, and lint.sh.
# Tools come from .venv-pkg (scripts/install-packaging-tools).
#
# Usage: tests/packaging/run.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ecs-preflight/target}"
scripts/install-packaging-tools

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dist="$work/dist"

echo "== packaging: maturin build (wheel with the binary, --no-default-features)"
(cd python && "$VENV/bin/maturin" build --no-default-features --locked --out "$dist")

echo "== packaging: release archives from the wheel's binary"
wheel="$(ls "$dist"/ecs_preflight-*.whl)"
python3 - "$wheel" "$work/bin" <<'PY'
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    [name] = [n for n in z.namelist() if n.endswith(".data/scripts/ecs-preflight")]
    os.makedirs(out, exist_ok=True)
    with z.open(name) as src, open(os.path.join(out, "ecs-preflight"), "wb") as dst:
        dst.write(src.read())
os.chmod(os.path.join(out, "ecs-preflight"), 0o755)
PY
for target in x86_64-unknown-linux-musl x86_64-pc-windows-msvc; do
    scripts/package-release --binary "$work/bin/ecs-preflight" --target "$target" --out "$dist"
done
scripts/package-release --sums "$dist"

status=0
for t in test_archives.sh test_wheel.sh test_action_install.sh test_action_steps.sh test_pre_commit.sh lint.sh; do
    "tests/packaging/$t" "$dist" || status=1
done
exit "$status"
