#!/usr/bin/env bash
# Records every shipping project's current public API in its PublicAPI.Unshipped.txt: the public API analyzers fail
# the build on a public symbol that is not recorded (RS0016) and on a recorded one that is gone (RS0017). Run it after
# changing the public API on purpose, and review the diff: an unintended line is an API you did not mean to ship.
# At a release, move the Unshipped lines into PublicAPI.Shipped.txt.
# Usage: eng/update-public-api.sh [path/to/project.csproj ...]   (default: every project under src/)
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
  full=$(cd "$dir" && pwd)/$(basename "$project")
  # The analyzers name each symbol in the files' own format; only this project's diagnostics count (a project it
  # references reports its own). Warnings stay warnings here, so that every diagnostic is reported.
  output=$(dotnet build "$project" -p:TreatWarningsAsErrors=false -p:MSBuildTreatWarningsAsErrors=false -nologo -clp:NoSummary 2>&1 || true)
  ours=$(grep -F "[$full::" <<<"$output" || true)
  added=$(grep -oP "RS0016: Symbol '\K.*(?=' is not part of the declared public API)" <<<"$ours" | sort -u || true)
  removed=$(grep -oP "RS0017: Symbol '\K.*(?=' is part of the declared API, but is either not public or could not be found)" <<<"$ours" | sort -u || true)
  unshipped="$dir/PublicAPI.Unshipped.txt"
  {
    echo "#nullable enable"
    { grep -v '^#nullable enable$' "$unshipped" || true; if [ -n "$added" ]; then echo "$added"; fi; } \
      | { if [ -n "$removed" ]; then grep -vxF -f <(echo "$removed") || true; else cat; fi; } \
      | LC_ALL=C sort -u
  } > "$unshipped.new"
  mv "$unshipped.new" "$unshipped"
  echo "   $(grep -c . <<<"$added" || true) added, $(grep -c . <<<"$removed" || true) removed"
done
