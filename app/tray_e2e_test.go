package app_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/llmstack/llmstack/internal/trayhost"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
)

// TestTrayOverDBus runs the llmstack binary under a private D-Bus session
// and Xvfb and talks to its tray the way a desktop panel does: it reads the
// menu with com.canonical.dbusmenu.GetLayout, checks the tier and profile
// lines and the icon, clicks "Use next channel" and checks that the
// in-process router then calls the next model on the fake Bedrock, signs
// in to an expired SSO profile with a recording aws CLI, ticks and unticks
// "Start at login", sees a tier fail and recover, edits models.ini and sees
// the menu follow, and gets a desktop notification (from the bus's
// org.freedesktop.Notifications, which the host plays) for each of the
// expired SSO session, the failing and the recovered tier and the broken
// models.ini. It quits, and starts again to find the channel choice
// remembered.
func TestTrayOverDBus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the app; skipped with -short")
	}
	host := trayhost.Start(t)
	bin := trayhost.BuildGo(t, "github.com/llmstack/llmstack")

	fake := fakebedrock.New(fakebedrock.Options{Record: true})
	// The flaky tier's model fails while flaky is set.
	var flaky atomic.Bool
	bedrockSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if flaky.Load() && strings.Contains(r.URL.Path, "flaky-v1") {
			w.Header().Set("X-Amzn-Errortype", "ValidationException")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"message":"injected failure"}`)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	defer bedrockSrv.Close()

	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	awsConfig := filepath.Join(dir, "aws-config")
	writeFile(t, awsConfig, `[default]
region = us-east-1
aws_access_key_id = AKIATRAYDEFAULT00001
aws_secret_access_key = s

[profile team]
region = eu-west-1
aws_access_key_id = AKIATRAYTEAM00000001
aws_secret_access_key = s

