package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/llmstack/llmstack/assets"
	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/tiers"
)

// ID is the application id (FyneApp.toml's), which also names where Fyne
// keeps the preferences.
const ID = "dev.llmstack.tray"

// prefUseNext remembers the channel choice across restarts.
const prefUseNext = "useNextChannel"

// refreshEvery is how often the tray picks up request statistics, which
// change too often to be pushed.
const refreshEvery = 2 * time.Second

// Options configure the tray app.
type Options struct {
	Config *tiers.Config
	// Addr overrides the config's router address.
	Addr string
	// UseNext, when set (by --next or LLMSTACK_USE_NEXT), overrides the
	// remembered channel for this run.
	UseNext *bool
	Version string
	// Log receives the log, as well as the status window.
	Log      io.Writer
	LogLevel slog.Level
}

// Run starts the router and shows the tray until the user quits or a
// signal arrives; requests in flight then finish before it returns. Without
// a display it says so and serves headless.
func Run(opts Options) error {
	logs := newLogLines(300)
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(opts.Log, logs), &slog.HandlerOptions{Level: opts.LogLevel}))
	slog.SetDefault(logger) // where the AWS SDK's messages go

	if reason := NoDisplay(); reason != "" {
		logger.Warn("no tray: " + reason + "; serving headless (llmstack serve does this on purpose)")
		useNext := opts.UseNext != nil && *opts.UseNext
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return server.Run(ctx, opts.Config, opts.Addr, server.Options{UseNext: useNext, Logger: logger, Version: opts.Version, UsagePath: usagePath(logger)},
			func(url string) { logger.Info("serving", "url", url) })
	}

	a := fyneapp.NewWithID(ID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	useNext := a.Preferences().Bool(prefUseNext)
	if opts.UseNext != nil {
		useNext = *opts.UseNext
	}
	srv := server.New(opts.Config, server.Options{UseNext: useNext, Logger: logger, Version: opts.Version, UsagePath: usagePath(logger)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	t := &tray{app: a, srv: srv, logs: logs, log: logger, ctx: ctx, cancel: cancel, served: make(chan struct{}), ui: &uiThread{},
		notes: newNotifier(), notices: make(chan Notice, 16)}
	t.signIns = newSignIns(func() { t.ui.do(t.refresh) }, func() { t.srv.Recheck(t.ctx, false) })
	go t.sendNotices()
	go func() {
		err := srv.Run(ctx, opts.Addr, func(url string) { logger.Info("serving", "url", url) })
		if err != nil {
			logger.Error("router stopped", "error", err)
		}
		close(t.served)
	}()

	desk, isDesktop := a.(desktop.App)
	if noHost := NoTrayHost(); !isDesktop || noHost != "" {
		if noHost == "" {
			noHost = "this platform has no system tray"
		}
		logger.Warn("no tray: " + noHost + "; showing the status window instead (closing it quits)")
		t.showWindow()
		t.window.SetCloseIntercept(t.quit)
	} else {
		t.desk = desk
		t.refresh()
	}
	// OnChange callbacks run on whichever goroutine changed the status.
	srv.OnChange(func() { t.ui.do(t.refresh) })
	go func() {
		tick := time.NewTicker(refreshEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				t.ui.do(t.refresh)
			}
		}
	}()
	// Fyne quits at once on SIGINT/SIGTERM. The UI closes as soon as the
	// signal arrives, before Fyne's loop has wound down, so that nothing
	// updates a widget while it ends. The quit is Fyne's own (a second one
	// is a no-op); it matters for a signal that comes before Fyne listens.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; ok {
			t.ui.close()
			fyne.Do(a.Driver().Quit)
		}
	}()

	a.Run() // until Quit or SIGINT/SIGTERM
	t.ui.close()
	signal.Stop(sigs)
	close(sigs)
	t.stop() // the router's shutdown still changes the status: nothing shows it
	<-t.served
	return nil
}

// uiThread hands widget updates to Fyne's UI thread while the app's event
// loop runs, and drops them once the loop is ending. Fyne runs a function
// given to fyne.Do on the calling goroutine after its loop has ended, where
// a widget update is a data race (and logged as "Error in Fyne call
// thread").
type uiThread struct {
	closed atomic.Bool
}

