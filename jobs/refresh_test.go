package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// The nightly refresh runs at 03:00 UTC whatever the local time zone.
func TestRefreshSchedule(t *testing.T) {
	s := refreshSchedule()
	from := time.Date(2025, 3, 10, 5, 0, 0, 0, time.FixedZone("UTC+9", 9*3600)) // 20:00 UTC on the 9th
	want := time.Date(2025, 3, 10, 3, 0, 0, 0, time.UTC)
	if got := s.Next(from); !got.Equal(want) {
		t.Errorf("next = %v, want %v", got.UTC(), want)
	}
}

func TestRefreshWorker(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	w := &refreshWorker{refresh: func(context.Context) error { calls++; return boom }}
	if err := w.Work(context.Background(), &river.Job[RefreshArgs]{}); !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("work = %v after %d calls", err, calls)
	}
	if (RefreshArgs{}).Kind() != "ferry_refresh_repositories" {
		t.Error("kind")
	}
}
