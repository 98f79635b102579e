package app_test

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/llmstack/llmstack/internal/trayhost"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
)

// TestScreenshots takes the README's pictures of the running app (`make
// screenshots`): the tray menu as the panel gets it over D-Bus, drawn by
// Fyne's own menu widget (the panel draws it in the real desktop), and
// the status window as Xvfb shows it. It runs only when
// LLMSTACK_SCREENSHOTS names the folder to write them to.
func TestScreenshots(t *testing.T) {
	out := os.Getenv("LLMSTACK_SCREENSHOTS")
	if out == "" {
		t.Skip("set LLMSTACK_SCREENSHOTS to a folder to take the README's screenshots (make screenshots)")
	}
	host := trayhost.Start(t)
	bin := trayhost.BuildGo(t, "github.com/llmstack/llmstack")
	fake := fakebedrock.New(fakebedrock.Options{Record: true})
	bedrockSrv := httptest.NewServer(fake)
	defer bedrockSrv.Close()

	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	awsConfig := filepath.Join(dir, "aws-config")
	writeFile(t, awsConfig, `[default]
region = us-east-1
aws_access_key_id = AKIAEXAMPLEDEFAULT01
aws_secret_access_key = s

[profile work]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Dev
region = us-west-2

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
`)
	writeSSOToken(t, home, "corp", "stale", time.Now().Add(-time.Hour))
	port := 10101 // the default, as users see it, unless it is taken
	if ln, err := net.Listen("tcp", "127.0.0.1:10101"); err != nil {
		port = freePort(t)
	} else {
		ln.Close()
	}
	ini := filepath.Join(dir, "models.ini")
	writeFile(t, ini, fmt.Sprintf(`[DEFAULT]
router_port = %d
llama_swap_url = http://127.0.0.1:%d
aws_endpoint_url = %s

[code-fast]
role = fast
aws_model_id = us.anthropic.claude-haiku-4-5-20251001-v1:0
ctx_size = 200000
prompt_cache = on

[code-smart]
role = agent
aws_model_id = us.anthropic.claude-sonnet-4-5-20250929-v1:0
aws_model_id_next = us.anthropic.claude-opus-4-5-20251101-v1:0
ctx_size = 200000
prompt_cache = on

[plan]
role = plan
aws_model_id = us.anthropic.claude-opus-4-5-20251101-v1:0
aws_profile = work
`, port, freePort(t), bedrockSrv.URL))
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("AWS_CONFIG_FILE", awsConfig)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "aws-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("LANG", "en_US.UTF-8")
	for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "LLMSTACK_USE_NEXT", "LLAMA_SWAP_URL", "LLMSTACK_CONFIG"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	p := host.StartProcess(t, bin, "--config", ini)
	item, err := p.WaitItem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := item.WaitLayoutChange(ctx, func(m *trayhost.MenuNode) bool { return built(m) && m.Find("✗ work") != nil }); err != nil {
		t.Fatal(err)
	}
	for _, model := range []string{"code-fast", "code-fast", "code-smart", "code-fast"} {
		chat(t, fake, base, model)
	}
	settle(ctx, t, item)
	menu, err := item.Layout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	savePNG(t, filepath.Join(out, "menu.png"), drawMenu(t, menu))

	if _, err := item.ClickUntil(ctx, "Show status window", func(*trayhost.MenuNode) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if _, err := host.WaitWindow(ctx, "llmstack"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // a refresh or two: the window is drawn whole
	img, err := host.Capture(ctx, "llmstack")
	if err != nil {
		t.Fatal(err)
	}
	savePNG(t, filepath.Join(out, "status-window.png"), img)
}

// drawMenu draws a menu read over D-Bus with Fyne's menu widget, its
// submenus left closed.
func drawMenu(t *testing.T, root *trayhost.MenuNode) image.Image {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.DefaultTheme())
	m := widget.NewMenu(fyne.NewMenu("", fyneItems(root.Children)...))
	w := test.NewWindow(m)
	defer w.Close()
	w.SetPadded(false)
	w.Resize(m.MinSize())
	return w.Canvas().Capture()
}

func fyneItems(nodes []*trayhost.MenuNode) []*fyne.MenuItem {
	var items []*fyne.MenuItem
	for _, n := range nodes {
		if !n.Visible {
			continue
		}
		if n.IsSeparator() {
			items = append(items, fyne.NewMenuItemSeparator())
			continue
		}
		it := fyne.NewMenuItem(strings.ReplaceAll(n.Label, "__", "_"), func() {})
		it.Disabled, it.Checked = !n.Enabled, n.Checked()
		if len(n.Children) > 0 {
			it.ChildMenu = fyne.NewMenu("", fyneItems(n.Children)...)
		}
		items = append(items, it)
	}
	return items
}

func savePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%v)", path, img.Bounds())
}
