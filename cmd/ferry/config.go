package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/password"
	"github.com/ferrygit/ferry/secretbox"
)

// Config is what ferry serve runs with. Each field comes from a flag, else its FERRY_*
// environment variable, else its default; secrets may also come from a file named by the
// flag or variable ending in _FILE.
type Config struct {
	Listen          string
	DataDir         string
	DatabaseURL     string // secret: may hold a password
	AdminToken      string // secret
	LogFormat       string
	LogLevel        string
	MaxFileSize     int64
	ShutdownTimeout time.Duration
	SecretKey       string // secret: the master key, from FERRY_SECRET_KEY only (never a flag)
	SecretKeyFile   string // a file holding the master key; neither set: <data-dir>/secret.key
	Policy          ferry.URLPolicy
	GitTimeout      time.Duration
	Workers         int           // runs carried out at once
	RunRetention    time.Duration // how long finished runs are kept
	PublicURL       string        // the base URL Git providers reach the server at, for webhook URLs; "" for the listen address

	AdminPassword    string         // secret: the first admin user's password; generated and printed once when unset
	MaxTokenLifetime ferry.Lifetime // the longest lifetime a new API token may have
	SessionLifetime  time.Duration  // how long a login lasts
	InsecureCookies  bool           // leave Secure off the session cookie (plain HTTP beyond localhost)
}

// configVar describes one setting: its flag, its environment variable and its usage text.
type configVar struct {
	flag, env, usage, def string
	secret                bool
}

var configVars = []configVar{
	{flag: "listen", env: "FERRY_LISTEN", def: "127.0.0.1:8080", usage: "address to serve HTTP on"},
	{flag: "data-dir", env: "FERRY_DATA_DIR", def: "./ferry-data", usage: "directory for the embedded SQLite database and local state"},
	{flag: "database-url", env: "FERRY_DATABASE_URL", secret: true, usage: "PostgreSQL URL (postgres://…); empty for embedded SQLite in the data directory"},
	{flag: "admin-token", env: "FERRY_ADMIN_TOKEN", secret: true, usage: "the admin API token; generated and printed once on first start when unset"},
	{flag: "log-format", env: "FERRY_LOG_FORMAT", def: "text", usage: "log format: text or json"},
	{flag: "log-level", env: "FERRY_LOG_LEVEL", def: "info", usage: "log level: debug, info, warn or error"},
	{flag: "max-file-size", env: "FERRY_MAX_FILE_SIZE", def: "10MiB", usage: "largest file a namespace accepts (bytes, or with KiB, MiB, GiB)"},
	{flag: "shutdown-timeout", env: "FERRY_SHUTDOWN_TIMEOUT", def: "30s", usage: "how long a shutdown waits for requests under way"},
	{flag: "allow-hosts", env: "FERRY_ALLOW_HOSTS", usage: "comma-separated hosts (git.example.com, *.corp.example) and CIDRs (10.0.0.0/8) on loopback or private networks that remotes may use"},
	{flag: "allow-insecure-http", env: "FERRY_ALLOW_INSECURE_HTTP", def: "false", usage: "allow http:// remotes, which send credentials and content unencrypted"},
	{flag: "git-timeout", env: "FERRY_GIT_TIMEOUT", def: "120s", usage: "how long one git operation (list refs, fetch, push) may take"},
	{flag: "workers", env: "FERRY_WORKERS", def: "4", usage: "how many pulls and pushes run at once"},
	{flag: "run-retention", env: "FERRY_RUN_RETENTION", def: "2160h", usage: "how long finished runs are kept (default 90 days)"},
	{flag: "admin-password", env: "FERRY_ADMIN_PASSWORD", secret: true, usage: "password of the admin user made on a fresh database; generated and printed once when unset"},
	{flag: "max-token-lifetime", env: "FERRY_MAX_TOKEN_LIFETIME", def: "P1Y", usage: "the longest lifetime a new API token may have, as an ISO-8601 duration (P1Y, P90D)"},
	{flag: "session-lifetime", env: "FERRY_SESSION_LIFETIME", def: "12h", usage: "how long a UI login lasts"},
	{flag: "insecure-cookies", env: "FERRY_INSECURE_COOKIES", def: "false", usage: "send the session cookie without Secure, for a server reached over plain HTTP other than on localhost"},
	{flag: "public-url", env: "FERRY_PUBLIC_URL", usage: "the base URL at which Git providers reach this server (https://ferry.example.com), for webhook URLs; default http://<listen address>"},
}

