package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/schedule"
)

func TestNext(t *testing.T) {
	// Sunday 2026-11-22 12:34:56 UTC.
	from := time.Date(2026, 11, 22, 12, 34, 56, 0, time.UTC)
	for _, tc := range []struct{ expr, want string }{
		{"* * * * *", "2026-11-22 12:35"},
		{"*/5 * * * *", "2026-11-22 12:35"},
		{"45 23 * * 6", "2026-11-28 23:45"}, // Saturday
		{"5 4 * * SUN", "2026-11-29 04:05"},
		{"0 22 * * 1-5", "2026-11-23 22:00"}, // Monday
		{"0 0 1 JAN *", "2027-01-01 00:00"},
		{"@hourly", "2026-11-22 13:00"},
		{"@daily", "2026-11-23 00:00"},
		{"@every 1h", "2026-11-22 13:34"},
		{"  0 22 * * MON-FRI  ", "2026-11-23 22:00"},
	} {
		s, err := schedule.Parse(tc.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.expr, err)
			continue
		}
		if got := s.Next(from).Format("2006-01-02 15:04"); got != tc.want {
			t.Errorf("%q: next after %v = %s, want %s", tc.expr, from, got, tc.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"", "empty"},
		{"* * * *", "has 4 fields"},
		{"0 * * * * *", "has 6 fields"},
		{"60 * * * *", "not a valid cron expression"},
		{"* 24 * * *", "not a valid cron expression"},
		{"* * * * FUNDAY", "not a valid cron expression"},
		{"5-1 * * * *", "not a valid cron expression"},
		{"@sometimes", "not a valid cron expression"},
		{"TZ=Europe/Paris 0 22 * * *", "time zone"},
		{"@every 10s", "once a minute"},
		{strings.Repeat("1,", 150) + "1 * * * *", "at most 200"},
	} {
		_, err := schedule.Parse(tc.expr)
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), tc.want) || !strings.Contains(ferry.ErrorMessage(err), "Examples") && tc.want != "at most 200" && tc.want != "once a minute" {
			t.Errorf("Parse(%q) = %v, want EINVALID mentioning %q and examples", tc.expr, err, tc.want)
		}
	}
	if err := schedule.Validate(""); err != nil {
		t.Errorf("Validate(\"\") = %v: no schedule is valid", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"* * * * *", "45 23 * * 6", "@hourly", "*/0 * * * *", "1-5/2 * * * MON"} {
		f.Add(seed)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := schedule.Parse(expr)
		if err != nil {
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Fatalf("Parse(%q) = %v, want EINVALID", expr, err)
			}
			return
		}
		if next := s.Next(from); !next.IsZero() && !next.After(from) {
			t.Fatalf("%q: next %v is not after %v", expr, next, from)
		}
	})
}
