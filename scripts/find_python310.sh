#!/usr/bin/env bash
# Prints the path of a working Python 3.10 (Rasa 3.6 runs on 3.10 only), or explains how to get one.
# Order: python3.10 on PATH (if it really runs: a pyenv shim may not), then pyenv's installed versions.
set -u
try() { "$1" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { command -v "$1" 2>/dev/null || echo "$1"; exit 0; }; }
if command -v python3.10 >/dev/null 2>&1; then try python3.10; fi
roots=()
command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root 2>/dev/null)")
roots+=("${PYENV_ROOT:-}" "$HOME/.pyenv")
for root in "${roots[@]}"; do
  [ -n "$root" ] || continue
  for candidate in $(ls -d "$root"/versions/3.10*/bin/python3.10 2>/dev/null | sort -rV); do try "$candidate"; done
done
for candidate in /usr/bin/python3.10 /usr/local/bin/python3.10; do [ -x "$candidate" ] && try "$candidate"; done
cat >&2 <<'MSG'
Python 3.10 was not found. Rasa 3.6 (the bot runtime) needs exactly Python 3.10.
Install it, then run the command again, for example:
  pyenv install 3.10.13          (with pyenv), or
  apt-get install python3.10 python3.10-venv   (where your distribution ships it)
MSG
exit 1
