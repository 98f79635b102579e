// Package assets holds the files embedded in the llmstack binary: the default
// models.ini written on first run and the tray icons.
package assets

import _ "embed"

// DefaultModelsINI is the models.ini written to the user's config directory
// when none exists yet.
//
//go:embed models.ini
var DefaultModelsINI []byte
