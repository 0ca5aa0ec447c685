package gitsync

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/schedule"
)

// Store is the storage the sync service needs: namespaces, files, bindings and runs.
type Store interface {
	ferry.NamespaceService
	ferry.FileService
	ferry.BindingService
	ferry.RunService
	FindRunByID(ctx context.Context, id int64) (*ferry.Run, error)
	// ReadBlobs calls fn with the content of each blob (by ferry.File.Blob ID), in any order.
	ReadBlobs(ctx context.Context, ids []string, fn func(id string, content []byte) error) error
	QueueRun(ctx context.Context, req ferry.RunRequest) (*ferry.Run, bool, error)
	StartRun(ctx context.Context, id int64) (*ferry.Run, *ferry.Binding, error)
	FinishRun(ctx context.Context, r *ferry.Run, retry bool) error
	DueBindings(ctx context.Context, now time.Time, limit int) ([]*ferry.Binding, error)
	SetNextRun(ctx context.Context, bindingID int64, next *time.Time, checked bool, remoteCommit string) error
	QueuedRuns(ctx context.Context, before time.Time, limit int) ([]int64, error)
	DeleteRunsBefore(ctx context.Context, t time.Time) (int64, error)
	SetBindingEntityCommit(ctx context.Context, id int64, commit string) error
}

// Queue puts the job of a run in the job queue. Enqueuing a run twice is harmless: the queue
// keeps one job per run.
type Queue interface {
	EnqueueRun(ctx context.Context, run *ferry.Run) error
}

// Limits bound what a pull accepts.
type Limits struct {
	MaxFileSize  int64 // bytes of one file
	MaxFiles     int   // files under a binding's path
	MaxTotalSize int64 // bytes of all of them
}

// DefaultLimits are the limits when none are set: 10 MiB a file, 100,000 files, 1 GiB.
var DefaultLimits = Limits{MaxFileSize: ferry.DefaultMaxFileSize, MaxFiles: 100_000, MaxTotalSize: 1 << 30}

// Service implements ferry.SyncService, and carries out the runs it queues (Execute).
type Service struct {
	Store   Store
	Git     ferry.GitEngine
	Secrets *Secrets
	Policy  ferry.URLPolicy
	Queue   Queue
	Limits  Limits
	// RunRetention is how long finished runs are kept; DefaultRunRetention when 0.
	RunRetention time.Duration
	// Catalog applies the entity files of bindings that set an entity glob; nil: pulls
	// read no entities.
	Catalog ferry.EntitySyncer
	Logger  *slog.Logger
	Now     func() time.Time

	done     sync.Mutex
	finished chan struct{} // closed and replaced when a run finishes here; guarded by done
}

