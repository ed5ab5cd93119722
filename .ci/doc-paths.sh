#!/bin/sh
# Every source path Docs/*.md and README.md cite must exist. Run from the repository root;
# prints each stale citation and exits 1 if there is any.
{
  for f in Docs/*.md README.md; do
    # Paths: Sources/Medusa/MedusaDecoder.swift, Tests/LlamaTests/...
    grep -oE '(Sources|Tests)/[A-Za-z0-9_/.+*-]+\.swift' "$f" | sort -u | while read -r p; do
      ls $p >/dev/null 2>&1 || echo "$f: missing $p"
    done
    # Bare file names (`Forward.swift`, `GGUF*Tests.swift`): some file under Sources/ or Tests/,
    # or at the top level (Package.swift).
    grep -oE '[A-Za-z0-9_+*-]+\.swift' "$f" | sort -u | while read -r n; do
      [ -e "$n" ] || [ -n "$(find Sources Tests -name "$n" -print -quit)" ] || echo "$f: no file named $n"
    done
    # Folders: Sources/MedusaTraining/, Tests/GoldenSupport.
    grep -oE '(Sources|Tests)/[A-Za-z0-9_]+/?' "$f" | sed 's:/$::' | sort -u | while read -r d; do
      [ -e "$d" ] || [ -e "$d.swift" ] || echo "$f: missing $d"
    done
  done
} >/tmp/doc-paths.$$
cat /tmp/doc-paths.$$
if [ -s /tmp/doc-paths.$$ ]; then rm -f /tmp/doc-paths.$$; exit 1; fi
rm -f /tmp/doc-paths.$$
