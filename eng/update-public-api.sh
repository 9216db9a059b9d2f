#!/usr/bin/env bash
# Records every shipping project's current public API in its PublicAPI.Unshipped.txt (the public API analyzers fail
# the build on a public change that is not recorded). Run it after changing the public API on purpose, and review the
# diff: an unintended line is an API you did not mean to ship.
# At a release, move the Unshipped lines into PublicAPI.Shipped.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then
  mapfile -t projects < <(ls src/*/*.csproj)
fi
for project in "${projects[@]}"; do
  dir=$(dirname "$project")
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$file" ] || printf '#nullable enable\n' > "$dir/$file"
  done
  echo "== $project"
  # RS0016: a public symbol is not recorded; RS0017: a recorded symbol no longer exists; RS0037: #nullable enable.
  dotnet format analyzers "$project" --diagnostics RS0016 RS0017 RS0037 --severity warn -v q || true
done