// loadConfig reads the config from args and the environment. It returns errUsage after
// printing help for -h.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("ferry serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := map[string]*string{}
	files := map[string]*string{}
	for _, v := range configVars {
		values[v.flag] = fs.String(v.flag, "", fmt.Sprintf("%s (env %s, default %q)", v.usage, v.env, v.def))
		if v.secret {
			files[v.flag] = fs.String(v.flag+"-file", "", fmt.Sprintf("file holding the %s (env %s_FILE)", v.flag, v.env))
		}
	}
	secretKeyFile := fs.String("secret-key-file", "", "file holding the master key that encrypts credentials: 32 bytes, base64 or hex "+
		"(env FERRY_SECRET_KEY_FILE, or the key itself in FERRY_SECRET_KEY; default: <data-dir>/secret.key, generated on first start)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ferry serve [flags]\n\nRuns the Ferry server. Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, errUsage
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("ferry serve takes no arguments, got %q", fs.Arg(0))
	}
	get := func(v configVar) (string, error) {
		if s := *values[v.flag]; s != "" {
			return s, nil
		}
		if s := getenv(v.env); s != "" {
			return s, nil
		}
		if v.secret {
			path := *files[v.flag]
			if path == "" {
				path = getenv(v.env + "_FILE")
			}
			if path != "" {
				b, err := os.ReadFile(path)
				if err != nil {
					return "", fmt.Errorf("read --%s-file: %w", v.flag, err)
				}
				return strings.TrimSpace(string(b)), nil
			}
		}
		return v.def, nil
	}
	raw := map[string]string{}
	for _, v := range configVars {
		s, err := get(v)
		if err != nil {
			return nil, err
		}
		raw[v.flag] = s
	}
	cfg := &Config{
		Listen:        raw["listen"],
		DataDir:       raw["data-dir"],
		DatabaseURL:   raw["database-url"],
		AdminToken:    raw["admin-token"],
		AdminPassword: raw["admin-password"],
		LogFormat:     raw["log-format"],
		LogLevel:      raw["log-level"],
		PublicURL:     strings.TrimSuffix(raw["public-url"], "/"),

		SecretKey:     getenv("FERRY_SECRET_KEY"),
		SecretKeyFile: *secretKeyFile,
	}
	if cfg.SecretKeyFile == "" {
		cfg.SecretKeyFile = getenv("FERRY_SECRET_KEY_FILE")
	}
	var err error
	if cfg.MaxTokenLifetime, err = ferry.ParseLifetime(raw["max-token-lifetime"]); err != nil {
		return nil, fmt.Errorf("--max-token-lifetime: %s", ferry.ErrorMessage(err))
	}
	if cfg.SessionLifetime, err = time.ParseDuration(raw["session-lifetime"]); err != nil || cfg.SessionLifetime < time.Minute {
		return nil, fmt.Errorf("--session-lifetime: %q is not a duration of at least 1m, such as 12h", raw["session-lifetime"])
	}
	if cfg.InsecureCookies, err = strconv.ParseBool(raw["insecure-cookies"]); err != nil {
		return nil, fmt.Errorf("--insecure-cookies: %q is not true or false", raw["insecure-cookies"])
	}
	if cfg.AdminPassword != "" {
		if err := password.Check(cfg.AdminPassword); err != nil {
			return nil, fmt.Errorf("--admin-password: %s", ferry.ErrorMessage(err))
		}
	}
	if cfg.MaxFileSize, err = parseBytes(raw["max-file-size"]); err != nil {
		return nil, fmt.Errorf("--max-file-size: %w", err)
	}
	if cfg.ShutdownTimeout, err = time.ParseDuration(raw["shutdown-timeout"]); err != nil || cfg.ShutdownTimeout <= 0 {
		return nil, fmt.Errorf("--shutdown-timeout: %q is not a positive duration such as 30s", raw["shutdown-timeout"])
	}
	if cfg.GitTimeout, err = time.ParseDuration(raw["git-timeout"]); err != nil || cfg.GitTimeout <= 0 {
		return nil, fmt.Errorf("--git-timeout: %q is not a positive duration such as 120s", raw["git-timeout"])
	}
	if cfg.Workers, err = strconv.Atoi(raw["workers"]); err != nil || cfg.Workers < 1 || cfg.Workers > 256 {
		return nil, fmt.Errorf("--workers: %q is not a number from 1 to 256", raw["workers"])
	}
	if cfg.RunRetention, err = time.ParseDuration(raw["run-retention"]); err != nil || cfg.RunRetention < time.Hour {
		return nil, fmt.Errorf("--run-retention: %q is not a duration of at least 1h, such as 2160h for 90 days", raw["run-retention"])
	}
	if cfg.Policy.AllowInsecureHTTP, err = strconv.ParseBool(raw["allow-insecure-http"]); err != nil {
		return nil, fmt.Errorf("--allow-insecure-http: %q is not true or false", raw["allow-insecure-http"])
	}
	for _, h := range strings.Split(raw["allow-hosts"], ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.Policy.AllowHosts = append(cfg.Policy.AllowHosts, h)
		}
	}
	return cfg, cfg.Validate()
}

