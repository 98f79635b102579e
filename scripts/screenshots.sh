#!/usr/bin/env bash
# Takes the README's screenshots of the running app under a private Xvfb
# and D-Bus session (app/screenshots_test.go): the tray menu as the panel
# reads it and the status window. Writes docs/screenshots/*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/docs/screenshots"
LLMSTACK_SCREENSHOTS="$out" CI=true go test -count=1 -run '^TestScreenshots$' ./app/
echo "screenshots in $out"
