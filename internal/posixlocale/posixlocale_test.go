package posixlocale

import "testing"

func TestApply(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, true},
		{"POSIX.utf8 in LC_ALL", map[string]string{"LC_ALL": "POSIX.utf8", "LANG": "de_DE.UTF-8"}, true},
		{"plain C is fine for Fyne", map[string]string{"LANG": "C"}, false},
		{"a real language", map[string]string{"LANG": "en_GB.UTF-8"}, false},
		{"LC_ALL wins over LANG", map[string]string{"LC_ALL": "fr_FR.UTF-8", "LANG": "C.UTF-8"}, false},
		{"LANGUAGE already set", map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "de"}, false},
		{"nothing set", map[string]string{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			got := apply(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if got != tt.want {
				t.Errorf("apply = %v, want %v", got, tt.want)
			}
			if got && env["LANGUAGE"] != "en" {
				t.Errorf("LANGUAGE = %q, want en", env["LANGUAGE"])
			}
			if !got && env["LANGUAGE"] != tt.env["LANGUAGE"] {
				t.Errorf("LANGUAGE changed to %q", env["LANGUAGE"])
			}
		})
	}
}
