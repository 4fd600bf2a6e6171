#!/usr/bin/env bash
# Stands in for ml-export in the service tests: runs the real CLI ($REAL_CLI), but
#  - sleeps $WRAP_DELAY seconds first (an export that is still running when the test acts), and
#  - crashes with SIGSEGV when the checkpoint path contains "crash" (a model that kills LibTorch),
#  - sleeps $WRAP_SLOW_DELAY (60) seconds when it contains "slow" (an export to cancel).
for arg in "$@"; do
  if [ "$arg" = "--list_formats" ]; then exec "$REAL_CLI" "$@"; fi
done
echo "$(date '+%Y-%m-%d %H:%M:%S') | INFO     | Loading checkpoint (test wrapper)" >&2
case "$*" in *crash*) kill -SEGV $$ ;; esac
case "$*" in *slow*) sleep "${WRAP_SLOW_DELAY:-60}" ;; esac
if [ -n "${WRAP_DELAY:-}" ]; then sleep "$WRAP_DELAY"; fi
exec "$REAL_CLI" "$@"