// do runs f on the UI thread, unless the UI has closed by then. It may be
// called from any goroutine.
func (u *uiThread) do(f func()) {
	if u.closed.Load() {
		return
	}
	fyne.Do(func() {
		if !u.closed.Load() {
			f()
		}
	})
}

// close stops all later updates. Call it before the event loop ends.
func (u *uiThread) close() { u.closed.Store(true) }

// tray is the running UI: the tray menu and icon, and the status window.
type tray struct {
	app    fyne.App
	srv    *server.Server
	desk   desktop.App // nil when there is no tray
	logs   *logLines
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	served chan struct{} // closed when the router has shut down
	ui     *uiThread     // the way to the UI goroutine from any other
	// signIns runs `aws sso login`; notices carries what to tell the
	// desktop to the goroutine that does (a D-Bus call may take a while).
	signIns *signIns
	notices chan Notice

	// Touched on the UI goroutine only.
	window   fyne.Window
	view     *statusView
	lastMenu string
	lastIcon server.Level
	iconSet  bool
	stopping bool
	stopOnce sync.Once
	notes    *notifier
	// loginErr is why the last change of start at login failed.
	loginErr string
}

func (t *tray) actions() Actions {
	return Actions{
		CopyBaseURL: func() {
			t.app.Clipboard().SetContent(t.srv.Status().BaseURL)
		},
		CopyOpencodeConfig: t.copyOpencodeConfig,
		AllowOverBudget: func(tier string, on bool) {
			if err := t.srv.AllowOverBudget(tier, on); err != nil {
				t.log.Error("allow over budget today", "error", err)
			}
		},
		SetUseNext: func(on bool) {
			t.srv.SetUseNext(on)
			t.app.Preferences().SetBool(prefUseNext, on)
			t.refresh()
		},
		OpenConfig: func() {
			u := &url.URL{Scheme: "file", Path: t.srv.Config().Path}
			if err := t.app.OpenURL(u); err != nil {
				t.log.Error("opening models.ini", "error", err)
			}
		},
		ReloadConfig: func() {
			go func() {
				if err := t.srv.Reload(); err == nil {
					t.log.Info("models.ini reloaded on request")
				}
			}()
		},
		RecheckProfiles: func() { go t.srv.Recheck(t.ctx, false) },
		ShowStatus:      t.showWindow,
		Quit:            t.quit,
		SignIn:          t.signIn,
		InstallAWSCLI: func() {
			u, _ := url.Parse(AWSCLIInstallURL)
			if err := t.app.OpenURL(u); err != nil {
				t.log.Error("opening the AWS CLI's install page", "error", err)
			}
		},
		SetStartAtLogin: func(on bool) {
			t.loginErr = ""
			if err := setStartAtLogin(on); err != nil {
				t.loginErr = err.Error()
				t.log.Error("start at login not changed", "error", err)
			}
			t.refresh()
		},
	}
}

// local reads what the tray itself knows for a snapshot: sign-ins under
// way, whether the AWS CLI is there, and start at login as the system has
// it.
func (t *tray) local(st server.Status) Local {
	loc := Local{SignIns: t.signIns.states(st.Profiles), HaveAWSCLI: t.signIns.haveCLI(), StartAtLoginError: t.loginErr}
	on, err := startAtLogin()
	loc.StartAtLogin = on
	if err != nil && loc.StartAtLoginError == "" {
		loc.StartAtLoginError = err.Error()
	}
	return loc
}

// signIn starts `aws sso login` for a profile the status names.
func (t *tray) signIn(profile string) {
	for _, p := range t.srv.Status().Profiles {
		if p.Profile == profile {
			if t.signIns.start(t.ctx, p) {
				t.log.Info("signing in with aws sso login", "profile", p.Name())
			}
			return
		}
	}
}

// sendNotices tells the desktop what the notifier found, in order, until
// the router has shut down.
func (t *tray) sendNotices() {
	for {
		select {
		case n := <-t.notices:
			t.log.Info("notification", "title", n.Title, "body", n.Body)
			t.app.SendNotification(fyne.NewNotification(n.Title, n.Body))
		case <-t.served:
			return
		}
	}
}