// Validate returns an error naming the first setting that cannot work.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("--listen: %q is not a host:port address such as 127.0.0.1:8080", c.Listen)
	}
	if err := c.Policy.Validate(); err != nil {
		return fmt.Errorf("--allow-hosts: %s", ferry.ErrorMessage(err))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		return fmt.Errorf("--data-dir: a data directory is required for the embedded database")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return fmt.Errorf("--database-url: must be a PostgreSQL URL such as postgres://user@host:5432/ferry")
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("--public-url: %q is not a base URL such as https://ferry.example.com", c.PublicURL)
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format: %q is not text or json", c.LogFormat)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("--log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.MaxFileSize < 1 || c.MaxFileSize > 1<<30 {
		return fmt.Errorf("--max-file-size: must be between 1 byte and 1GiB")
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return fmt.Errorf("--admin-token: must be at least 16 characters; a long random value is best")
	}
	if c.SecretKey != "" && c.SecretKeyFile != "" {
		return fmt.Errorf("--secret-key-file: FERRY_SECRET_KEY is set too; set only one")
	}
	if c.SecretKey != "" {
		if _, err := secretbox.ParseKey(c.SecretKey); err != nil {
			return fmt.Errorf("FERRY_SECRET_KEY: %w", err)
		}
	}
	return nil
}

// Redacted returns the config as log attributes, secrets replaced.
func (c *Config) Redacted() []any {
	db := "sqlite:" + c.DataDir
	if c.DatabaseURL != "" {
		db = "(unparseable)"
		if u, err := url.Parse(c.DatabaseURL); err == nil {
			u.RawQuery = ""
			db = u.Redacted()
		}
	}
	token := "generated"
	if c.AdminToken != "" {
		token = "configured"
	}
	secretKey := "data-dir file"
	switch {
	case c.SecretKey != "":
		secretKey = "FERRY_SECRET_KEY"
	case c.SecretKeyFile != "":
		secretKey = "file " + c.SecretKeyFile
	}
	return []any{"listen", c.Listen, "database", db, "admin_token", token, "log_format", c.LogFormat,
		"max_file_size", ferry.HumanBytes(c.MaxFileSize), "secret_key", secretKey,
		"allow_hosts", strings.Join(c.Policy.AllowHosts, ","), "allow_insecure_http", c.Policy.AllowInsecureHTTP, "git_timeout", c.GitTimeout, "public_url", c.PublicURL,
		"max_token_lifetime", c.MaxTokenLifetime.String(), "session_lifetime", c.SessionLifetime, "insecure_cookies", c.InsecureCookies}
}

// newLogger returns the logger the config asks for, writing to w.
func (c *Config) newLogger(w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// parseBytes reads a size such as 10485760, 512KiB, 10MiB or 1GiB.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size such as 10MiB, 512KiB or 1048576", s)
	}
	return n * mult, nil
}
