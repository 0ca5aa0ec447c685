// Package jobs is Ferry's durable job queue: River on the same database as everything else,
// with its SQLite driver for the embedded default and its pgx driver for PostgreSQL. Queued
// and running work survives a restart, and periodic work (cron schedules, clean-ups) runs
// once across replicas, on River's elected leader.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/gitsync"
)

// Retry bounds: a failed run is retried after about MinBackoff, doubling up to MaxBackoff,
// with jitter, for at most MaxAttempts attempts.
const (
	MinBackoff  = time.Second
	MaxBackoff  = 15 * time.Minute
	MaxAttempts = 25
)

// Config says what the queue runs.
type Config struct {
	Sync    *gitsync.Service
	Workers int           // concurrent runs; default 4
	Timeout time.Duration // one run's limit; default 30 minutes
	Poll    string        // the cron schedule of the poll for scheduled bindings; default every minute
	Logger  *slog.Logger

	// RefreshRepositories refreshes every provider's cached repository list; run nightly
	// at RefreshSchedule on River's leader, so once across replicas. Nil: no refresh job.
	RefreshRepositories func(context.Context) error
}

// RefreshSchedule is the cron schedule, in UTC, of the nightly repository-list refresh.
const RefreshSchedule = "0 3 * * *"

// refreshSchedule is RefreshSchedule in UTC, whatever the local time zone.
func refreshSchedule() cron.Schedule {
	s, err := cron.ParseStandard("CRON_TZ=UTC " + RefreshSchedule)
	if err != nil {
		panic(err) // a constant
	}
	return s
}

// Queue is the job queue. It implements gitsync.Queue.
type Queue struct {
	insert func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
	start  func(ctx context.Context) error
	stop   func(ctx context.Context) error
}

// OpenSQLite returns a queue on the SQLite database that pool writes to; River wants the
// pool's one connection.
func OpenSQLite(ctx context.Context, pool *sql.DB, cfg Config) (*Queue, error) {
	return open(ctx, localFetchDriver{riversqlite.New(pool)}, cfg, true)
}

// localFetchDriver is River's SQLite driver reporting no listener, which SQLite cannot have:
// River then wakes its own producer on each insert instead of at the next poll, so a pull
// starts within milliseconds of its trigger.
type localFetchDriver struct{ *riversqlite.Driver }

// SupportsListener reports false: SQLite has no LISTEN/NOTIFY.
func (localFetchDriver) SupportsListener() bool { return false }

// OpenPostgres returns a queue on the PostgreSQL database at url.
func OpenPostgres(ctx context.Context, url string, cfg Config) (*Queue, func(), error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, nil, fmt.Errorf("connect the job queue to PostgreSQL: %w", err)
	}
	q, err := open(ctx, riverpgxv5.New(pool), cfg, false)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return q, pool.Close, nil
}

// open migrates River's tables and builds its client.
func open[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], cfg Config, pollOnly bool) (*Queue, error) {
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quiet(cfg.Logger)})
	if err != nil {
		return nil, err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("migrate the job queue: %w", err)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Minute
	}
	if cfg.Poll == "" {
		cfg.Poll = "* * * * *"
	}
	poll, err := cron.ParseStandard(cfg.Poll)
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &pullWorker{sync: cfg.Sync})
	river.AddWorker(workers, &pollWorker{sync: cfg.Sync})
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(poll, func() (river.JobArgs, *river.InsertOpts) { return PollArgs{}, nil },
			&river.PeriodicJobOpts{ID: "poll", RunOnStart: true}),
	}
	if cfg.RefreshRepositories != nil {
		river.AddWorker(workers, &refreshWorker{refresh: cfg.RefreshRepositories})
		periodic = append(periodic, river.NewPeriodicJob(refreshSchedule(),
			func() (river.JobArgs, *river.InsertOpts) { return RefreshArgs{}, nil },
			&river.PeriodicJobOpts{ID: "refresh_repositories"}))
	}
	client, err := river.NewClient(driver, &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		JobTimeout:           cfg.Timeout,
		RescueStuckJobsAfter: cfg.Timeout + time.Minute,
		MaxAttempts:          MaxAttempts,
		RetryPolicy:          backoff{},
		PollOnly:             pollOnly,
		FetchPollInterval:    500 * time.Millisecond,
		FetchCooldown:        5 * time.Millisecond,
		Logger:               quiet(cfg.Logger),
		PeriodicJobs:         periodic,
	})
	if err != nil {
		return nil, err
	}
	return &Queue{
		insert: func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
			_, err := client.Insert(ctx, args, opts)
			return err
		},
		start: client.Start,
		stop:  client.Stop,
	}, nil
}