var (
	_ ferry.SyncService = (*Service)(nil)
	_ ferry.Pusher      = (*Service)(nil)
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// prepare validates a binding's configuration beyond its fields' syntax: the schedule and
// the URL policy. It sets the next scheduled time.
func (s *Service) prepare(b *ferry.Binding) error {
	if err := b.Validate(); err != nil {
		return err
	}
	b.Schedule = strings.TrimSpace(b.Schedule)
	b.Status.NextRunAt = nil
	if b.Schedule != "" {
		sched, err := schedule.Parse(b.Schedule)
		if err != nil {
			return err
		}
		next := sched.Next(s.now())
		b.Status.NextRunAt = &next
	}
	if b.URL == "" {
		return ferry.Errorf(ferry.EINVALID, "Binding %q names provider %q, whose repository URL was not resolved; this server binds through providers only with a provider connection.", b.Name, b.Provider)
	}
	remote, _ := ferry.ParseRemoteURL(b.URL)
	if err := s.Policy.Check(remote); err != nil {
		return err
	}
	return nil
}

// CreateBinding validates and stores a binding and queues its first pull when it pulls.
func (s *Service) CreateBinding(ctx context.Context, b *ferry.Binding, actor string) (*ferry.Run, error) {
	if err := s.prepare(b); err != nil {
		return nil, err
	}
	if err := s.Store.CreateBinding(ctx, b); err != nil {
		return nil, err
	}
	if !b.Pulls() {
		return nil, nil
	}
	return s.queue(ctx, b, ferry.PullRequest{Trigger: ferry.TriggerAPI, Actor: actor})
}

// UpdateBinding applies u to a binding.
func (s *Service) UpdateBinding(ctx context.Context, ns, name string, u ferry.BindingUpdate) (*ferry.Binding, error) {
	b, err := s.Store.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	u.Apply(b)
	if err := s.prepare(b); err != nil {
		return nil, err
	}
	if err := s.Store.UpdateBinding(ctx, b); err != nil {
		return nil, err
	}
	return s.Store.FindBinding(ctx, ns, name)
}

// DeleteBinding removes a binding with its runs.
func (s *Service) DeleteBinding(ctx context.Context, ns, name string) error {
	return s.Store.DeleteBinding(ctx, ns, name)
}

// CheckBinding checks availability with the binding's URL, ref and credential.
func (s *Service) CheckBinding(ctx context.Context, ns, name string) (*ferry.CheckResult, error) {
	b, err := s.Store.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	c := &Checker{Git: s.Git, Secrets: s.Secrets, Policy: s.Policy, Now: s.Now}
	return c.Check(ctx, ferry.CheckRequest{URL: b.URL, Ref: b.Ref, Credential: b.Credential})
}

// Pull queues a pull of a binding, or returns the one already waiting.
func (s *Service) Pull(ctx context.Context, ns, name string, req ferry.PullRequest) (*ferry.Run, error) {
	b, err := s.Store.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if !b.Pulls() {
		return nil, ferry.Errorf(ferry.EINVALID, "Binding %q only pushes (direction %s); change its direction to pull or both to pull from Git.", b.Name, b.Direction)
	}
	return s.queue(ctx, b, req)
}

// queue records a pull of b and enqueues its job.
func (s *Service) queue(ctx context.Context, b *ferry.Binding, req ferry.PullRequest) (*ferry.Run, error) {
	if req.Trigger == "" {
		req.Trigger = ferry.TriggerAPI
	}
	run, coalesced, err := s.Store.QueueRun(ctx, ferry.RunRequest{BindingID: b.ID, Kind: ferry.RunPull, Trigger: req.Trigger, Actor: req.Actor, Force: req.Force})
	if err != nil || coalesced {
		return run, err
	}
	if err := s.Queue.EnqueueRun(ctx, run); err != nil {
		// The run is recorded; the scheduler's sweep enqueues it again.
		s.logger().Error("enqueue run", "run", run.ID, "err", err)
	}
	return run, nil
}

// Sync queues a pull of every pulling binding at or under dir.
func (s *Service) Sync(ctx context.Context, ns, dir string, req ferry.PullRequest) ([]*ferry.Run, error) {
	dir = ferry.CleanDir(dir)
	if err := ferry.ValidateDir(dir); err != nil {
		return nil, err
	}
	var runs []*ferry.Run
	page := ferry.Page{Limit: ferry.MaxPageLimit}
	for {
		bindings, next, err := s.Store.ListBindings(ctx, ns, page)
		if err != nil {
			return nil, err
		}
		for _, b := range bindings {
			if !b.Pulls() || !(dir == "" || b.Directory == dir || strings.HasPrefix(b.Directory, dir+"/")) {
				continue
			}
			run, err := s.queue(ctx, b, req)
			if err != nil {
				return nil, err
			}
			runs = append(runs, run)
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if len(runs) == 0 {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "Namespace %q has no pull binding at or under %q.", ns, "/"+dir)
	}
	return runs, nil
}

// WaitRun waits until an attempt of run id has ended (the run is done, or waits for a
// retry), or ctx ends, and returns it as it is then.
func (s *Service) WaitRun(ctx context.Context, id int64) (*ferry.Run, error) {
	for {
		ch := s.finishedChan()
		run, err := s.Store.FindRunByID(ctx, id)
		if err != nil || run.State == ferry.RunDone || run.State == ferry.RunRetrying {
			return run, err
		}
		select {
		case <-ctx.Done():
			return run, nil
		case <-ch: // a run finished here
		case <-time.After(250 * time.Millisecond): // or on another replica
		}
	}
}

// finishedChan returns the channel closed when the next run finishes here.
func (s *Service) finishedChan() chan struct{} {
	s.done.Lock()
	defer s.done.Unlock()
	if s.finished == nil {
		s.finished = make(chan struct{})
	}
	return s.finished
}

// announceFinished wakes the waiters.
func (s *Service) announceFinished() {
	s.done.Lock()
	defer s.done.Unlock()
	if s.finished != nil {
		close(s.finished)
	}
	s.finished = make(chan struct{})
}