[profile work]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Dev
region = eu-central-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
`)
	// work's SSO session ended an hour ago; the IAM Identity Center portal
	// hands out role credentials for a fresh token only.
	writeSSOToken(t, home, "corp", "stale-token", time.Now().Add(-time.Hour))
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Sso_bearer_token") != "fresh-token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"Session token not found or invalid"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"roleCredentials":{"accessKeyId":"ASIATRAYWORKSSO00001","secretAccessKey":"s","sessionToken":"t","expiration":%d}}`, time.Now().Add(time.Hour).UnixMilli())
	}))
	defer portal.Close()
	t.Setenv("AWS_ENDPOINT_URL_SSO", portal.URL)
	// A recording aws CLI: it waits until the test lets it sign in, then
	// leaves a fresh token as `aws sso login` does.
	awsBin := filepath.Join(dir, "bin")
	awsCalls, release := filepath.Join(dir, "aws-calls"), filepath.Join(dir, "aws-release")
	os.MkdirAll(awsBin, 0o755)
	sum := sha1.Sum([]byte("corp"))
	writeExecutable(t, filepath.Join(awsBin, "aws"), fmt.Sprintf(`#!/bin/sh
echo "$@" >> '%s'
while [ ! -e '%s' ]; do sleep 0.05; done
printf '{"accessToken":"fresh-token","expiresAt":"%s","region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}' > '%s'
`, awsCalls, release, time.Now().Add(8*time.Hour).UTC().Format(time.RFC3339), filepath.Join(home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json")))
	t.Setenv("PATH", awsBin+string(os.PathListSeparator)+os.Getenv("PATH"))
	port := freePort(t)
	ini := filepath.Join(dir, "models.ini")
	writeFile(t, ini, fmt.Sprintf(`[DEFAULT]
router_port = %d
llama_swap_url = http://127.0.0.1:%d

[code-fast]
role = fast
aws_model_id = fast-v1
aws_endpoint_url = %[3]s

[code-smart]
role = agent
aws_model_id = smart-v1
aws_model_id_next = smart-v2
aws_region_next = us-west-2
aws_profile = team
aws_endpoint_url = %[3]s

[review]
role = agent
aws_model_id = review-v1
aws_profile = work
aws_endpoint_url = %[3]s

[flaky]
role = fast
aws_model_id = flaky-v1
aws_region = us-east-1
aws_endpoint_url = %[3]s

[plan]
role = plan
aws_model_id = plan-v1
aws_profile = ghost
aws_endpoint_url = %[3]s
`, port, freePort(t), bedrockSrv.URL))

	t.Setenv("HOME", home) // Fyne keeps preferences under HOME, the AWS CLI its SSO tokens
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

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// First run.
	p := host.StartProcess(t, bin, "--config", ini)
	item, err := p.WaitItem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	menu, err := item.WaitLayoutChange(ctx, func(m *trayhost.MenuNode) bool {
		return built(m) && m.Find("llmstack — "+base+"/v1") != nil && m.Find("✓ default chain") != nil && m.Find("✗ ghost") != nil && m.Find("✓ team") != nil && m.Find("✗ work") != nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"✓ code-fast — fast-v1 · bedrock · us-east-1",
		"✓ code-smart — smart-v1 · bedrock · eu-west-1",
		"✗ plan — plan-v1 · bedrock · default region",
		"AWS profiles",
		"✓ default chain — AKIA…0001 · us-east-1",
		"✓ team — AKIA…0001 · eu-west-1",
		`✗ work — the SSO session of profile "work" is missing or expired`,
		"Sign in to work…",
		"Start at login",
		`✗ ghost — AWS profile "ghost" is not in the AWS config files`,
		"Copy base URL", "Use next channel", "Open models.ini", "Reload models.ini", "Recheck AWS profiles", "Show status window", "Quit",
	} {
		if findLabel(menu, want) == nil {
			t.Errorf("menu has no line starting %q:\n%s", want, menu.Dump())
		}
	}
	if n := findLabel(menu, "llmstack — "); n == nil || n.Enabled {
		t.Errorf("the header must be a disabled line: %v", n)
	}
	if n := findLabel(menu, "Use next channel"); n == nil || n.Checked() {
		t.Errorf("Use next channel starts unchecked: %v", n)
	}
	if smart := findLabel(menu, "✓ code-smart"); smart == nil || findLabel(smart, "Next model: smart-v2") == nil || findLabel(smart, "Profile: team") == nil {
		t.Errorf("code-smart's submenu lacks its details:\n%s", menu.Dump())
	}
	// The icon shows the broken profile: red, not green.
	if px, err := item.IconPixmap(ctx); err != nil || px.Empty() {
		t.Errorf("icon: %v %v", px, err)
	} else if c := px.At(px.Width/2, px.Height/8); !(c.R > 150 && c.G < 100) {
		t.Errorf("icon colour %v; want the red error icon", c)
	}

	if got := chat(t, fake, base, "code-smart"); got.ModelID != "smart-v1" || got.Region != "eu-west-1" || got.AccessKeyID != "AKIATRAYTEAM00000001" {
		t.Fatalf("before the switch Bedrock got %s in %s signed by %s", got.ModelID, got.Region, got.AccessKeyID)
	}

	// The expired session is notified, naming the sign-in item.
	waitNotification(ctx, t, host, "AWS sign-in needed for work", `"Sign in to work…"`)
	if got := post(t, base, "review"); got != http.StatusUnauthorized {
		t.Errorf("review before signing in: %d, want 401", got)
	}

	// Sign in from the tray: the CLI runs while the menu says so, and the
	// profile is checked again once it exits.
	if _, err := item.ClickUntil(ctx, "Sign in to work…", func(m *trayhost.MenuNode) bool {
		return findLabel(m, "Sign in to work: waiting for browser sign-in…") != nil
	}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, release, "")
	menu, err = item.WaitLayoutChange(ctx, func(m *trayhost.MenuNode) bool {
		return built(m) && findLabel(m, "✓ work — ASIA…0001 · eu-central-1") != nil
	})
	if err != nil {
		t.Fatalf("work after signing in: %v", err)
	}
	if findLabel(menu, "Sign in to work") != nil {
		t.Errorf("a sign-in is still offered after signing in:\n%s", menu.Dump())
	}
	if calls, _ := os.ReadFile(awsCalls); string(calls) != "sso login --profile=work\n" {
		t.Errorf("the aws CLI ran with %q, want sso login --profile=work, once", calls)
	}
	if got := chat(t, fake, base, "review"); got.AccessKeyID != "ASIATRAYWORKSSO00001" {
		t.Errorf("after signing in review was signed by %s", got.AccessKeyID)
	}

	// Start at login writes an XDG autostart entry that runs this binary,
	// and unticking removes it.
	entry := filepath.Join(home, ".config", "autostart", "llmstack.desktop")
	checked := func(want bool) func(m *trayhost.MenuNode) bool {
		return func(m *trayhost.MenuNode) bool {
			n := m.Find("Start at login")
			return built(m) && n != nil && n.Checked() == want
		}
	}
	settle(ctx, t, item)
	if _, err := item.ClickUntil(ctx, "Start at login", checked(true)); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(entry); err != nil || !strings.Contains(string(data), "\nExec="+bin+"\n") {
		t.Errorf("autostart entry (%v):\n%s\nwant Exec=%s", err, data, bin)
	}
	if _, err := item.ClickUntil(ctx, "Start at login", checked(false)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("unticking Start at login left %s (%v)", entry, err)
	}

	// Three failures in a row and a tier is failing; one success and it
	// has recovered.
	flaky.Store(true)
	for range 3 {
		if got := post(t, base, "flaky"); got != http.StatusBadRequest {
			t.Errorf("flaky while failing: %d", got)
		}
	}
	waitNotification(ctx, t, host, "flaky is failing", "3 requests in a row failed")
	flaky.Store(false)
	chat(t, fake, base, "flaky")
	waitNotification(ctx, t, host, "flaky recovered", "")

	// Switch to the next channel from the tray.
	settle(ctx, t, item)
	if _, err = item.ClickUntil(ctx, "Use next channel", func(m *trayhost.MenuNode) bool {
		n := m.Find("Use next channel")
		return n != nil && n.Checked()
	}); err != nil {
		t.Fatal(err)
	}
	menu, err = item.WaitLayoutChange(ctx, func(m *trayhost.MenuNode) bool {
		n := m.Find("Use next channel")
		return built(m) && n != nil && n.Checked()
	})
	if err != nil {
		t.Fatal(err)
	}
	if findLabel(menu, "✓ code-smart — smart-v2 · bedrock · us-west-2 · next") == nil {
		t.Errorf("after the switch code-smart shows:\n%s", menu.Dump())
	}
	if got := chat(t, fake, base, "code-smart"); got.ModelID != "smart-v2" || got.Region != "us-west-2" {
		t.Errorf("after the switch Bedrock got %s in %s, want smart-v2 in us-west-2", got.ModelID, got.Region)
	}
	if got := chat(t, fake, base, "code-fast"); got.ModelID != "fast-v1" {
		t.Errorf("a tier without a next model moved to %s", got.ModelID)
	}

	// An edit of models.ini shows up in the menu.
	data, _ := os.ReadFile(ini)
	writeFile(t, ini, strings.Replace(string(data), "aws_model_id = fast-v1", "aws_model_id = fast-v9", 1))
	if _, err := item.WaitLayoutChange(ctx, func(m *trayhost.MenuNode) bool { return built(m) && m.Find("✓ code-fast — fast-v9") != nil }); err != nil {
		t.Errorf("models.ini edit not shown: %v", err)
	}
	// A broken edit is reported and the last good config keeps serving.
	data, _ = os.ReadFile(ini)
	writeFile(t, ini, string(data)+"\n[broken]\nbackend = openai\n")
	if _, err := item.WaitLayoutChange(ctx, func(m *trayhost.MenuNode) bool { return built(m) && m.Find("⚠ models.ini not applied") != nil }); err != nil {
		t.Errorf("broken models.ini not reported: %v", err)
	}
	waitNotification(ctx, t, host, "models.ini not applied", ini+" [broken] backend")
	if got := chat(t, fake, base, "code-fast"); got.ModelID != "fast-v9" {
		t.Errorf("after a broken edit code-fast called %s, want the last good fast-v9", got.ModelID)
	}
	writeFile(t, ini, string(data))

	// Quit from the menu: the process ends and the port closes.
	menu, _ = item.WaitLayoutChange(ctx, built)
	quit := menu.Find("Quit")
	if quit == nil {
		t.Fatalf("no Quit item:\n%s", menu.Dump())
	}
	if err := item.Click(ctx, quit.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("Quit did not end the app")
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		conn.Close()
		t.Error("the router still listens after Quit")
	}

	// Second run: the channel choice is remembered.
	p = host.StartProcess(t, bin, "--config", ini)
	item, err = p.WaitItem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := item.WaitLayoutChange(ctx, func(m *trayhost.MenuNode) bool {
		n := m.Find("Use next channel")
		return built(m) && n != nil && n.Checked() && m.Find("llmstack — "+base) != nil
	}); err != nil {
		t.Fatalf("the next channel was not remembered: %v", err)
	}
	if got := chat(t, fake, base, "code-smart"); got.ModelID != "smart-v2" {
		t.Errorf("after a restart Bedrock got %s, want smart-v2", got.ModelID)
	}
}

// settle waits until the tray has stopped rebuilding its menu after
// requests (it picks up their statistics every two seconds): Fyne drops a
// click on an entry of a menu it is rebuilding, and the harness cannot
// tell that from a click whose effect is slow.
func settle(ctx context.Context, t *testing.T, item *trayhost.Item) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last := -1
	for time.Now().Before(deadline) {
		m, err := item.Layout(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(m.Revision) == last && built(m) {
			return
		}
		last = int(m.Revision)
		time.Sleep(3 * time.Second) // longer than the tray's refresh
	}
	t.Fatal("the tray menu kept changing for 30 seconds")
}

// waitNotification waits up to 30 seconds for a notification whose title
// and body contain the given strings.
func waitNotification(ctx context.Context, t *testing.T, host *trayhost.Host, summary, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := host.WaitNotification(ctx, trayhost.NotificationWith(summary, body)); err != nil {
		t.Error(err)
	}
}

// post sends one request through the app's router and returns its status.
func post(t *testing.T, base, model string) int {
	t.Helper()
	resp, err := http.Post(base+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// writeSSOToken leaves a token for an SSO session in the AWS CLI's cache
// under home, as `aws sso login` does.
func writeSSOToken(t *testing.T, home, session, token string, expires time.Time) {
	t.Helper()
	sum := sha1.Sum([]byte(session))
	path := filepath.Join(home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, fmt.Sprintf(`{"accessToken":%q,"expiresAt":%q,"region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}`, token, expires.UTC().Format(time.RFC3339)))
}

func writeExecutable(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// built reports whether a menu read over D-Bus is whole: Fyne rebuilds the
// menu item by item and signals part-way, so a read can see half a menu.
// Quit is always the last item.
func built(m *trayhost.MenuNode) bool {
	return m != nil && m.Find("Quit") != nil
}

// findLabel finds a node whose label, with dbusmenu's "__" escapes undone,
// starts with prefix.
func findLabel(n *trayhost.MenuNode, prefix string) *trayhost.MenuNode {
	var found *trayhost.MenuNode
	n.Walk(func(c *trayhost.MenuNode) {
		if found == nil && strings.HasPrefix(strings.ReplaceAll(c.Label, "__", "_"), prefix) {
			found = c
		}
	})
	return found
}

// chat sends one request through the app's router and returns what the
// fake Bedrock received.
func chat(t *testing.T, fake *fakebedrock.Server, base, model string) fakebedrock.Request {
	t.Helper()
	resp, err := http.Post(base+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", model, resp.StatusCode, body)
	}
	reqs := fake.Requests()
	if len(reqs) == 0 {
		t.Fatalf("%s: the fake Bedrock received nothing", model)
	}
	return reqs[len(reqs)-1]
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestHeadlessWithoutDisplay starts the tray app where there is no display:
// it must say so and serve headless, then stop cleanly on SIGTERM.
func TestHeadlessWithoutDisplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the app; skipped with -short")
	}
	bin := trayhost.BuildGo(t, "github.com/llmstack/llmstack")
	dir := t.TempDir()
	port := freePort(t)
	ini := filepath.Join(dir, "models.ini")
	writeFile(t, ini, fmt.Sprintf("[DEFAULT]\nrouter_port = %d\nllama_swap_url = http://127.0.0.1:%d\n[code-fast]\naws_model_id = m\naws_region = us-east-1\n", port, freePort(t)))
	cmd := exec.Command(bin, "--config", ini)
	cmd.Env = append(os.Environ(), "DISPLAY=", "WAYLAND_DISPLAY=", "HOME="+dir, "AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_EC2_METADATA_DISABLED=true")
	var stderr syncWriter
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", port))
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving headless: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(stderr.String(), "no tray: no graphical display") {
		t.Errorf("the app did not say why there is no tray:\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestQuitWithStatusWindow starts the tray app on a desktop without a tray
// host, where it shows the status window instead, and quits it both ways a
// user can: SIGTERM (logging out, systemd, kill) and closing the window.
// Every widget update has to run on Fyne's UI thread, including the ones
// the router's shutdown causes; Fyne logs each one that does not.
func TestQuitWithStatusWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the app; skipped with -short")
	}
	host := trayhost.StartNoTrayHost(t)
	// Built with -race: an update off the UI thread that Fyne does not log
	// (the tray, the clipboard) still ends the app with a race report.
	bin := trayhost.BuildGo(t, "github.com/llmstack/llmstack", "-race")

	dir := t.TempDir()
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "home", ".config"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "aws-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("LANG", "en_US.UTF-8")
	for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LLMSTACK_USE_NEXT", "LLAMA_SWAP_URL", "LLMSTACK_CONFIG"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}

	for _, tt := range []struct {
		name string
		quit func(ctx context.Context, p *trayhost.Process) error
	}{
		{"SIGTERM", func(_ context.Context, p *trayhost.Process) error { return p.Cmd.Process.Signal(syscall.SIGTERM) }},
		{"close window", func(ctx context.Context, _ *trayhost.Process) error { return host.CloseWindow(ctx, "llmstack") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			port := freePort(t)
			ini := filepath.Join(t.TempDir(), "models.ini")
			writeFile(t, ini, fmt.Sprintf("[DEFAULT]\nrouter_port = %d\nllama_swap_url = http://127.0.0.1:%d\n[code-fast]\naws_model_id = m\naws_region = us-east-1\n", port, freePort(t)))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()

			p := host.StartProcess(t, bin, "--config", ini)
			if _, err := host.WaitWindow(ctx, "llmstack"); err != nil {
				t.Fatalf("the status window did not open: %v\n%s", err, p.Stderr())
			}
			waitServing(ctx, t, port, p)
			// Let a few periodic refreshes of the open window happen.
			time.Sleep(3 * time.Second)
			// The window shows something: text in more than one colour.
			if img, err := host.Capture(ctx, "llmstack"); err != nil {
				t.Error(err)
			} else if n := colours(img); n < 3 {
				t.Errorf("the status window captured as %v has %d colour(s): empty", img.Bounds(), n)
			}

			if err := tt.quit(ctx, p); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.Done():
			case <-time.After(60 * time.Second):
				t.Fatalf("the app did not end after %s\n%s", tt.name, p.Stderr())
			}
			stderr := p.Stderr()
			if err := p.Err(); err != nil {
				t.Errorf("exit after %s: %v", tt.name, err)
			}
			if n := strings.Count(stderr, "Error in Fyne call thread"); n > 0 {
				t.Errorf("%d widget update(s) off Fyne's UI thread, from:\n%s", n, strings.Join(offThread(stderr), "\n"))
			}
			for _, want := range []string{"showing the status window instead", "quitting: letting requests in flight finish"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
				conn.Close()
				t.Errorf("the router still listens after %s", tt.name)
			}
		})
	}
}

// colours counts the distinct colours of an image.
func colours(img image.Image) int {
	seen := map[color.Color]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			seen[img.At(x, y)] = true
		}
	}
	return len(seen)
}

// waitServing waits until the app's router answers /health.
func waitServing(ctx context.Context, t *testing.T, port int, p *trayhost.Process) {
	t.Helper()
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", port))
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the router never answered: %v\n%s", err, p.Stderr())
		case <-p.Done():
			t.Fatalf("the app exited: %v\n%s", p.Err(), p.Stderr())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// offThread lists the distinct source lines Fyne names ("From: file:line")
// after each "Error in Fyne call thread" it logs.
func offThread(stderr string) []string {
	var from []string
	seen := map[string]bool{}
	for _, l := range strings.Split(stderr, "\n") {
		_, at, ok := strings.Cut(l, "From: ")
		if ok && !seen[at] {
			seen[at] = true
			from = append(from, "\t"+strings.TrimSuffix(at, `"`))
		}
	}
	return from
}
