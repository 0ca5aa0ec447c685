package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry/schedule"
)

func TestCronText(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"*/5 * * * *", "every 5 minutes"},
		{"*/15 * * * *", "every 15 minutes"},
		{"* * * * *", "every minute"},
		{"0 * * * *", "every hour"},
		{"5 * * * *", "every hour at minute 5"},
		{"0 */2 * * *", "every 2 hours"},
		{"30 */6 * * *", "every 6 hours at minute 30"},
		{"0 22 * * 1-5", "every weekday at 22:00"},
		{"0 22 * * MON-FRI", "every weekday at 22:00"},
		{"30 3 * * *", "every day at 03:30"},
		{"30 3 ? * ?", "every day at 03:30"},
		{"0 9 * * 1", "every Monday at 09:00"},
		{"45 23 * * 6", "every Saturday at 23:45"},
		{"5 4 * * SUN", "every Sunday at 04:05"},
		{"5 4 * * sun", "every Sunday at 04:05"},
		{"0 8 * * 5,1,3", "every Monday, Wednesday and Friday at 08:00"},
		{"0 10 * * 0,6", "every Saturday and Sunday at 10:00"},
		{"0 0 1 * *", "on day 1 of every month at 00:00"},
		{"15 6 28 * *", "on day 28 of every month at 06:15"},
		{"  0 9 * * 1  ", "every Monday at 09:00"},
		{"@hourly", "every hour"},
		{"@daily", "every day at 00:00"},
		{"@weekly", "every Sunday at 00:00"},
		{"@monthly", "on day 1 of every month at 00:00"},
		// Anything else is shown as it is, never misread.
		{"*/7 * * * *", "cron: */7 * * * *"},   // 56 → 0 is 4 minutes: not "every 7 minutes"
		{"0 */5 * * *", "cron: 0 */5 * * *"},   // 20 → 0 is 4 hours
		{"0 0 1 1 *", "cron: 0 0 1 1 *"},       // a month
		{"0 0 1 * 1", "cron: 0 0 1 * 1"},       // day 1 or Mondays
		{"0 9,17 * * *", "cron: 0 9,17 * * *"}, // two hours
		{"0 9-17 * * *", "cron: 0 9-17 * * *"},
		{"*/5 9 * * *", "cron: */5 9 * * *"},
		{"0 * 1 * *", "cron: 0 * 1 * *"},
		{"0 9 * * 7", "cron: 0 9 * * 7"},
		{"0 9 * * 1,1", "cron: 0 9 * * 1,1"},
		{"0 24 * * *", "cron: 0 24 * * *"},
		{"60 1 * * *", "cron: 60 1 * * *"},
		{"0 0 32 * *", "cron: 0 0 32 * *"},
		{"0 0 0 * *", "cron: 0 0 0 * *"},
		{"+5 1 * * *", "cron: +5 1 * * *"},
		{"0 0 * *", "cron: 0 0 * *"},
		{"@every 10m", "cron: @every 10m"},
		{"@yearly", "cron: @yearly"},
		{"", "cron: "},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			if got := cronText(tc.expr); got != tc.want {
				t.Fatalf("cronText(%q) = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

// TestCronTextAgreesWithSchedule checks each reading against the firings of the schedule
// Ferry actually runs: the gaps between them, and the first firing's time of day.
func TestCronTextAgreesWithSchedule(t *testing.T) {
	start := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC) // a Monday at midnight, UTC
	for _, tc := range []struct {
		expr  string
		gap   time.Duration // every gap between firings; 0: not checked
		first time.Time
	}{
		{"*/5 * * * *", 5 * time.Minute, start.Add(5 * time.Minute)},
		{"0 * * * *", time.Hour, start.Add(time.Hour)},
		{"0 */2 * * *", 2 * time.Hour, start.Add(2 * time.Hour)},
		{"30 3 * * *", 24 * time.Hour, start.Add(3*time.Hour + 30*time.Minute)},
		{"0 9 * * 1", 7 * 24 * time.Hour, start.Add(9 * time.Hour)},
		{"0 22 * * 1-5", 0, start.Add(22 * time.Hour)},
		{"0 0 1 * *", 0, time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)},
	} {
		s, err := schedule.Parse(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		at := s.Next(start)
		if !at.Equal(tc.first) {
			t.Errorf("%q (%s): first firing %s, want %s", tc.expr, cronText(tc.expr), at, tc.first)
		}
		for i := 0; tc.gap > 0 && i < 500; i++ {
			next := s.Next(at)
			if next.Sub(at) != tc.gap {
				t.Fatalf("%q (%s): %s → %s", tc.expr, cronText(tc.expr), at, next)
			}
			at = next
		}
	}
}

// FuzzCronText: a reading is given only for an expression the schedule package accepts,
// and anything else is shown as it is.
func FuzzCronText(f *testing.F) {
	for _, s := range []string{"*/5 * * * *", "0 22 * * 1-5", "0 0 1 * *", "0 9 * * MON,wed", "@hourly", "0 */3 * * *", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		got := cronText(expr)
		if strings.HasPrefix(got, "cron: ") {
			if got != "cron: "+strings.TrimSpace(expr) {
				t.Fatalf("cronText(%q) = %q", expr, got)
			}
			return
		}
		if err := schedule.Validate(strings.TrimSpace(expr)); err != nil {
			t.Fatalf("cronText(%q) = %q, but the schedule is invalid: %v", expr, got, err)
		}
	})
}
