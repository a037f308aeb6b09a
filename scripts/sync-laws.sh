#!/usr/bin/env bash
# Copies the national law snapshot (../shared/data/laws-national by default)
# into knowledge/laws, where go:embed takes it into the binary. go:embed
# refuses file names with full-width punctuation, so （）《》〈〉、 become
# ()[][], in the copies' names; the laws' names come from each file's
# `# ` title, and version dates from the ASCII "(YYYY-MM-DD)", so nothing
# that pufa reads changes.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-../shared/data/laws-national}
dst=knowledge/laws
find "$dst" -name '*.md' -delete 2>/dev/null || true
(cd "$src" && find . -name '*.md' ! -name README.md -print0) |
while IFS= read -r -d '' f; do
	out=$(printf '%s' "${f#./}" | sed 's/（/(/g; s/）/)/g; s/《/[/g; s/》/]/g; s/〈/[/g; s/〉/]/g; s/、/,/g')
	mkdir -p "$dst/$(dirname "$out")"
	cp "$src/$f" "$dst/$out"
done
echo "$(find "$dst" -name '*.md' | wc -l) laws in $dst"
