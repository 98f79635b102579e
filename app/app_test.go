package app

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestUIThreadAfterClose checks that widget updates stop once the UI has
// closed. Fyne's test driver runs fyne.Do's function on the caller's
// goroutine, as the real driver does once its event loop has ended.
func TestUIThreadAfterClose(t *testing.T) {
	test.NewTempApp(t)
	u := &uiThread{}
	var ran []string
	for _, step := range []struct {
		name  string
		close bool
	}{{"open", false}, {"again", false}, {"closed", true}, {"closed again", true}} {
		if step.close {
			u.close()
		}
		u.do(func() { ran = append(ran, step.name) })
	}
	if want := []string{"open", "again"}; !slices.Equal(ran, want) {
		t.Errorf("ran %q, want %q", ran, want)
	}
}
