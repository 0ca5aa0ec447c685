// Package sqlstore keeps Ferry's state in SQL: embedded SQLite by default, PostgreSQL when
// several replicas share one database. Both dialects pass the same contract test suite.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ferrygit/ferry"
)

// The dialects a DB speaks.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// live is the to_rev of a file row that is still live at the head.
const live = int64(1<<63 - 1)

// liveSQL is live as an SQL literal.
const liveSQL = "9223372036854775807"

// Config says where the database is.
type Config struct {
	DataDir     string           // holds ferry.db when DatabaseURL is empty
	DatabaseURL string           // postgres://… or postgresql://…; empty for SQLite
	Now         func() time.Time // the clock; time.Now when nil
	Sealer      ferry.Sealer     // seals credential secrets; credentials are unavailable when nil
}

// DB is Ferry's database. It implements ferry.NamespaceService, ferry.FileService,
// ferry.SettingService, ferry.CredentialService, ferry.KnownHostService, the binding, run,
// webhook and provider stores, ferry.TokenService, ferry.UserService, ferry.AuditService and
// ferry.CatalogStore.
type DB struct {
	dialect string
	url     string  // the PostgreSQL URL; "" for SQLite
	write   *sql.DB // for SQLite, one connection that takes the write lock at BEGIN
	read    *sql.DB // for SQLite, a pool of read-only connections; for PostgreSQL, write
	now     func() time.Time
	sealer  ferry.Sealer

	rowsWritten atomic.Int64 // rows inserted, updated or deleted since Open
}

// Open opens the database the config names, creating it if needed, and migrates it.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{now: cfg.Now, sealer: cfg.Sealer}
	if db.now == nil {
		db.now = time.Now
	}
	var err error
	switch {
	case cfg.DatabaseURL == "":
		err = db.openSQLite(cfg.DataDir)
	case strings.HasPrefix(cfg.DatabaseURL, "postgres://"), strings.HasPrefix(cfg.DatabaseURL, "postgresql://"):
		err = db.openPostgres(cfg.DatabaseURL)
	default:
		return nil, fmt.Errorf("database URL must start with postgres:// or postgresql:// (or be empty for embedded SQLite)")
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", db.dialect, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s database: %w", db.dialect, err)
	}
	return db, nil
}

func (db *DB) openSQLite(dir string) error {
	if dir == "" {
		return fmt.Errorf("a data directory is required for SQLite")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, "ferry.db")
	pragmas := "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	var err error
	if db.write, err = sql.Open("sqlite", dsn+"&_txlock=immediate"); err != nil {
		return err
	}
	db.write.SetMaxOpenConns(1)
	if db.read, err = sql.Open("sqlite", dsn+"&_pragma=query_only(1)"); err != nil {
		db.write.Close()
		return err
	}
	db.read.SetMaxOpenConns(4)
	db.read.SetConnMaxIdleTime(time.Minute)
	db.dialect = SQLite
	return nil
}

func (db *DB) openPostgres(dsn string) error {
	var err error
	if db.write, err = sql.Open("pgx", dsn); err != nil {
		return fmt.Errorf("parse PostgreSQL URL: %v", redactedErr(err))
	}
	db.write.SetMaxOpenConns(16)
	db.read = db.write
	db.dialect, db.url = Postgres, dsn
	return nil
}

// redactedErr drops what a driver's error might echo of a connection string.
func redactedErr(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		return "invalid connection URL"
	}
	return msg
}

// Dialect returns SQLite or Postgres.
func (db *DB) Dialect() string { return db.dialect }

// RowsWritten returns how many rows were inserted, updated or deleted since Open.
func (db *DB) RowsWritten() int64 { return db.rowsWritten.Load() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return err
	}
	if db.read != db.write {
		return db.read.PingContext(ctx)
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	var err error
	if db.read != nil && db.read != db.write {
		err = db.read.Close()
	}
	if db.write != nil {
		err = errors.Join(err, db.write.Close())
	}
	return err
}

// Tx is a write transaction that carries the time it started, so every row it writes
// records the same moment.
type Tx struct {
	*sql.Tx
	db  *DB
	now time.Time
}

// begin starts a write transaction.
func (db *DB) begin(ctx context.Context) (*Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{Tx: tx, db: db, now: db.now().UTC()}, nil
}

// exec runs a statement and counts the rows it wrote.
func (tx *Tx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	tx.db.rowsWritten.Add(n)
	return n, nil
}

// forUpdate is the clause that locks a selected row until the transaction ends. SQLite needs
// none: its write transactions hold the database's one write lock from BEGIN.
func (db *DB) forUpdate() string {
	if db.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// forShare returns the clause that share-locks the rows a SELECT reads, on PostgreSQL; SQLite
// runs one writing transaction at a time and needs none.
func (db *DB) forShare() string {
	if db.dialect == Postgres {
		return " FOR SHARE"
	}
	return ""
}

// isUniqueViolation reports whether err is a unique or primary-key constraint failure.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		code := sqliteErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound builds an ENOTFOUND error.
func notFound(format string, args ...any) error {
	return ferry.Errorf(ferry.ENOTFOUND, format, args...)
}

// WritePool returns the pool that writes: for SQLite its one connection, which the job
// queue shares so that writers never contend for the database's lock across pools.
func (db *DB) WritePool() *sql.DB { return db.write }

// URL returns the PostgreSQL URL the database was opened with; "" for SQLite.
func (db *DB) URL() string { return db.url }
