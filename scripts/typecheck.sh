#!/usr/bin/env bash
# mypy over the package as Python imports it. mypy knows no package_dir mapping (setup.py maps
# agents/ to iwr.agents, ...), so build a tree of symlinks laid out like the installed package
# (build/typecheck/iwr/{*.py, commands, agents, tools, graphs, benchmark, prompts, core}) and check
# `-p iwr` from there; settings and per-module strictness are in pyproject.toml [tool.mypy].
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
tree="$root/build/typecheck"
rm -rf "$tree"
mkdir -p "$tree/iwr"
for entry in iwr/*; do
  case "$(basename "$entry")" in __pycache__) continue ;; esac
  ln -s "$root/$entry" "$tree/iwr/"
done
for folder in agents tools graphs benchmark prompts core; do
  ln -s "$root/$folder" "$tree/iwr/$folder"
done
cd "$tree"
exec python3 -m mypy --config-file "$root/pyproject.toml" --cache-dir "$root/build/mypy_cache" -p iwr "$@"
