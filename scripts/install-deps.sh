#!/usr/bin/env bash
# Installs the system packages llmstack needs to build and test on
# Debian/Ubuntu: a C compiler and the X11/OpenGL headers Fyne compiles
# against, plus Xvfb and D-Bus for the tray's end-to-end test, Node.js with
# npm, which installs opencode for its end-to-end test, and any package
# named on the command line (CI adds the Windows cross-compiler). Does
# nothing when everything is already there.
set -euo pipefail

packages=(gcc pkg-config libgl1-mesa-dev xorg-dev libxkbcommon-dev xvfb dbus xauth "$@")
# Node.js may come from elsewhere (nodesource, nvm) with npm inside it:
# only a machine without npm gets Debian's.
if ! command -v npm >/dev/null; then
	packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
	echo "llmstack: please install the equivalents of: ${missing[*]}" >&2
	echo "(a C compiler, OpenGL and X11 development headers; see https://docs.fyne.io/started/)" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
echo "llmstack: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
