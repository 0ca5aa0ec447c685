package gitsync

import (
	"context"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/schedule"
)

// DefaultRunRetention is how long finished runs are kept unless Service.RunRetention says
// otherwise.
const DefaultRunRetention = 90 * 24 * time.Hour

// pollBatch bounds the bindings one poll looks at; the rest wait for the next.
const pollBatch = 5000

// Poll looks at the scheduled bindings whose time has come. Bindings on the same URL and
// credential share one ref listing; a pull is queued only for those whose ref moved, or whose
// remote could not be listed while they were healthy (the run records why). It also
// re-enqueues runs whose job went missing and drops runs past their retention.
func (s *Service) Poll(ctx context.Context) error {
	now := s.now()
	due, err := s.Store.DueBindings(ctx, now, pollBatch)
	if err != nil {
		return err
	}
	type group struct {
		info *ferry.RemoteInfo
		err  error
	}
	listed := map[string]*group{}
	for _, b := range due {
		var next *time.Time
		if sched, err := schedule.Parse(b.Schedule); err == nil {
			t := sched.Next(now)
			next = &t
		}
		key := b.URL + "\x00" + b.Credential
		g, ok := listed[key]
		if !ok && b.Pulls() && b.Status.State != ferry.StateStalled {
			g = &group{}
			g.info, g.err = s.listRefs(ctx, b)
			listed[key] = g
		}
		if g != nil && b.Pulls() && s.pollWants(b, g.info, g.err) {
			if _, err := s.queue(ctx, b, ferry.PullRequest{Trigger: ferry.TriggerSchedule}); err != nil {
				return err
			}
		}
		remoteCommit := ""
		if g != nil && g.err == nil {
			if found, ok := resolveRef(g.info, b.Ref); ok {
				remoteCommit = found.Commit
			}
		}
		if err := s.Store.SetNextRun(ctx, b.ID, next, g != nil && g.err == nil, remoteCommit); err != nil {
			return err
		}
	}
	if err := s.sweep(ctx, now); err != nil {
		return err
	}
	retention := s.RunRetention
	if retention <= 0 {
		retention = DefaultRunRetention
	}
	_, err = s.Store.DeleteRunsBefore(ctx, now.Add(-retention))
	return err
}

// listRefs lists a binding's remote with its credential.
func (s *Service) listRefs(ctx context.Context, b *ferry.Binding) (*ferry.RemoteInfo, error) {
	remote, err := ferry.ParseRemoteURL(b.URL)
	if err != nil {
		return nil, err
	}
	auth, err := s.Secrets.Auth(ctx, b.Credential)
	if err != nil {
		return nil, err
	}
	return s.Git.ListRefs(ctx, remote, auth)
}

// pollWants reports whether a poll should queue a pull of b.
func (s *Service) pollWants(b *ferry.Binding, info *ferry.RemoteInfo, err error) bool {
	switch b.Status.State {
	case ferry.StateQueued, ferry.StateRunning, ferry.StateStalled:
		return false // a run is on its way, or the binding waits for the user
	}
	if err != nil {
		// Let a run find out and record why, unless one failed already and is retrying
		// with its own backoff.
		return b.Status.State != ferry.StateFailed
	}
	found, ok := resolveRef(info, b.Ref)
	return !ok || found.Commit != b.Status.LastCommit
}

// sweep enqueues the jobs of runs queued a while ago, in case a crash came between
// recording a run and enqueuing its job; the queue keeps one job per run.
func (s *Service) sweep(ctx context.Context, now time.Time) error {
	ids, err := s.Store.QueuedRuns(ctx, now.Add(-30*time.Second), 1000)
	if err != nil {
		return err
	}
	for _, id := range ids {
		run, err := s.Store.FindRunByID(ctx, id)
		if err != nil {
			return err
		}
		if err := s.Queue.EnqueueRun(ctx, run); err != nil {
			return err
		}
	}
	return nil
}

// resolveRef finds a binding's ref ("" for the default branch) among a remote's refs.
func resolveRef(info *ferry.RemoteInfo, ref string) (ferry.RemoteRef, bool) {
	switch {
	case ref == "":
		ref = "HEAD"
	case len(ref) < 5 || ref[:5] != "refs/":
		ref = "refs/heads/" + ref
	}
	return info.Resolve(ref)
}
