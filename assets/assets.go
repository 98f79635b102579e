// Package assets holds the files embedded in the llmstack binary: the default
// models.ini written on first run and the icons.
package assets

import _ "embed"

// DefaultModelsINI is the models.ini written to the user's config directory
// when none exists yet.
//
//go:embed models.ini
var DefaultModelsINI []byte

// Icon is the application icon (512×512 PNG).
//
//go:embed icon.png
var Icon []byte

// Tray icons (64×64 PNG) for overall health: every tier usable, a problem
// worth seeing, or a tier (or the router) not usable.
var (
	//go:embed icons/tray-ok.png
	TrayOK []byte
	//go:embed icons/tray-warn.png
	TrayWarn []byte
	//go:embed icons/tray-error.png
	TrayError []byte
)
