package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
	"github.com/ferrygit/ferry/git"
	"github.com/ferrygit/ferry/gitsync"
	ferryhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/jobs"
	"github.com/ferrygit/ferry/password"
	"github.com/ferrygit/ferry/provider"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
	"github.com/ferrygit/ferry/ui"
)

func init() {
	register("serve", "run the Ferry server", func(ctx context.Context, m *Main, args []string) error {
		cfg, err := loadConfig(args, m.Getenv, m.Stderr)
		if err != nil {
			return err
		}
		return m.serve(ctx, cfg, nil)
	})
}

// serve runs the server until ctx is done, then shuts down in order: HTTP, then the job
// queue and its workers, then the database. When ready is not nil it receives the server's URL once it listens.
func (m *Main) serve(ctx context.Context, cfg *Config, ready chan<- string) error {
	logger := cfg.newLogger(m.Stderr)
	logger.Info("starting ferry", append([]any{"version", Version}, cfg.Redacted()...)...)

	box, keyOrigin, err := openSecretBox(cfg, logger)
	if err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, Sealer: box})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	logger.Info("database ready", "dialect", db.Dialect())
	if err := secretbox.CheckKey(ctx, db, box); err != nil {
		return fmt.Errorf("secret key from %s: %w", keyOrigin, err)
	}

	hash, err := adminTokenHash(ctx, db, cfg.AdminToken, m.Stderr, logger)
	if err != nil {
		return err
	}

	if err := bootstrapAdmin(ctx, db, cfg.AdminPassword, m.Stderr, logger); err != nil {
		return err
	}

	engine, err := git.New(git.Config{Dir: filepath.Join(cfg.DataDir, "git"), Policy: cfg.Policy, Timeout: cfg.GitTimeout, Logger: logger})
	if err != nil {
		return fmt.Errorf("start the git engine: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ferry_db_rows_written_total", Help: "Rows inserted, updated or deleted in the database."},
			func() float64 { return float64(db.RowsWritten()) }))

	srv := ferryhttp.NewServer()
	srv.Namespaces, srv.Files = db, db
	srv.Credentials, srv.KnownHosts = db, db
	srv.ScanHostKeys = hostKeyScanner(cfg.Policy)
	secrets := &gitsync.Secrets{Credentials: db, KnownHosts: db}
	srv.Checker = &gitsync.Checker{Git: engine, Secrets: secrets, Policy: cfg.Policy}
	syncer := &gitsync.Service{Store: db, Git: engine, Secrets: secrets, Policy: cfg.Policy, Logger: logger,
		Limits: gitsync.Limits{MaxFileSize: cfg.MaxFileSize}, RunRetention: cfg.RunRetention}
	cat := &catalog.Service{Store: db, Logger: logger}
	syncer.Catalog = cat
	providers := newProviderService(db, cfg.Policy, logger)
	queue, closeQueue, err := openQueue(ctx, cfg, db, syncer, providers, logger)
	if err != nil {
		return err
	}
	defer closeQueue()
	syncer.Queue = queue
	srv.Bindings, srv.Runs, srv.Sync, srv.Pusher = db, db, syncer, syncer
	srv.Providers = providers
	srv.Webhooks, srv.PublicURL = db, cfg.PublicURL
	srv.Binder = &gitsync.Binder{Sync: syncer, Store: db, Providers: providers, HookURL: srv.HookURL, Logger: logger}
	srv.Ready = db.Ping
	srv.AdminTokenHash = hash
	srv.Tokens, srv.Users, srv.Audit = db, db, db
	srv.Catalog, srv.CatalogStore = cat, db
	srv.MaxTokenLifetime, srv.SessionLifetime, srv.InsecureCookies = cfg.MaxTokenLifetime, cfg.SessionLifetime, cfg.InsecureCookies
	srv.Logger = logger
	srv.Metrics = reg
	srv.MaxFileSize = cfg.MaxFileSize
	// The UI calls the API in-process, so it is made once the API's fields are all set.
	srv.UI = (&ui.Server{API: srv.Handler(), Logger: logger}).Handler()
	if err := queue.Start(ctx); err != nil {
		return fmt.Errorf("start the job queue: %w", err)
	}
	if err := srv.Open(cfg.Listen); err != nil {
		queue.Stop(context.Background())
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	logger.Info("serving", "url", srv.URL())
	if cfg.PublicURL == "" {
		logger.Info("webhook URLs use the listen address; set --public-url to the address Git providers reach", "url", srv.URL())
	}
	if ready != nil {
		ready <- srv.URL()
	}

	<-ctx.Done()
	logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Close(shutdown); err != nil {
		logger.Warn("requests still under way were cut off", "err", err)
	}
	if err := queue.Stop(shutdown); err != nil {
		logger.Warn("runs still under way were cut off; they resume after the restart", "err", err)
	}
	return nil
}