// copyOpencodeConfig copies opencode.json for the tiers being served, at
// the address the router listens on.
func (t *tray) copyOpencodeConfig() {
	st := t.srv.Status()
	out, err := server.OpencodeConfig(t.srv.Config(), st.BaseURL, st.UseNext)
	if err != nil {
		t.log.Error("opencode config", "error", err)
		return
	}
	t.app.Clipboard().SetContent(string(out))
	t.log.Info("opencode config copied: paste it into opencode.json, or run llmstack opencode --write DIR")
}

// usagePath is where spend is kept ("" in memory only, when the user
// config directory is unknown).
func usagePath(log *slog.Logger) string {
	p, err := server.DefaultUsagePath()
	if err != nil {
		log.Warn("spend is counted in memory only", "error", err)
	}
	return p
}

// refresh re-renders the menu, icon and window from a fresh snapshot. It
// runs on the UI goroutine and only touches the tray when something shows
// differently, so an open menu is not rebuilt needlessly.
func (t *tray) refresh() {
	st := t.srv.Status()
	loc := t.local(st)
	for _, n := range t.notes.observe(st, t.stopping, time.Now()) {
		select {
		case t.notices <- n:
		default: // the desktop is not keeping up: drop, never block the UI
		}
	}
	if t.desk != nil {
		act := t.actions()
		act.Local = loc
		m := Menu(st, t.stopping, time.Now(), act)
		if fp := fingerprint(m); fp != t.lastMenu {
			t.desk.SetSystemTrayMenu(m)
			t.lastMenu = fp
		}
		level := st.Overall
		if !t.iconSet || level != t.lastIcon {
			t.desk.SetSystemTrayIcon(trayIcon(level))
			t.lastIcon, t.iconSet = level, true
		}
	}
	if t.view != nil && t.window != nil {
		t.view.update(st, loc, t.logs.Lines(), t.stopping, time.Now())
	}
}

func (t *tray) showWindow() {
	if t.window == nil {
		t.window = t.app.NewWindow("llmstack")
		t.view = newStatusView(windowActions{
			Recheck:    func() { go t.srv.Recheck(t.ctx, false) },
			Verify:     func() { go t.srv.Recheck(t.ctx, true) },
			Reload:     t.actions().ReloadConfig,
			Open:       t.actions().OpenConfig,
			Copy:       t.actions().CopyBaseURL,
			SignIn:     t.signIn,
			SetUseNext: t.actions().SetUseNext,
		})
		t.window.SetContent(t.view.content)
		t.window.Resize(fyne.NewSize(1100, 700))
		t.window.SetCloseIntercept(t.window.Hide)
	}
	st := t.srv.Status()
	t.view.update(st, t.local(st), t.logs.Lines(), t.stopping, time.Now())
	t.window.Show()
	t.window.RequestFocus()
}

// quit stops the router gracefully (requests in flight finish or end with
// an error chunk), then the app.
func (t *tray) quit() {
	t.stop()
	t.refresh()
	go func() {
		<-t.served
		t.ui.do(func() {
			t.ui.close()
			t.app.Quit()
		})
	}()
}

func (t *tray) stop() {
	t.stopOnce.Do(func() {
		t.stopping = true
		t.log.Info("quitting: letting requests in flight finish")
		t.cancel()
	})
}

func trayIcon(l server.Level) fyne.Resource {
	switch l {
	case server.LevelWarn:
		return fyne.NewStaticResource("tray-warn.png", assets.TrayWarn)
	case server.LevelError:
		return fyne.NewStaticResource("tray-error.png", assets.TrayError)
	}
	return fyne.NewStaticResource("tray-ok.png", assets.TrayOK)
}

// fingerprint renders what a menu shows, to tell whether it changed.
func fingerprint(m *fyne.Menu) string {
	var b strings.Builder
	var walk func(items []*fyne.MenuItem, depth int)
	walk = func(items []*fyne.MenuItem, depth int) {
		for _, it := range items {
			fmt.Fprintf(&b, "%d|%s|%v|%v|%v\n", depth, it.Label, it.Checked, it.Disabled, it.IsSeparator)
			if it.ChildMenu != nil {
				walk(it.ChildMenu.Items, depth+1)
			}
		}
	}
	walk(m.Items, 0)
	return b.String()
}
