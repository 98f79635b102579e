#!/usr/bin/env bash
# Builds the platform bundle into dist/ with the pinned Fyne packaging tool:
# a .tar.xz (with .desktop file and icon) on Linux/BSD, an .app on macOS, an
# .exe without a console window on Windows. Metadata and the icon come from
# FyneApp.toml and assets/.
set -euo pipefail
cd "$(dirname "$0")/.."
fyne=(go run fyne.io/tools/cmd/fyne@v1.7.4)
os=${GOOS:-$(go env GOOS)}
mkdir -p dist
echo "llmstack: packaging for $os (this compiles a release build; it takes a few minutes)" >&2
"${fyne[@]}" package --os "$os" --name llmstack --release
case "$os" in
darwin)
	# A tray app stays out of the Dock and the app switcher.
	plist=llmstack.app/Contents/Info.plist
	/usr/libexec/PlistBuddy -c "Add :LSUIElement bool true" "$plist" 2>/dev/null ||
		/usr/libexec/PlistBuddy -c "Set :LSUIElement true" "$plist"
	rm -rf dist/llmstack.app && mv llmstack.app dist/
	;;
windows)
	mv -f llmstack.exe dist/ # fyne package links it as a GUI program: no console window
	;;
*)
	mv -f llmstack.tar.xz dist/
	;;
esac
ls -l dist >&2