// openQueue opens the job queue on the database: SQLite's write pool, or its own pool on
// PostgreSQL. The queue also runs the nightly refresh of the providers' repository lists,
// on River's leader only. The function returned releases what it opened.
func openQueue(ctx context.Context, cfg *Config, db *sqlstore.DB, syncer *gitsync.Service, providers *provider.Service, logger *slog.Logger) (*jobs.Queue, func(), error) {
	qcfg := jobs.Config{Sync: syncer, Workers: cfg.Workers, Logger: logger, RefreshRepositories: providers.RefreshAll}
	if db.Dialect() == sqlstore.SQLite {
		q, err := jobs.OpenSQLite(ctx, db.WritePool(), qcfg)
		if err != nil {
			return nil, nil, fmt.Errorf("open the job queue: %w", err)
		}
		return q, func() {}, nil
	}
	q, closePool, err := jobs.OpenPostgres(ctx, cfg.DatabaseURL, qcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("open the job queue: %w", err)
	}
	return q, closePool, nil
}

// adminTokenHash returns the SHA-256 of the admin token: the configured one, else the one
// generated on the first start. A generated token is written to w once, when it is made,
// and only its hash is stored.
func adminTokenHash(ctx context.Context, db ferry.SettingService, configured string, w io.Writer, logger *slog.Logger) ([32]byte, error) {
	if configured != "" {
		return sha256.Sum256([]byte(configured)), nil
	}
	token := newToken()
	sum := sha256.Sum256([]byte(token))
	created, err := db.InitSetting(ctx, ferry.SettingAdminTokenHash, hex.EncodeToString(sum[:]))
	if err != nil {
		return sum, fmt.Errorf("store admin token: %w", err)
	}
	if created {
		fmt.Fprintf(w, "\n    Ferry generated an admin API token. It is shown this once; only its hash is kept:\n\n        %s\n\n    Use it as FERRY_TOKEN for the CLI or as 'Authorization: Bearer <token>'.\n\n", token)
		logger.Info("admin token generated and printed once above")
		return sum, nil
	}
	stored, err := db.Setting(ctx, ferry.SettingAdminTokenHash)
	if err != nil {
		return sum, err
	}
	b, err := hex.DecodeString(stored)
	if err != nil || len(b) != len(sum) {
		return sum, fmt.Errorf("the stored admin token hash is corrupt; set FERRY_ADMIN_TOKEN to choose a token")
	}
	copy(sum[:], b)
	logger.Info("admin token: using the one generated on first start (set FERRY_ADMIN_TOKEN to choose another)")
	return sum, nil
}

// newToken returns a random API token: "fy_" and 32 random bytes, base64url.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "fy_" + base64.RawURLEncoding.EncodeToString(b)
}

// bootstrapAdmin makes, on a database without users, the admin user "admin" with
// password pw, or a generated one written to w once.
func bootstrapAdmin(ctx context.Context, db ferry.UserService, pw string, w io.Writer, logger *slog.Logger) error {
	n, err := db.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	generated := pw == ""
	if generated {
		pw = password.Generate(20)
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	err = db.CreateUser(ctx, &ferry.User{Name: "admin", Admin: true}, hash)
	if ferry.ErrorCode(err) == ferry.ECONFLICT {
		return nil // another server made it first
	} else if err != nil {
		return fmt.Errorf("create the admin user: %w", err)
	}
	if generated {
		fmt.Fprintf(w, "\n    Ferry made the user \"admin\" with a one-time password. It is shown this once; change it\n    after logging in (ferry user passwd admin):\n\n        %s\n\n", pw)
		logger.Info("admin user created; its password was printed once above")
	} else {
		logger.Info("admin user created with the password from FERRY_ADMIN_PASSWORD")
	}
	return nil
}