// quiet keeps River's own chatter at warnings and above.
func quiet(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return slog.New(levelHandler{l.Handler(), slog.LevelWarn})
}

type levelHandler struct {
	slog.Handler
	min slog.Level
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// Start starts working jobs until Stop.
func (q *Queue) Start(ctx context.Context) error { return q.start(ctx) }

// Stop stops taking jobs and waits, until ctx ends, for those under way.
func (q *Queue) Stop(ctx context.Context) error { return q.stop(ctx) }

// EnqueueRun queues the job of a run; a run has one job, however often it is enqueued.
func (q *Queue) EnqueueRun(ctx context.Context, run *ferry.Run) error {
	args := PullArgs{RunID: run.ID, Queued: run.QueuedAt.UnixNano()}
	return q.insert(ctx, args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
}

// PullArgs is the job of one run, pull or push. Queued tells runs apart whose ID SQLite
// gave again after the newest run was deleted with its binding: River keeps completed jobs
// a while, and one with the same arguments would keep the new run's job out.
type PullArgs struct {
	RunID  int64 `json:"run_id"`
	Queued int64 `json:"queued"`
}

// Kind names the job kind in River's tables.
func (PullArgs) Kind() string { return "ferry_pull" }

type pullWorker struct {
	river.WorkerDefaults[PullArgs]
	sync *gitsync.Service
}

// Work carries out one attempt of the run; a busy binding snoozes it briefly.
func (w *pullWorker) Work(ctx context.Context, job *river.Job[PullArgs]) error {
	final := job.Attempt >= job.MaxAttempts
	err := w.sync.Execute(ctx, job.Args.RunID, final)
	if errors.Is(err, gitsync.ErrBusy) {
		return river.JobSnooze(time.Second)
	}
	return err
}

// PollArgs is the periodic job that polls scheduled bindings.
type PollArgs struct{}

// Kind names the job kind in River's tables.
func (PollArgs) Kind() string { return "ferry_poll" }

type pollWorker struct {
	river.WorkerDefaults[PollArgs]
	sync *gitsync.Service
}

// Work polls the due bindings, re-enqueues runs whose job went missing, and drops old runs.
func (w *pollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	return w.sync.Poll(ctx)
}

// RefreshArgs is the nightly job that refreshes every provider's cached repository list.
type RefreshArgs struct{}

// Kind names the job kind in River's tables.
func (RefreshArgs) Kind() string { return "ferry_refresh_repositories" }

// InsertOpts keeps a failed refresh from retrying for long: the next night's run comes anyway.
func (RefreshArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type refreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	refresh func(context.Context) error
}

// Work refreshes the repository lists.
func (w *refreshWorker) Work(ctx context.Context, job *river.Job[RefreshArgs]) error {
	return w.refresh(ctx)
}

// backoff retries after 1 s, 2 s, 4 s … up to 15 min, each ±20 %.
type backoff struct{}

// NextRetry implements river.ClientRetryPolicy.
func (backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := MinBackoff << min(max(job.Attempt-1, 0), 20)
	if d > MaxBackoff {
		d = MaxBackoff
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Now().Add(time.Duration(float64(d) * jitter))
}
