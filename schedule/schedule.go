// Package schedule reads the cron expressions that bindings are polled on: five fields
// (minute, hour, day of month, month, day of week) with names and ranges, or a descriptor
// such as @hourly. Parsing is robfig/cron's standard parser; this package gives its errors
// the shape and wording Ferry's users see.
package schedule

import (
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ferrygit/ferry"
)

// Schedule is a parsed cron expression.
type Schedule struct {
	expr string
	s    cron.Schedule
}

// MaxLength is the longest expression accepted, in bytes.
const MaxLength = 200

// Parse reads a cron expression. Returns EINVALID with a message that shows valid forms.
func Parse(expr string) (*Schedule, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, ferry.Errorf(ferry.EINVALID, "Schedule is empty. %s", help)
	}
	if len(expr) > MaxLength {
		return nil, ferry.Errorf(ferry.EINVALID, "Schedule is %d bytes long; at most %d are allowed.", len(expr), MaxLength)
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, ferry.Errorf(ferry.EINVALID, "Schedule %q sets a time zone; schedules run in UTC, so give the times in UTC. %s", expr, help)
	}
	if !strings.HasPrefix(expr, "@") {
		if n := len(strings.Fields(expr)); n != 5 {
			return nil, ferry.Errorf(ferry.EINVALID, "Schedule %q has %d fields; a cron expression has 5: minute, hour, day of month, month, day of week. %s", expr, n, help)
		}
	}
	if d, ok := strings.CutPrefix(expr, "@every "); ok {
		if every, err := time.ParseDuration(strings.TrimSpace(d)); err == nil && every < time.Minute {
			return nil, ferry.Errorf(ferry.EINVALID, "Schedule %q is more often than once a minute; polling faster only loads the Git host. Use a webhook for prompt updates.", expr)
		}
	}
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "Schedule %q is not a valid cron expression: %s. %s", expr, err.Error(), help)
	}
	return &Schedule{expr: expr, s: s}, nil
}

// help shows what a valid schedule looks like.
const help = `Examples: "*/5 * * * *" (every 5 minutes), "45 23 * * 6" (Saturdays at 23:45), "5 4 * * SUN", "0 22 * * 1-5" (weekdays at 22:00), "@hourly".`

// Validate returns EINVALID unless expr is a valid schedule; "" (no schedule) is valid.
func Validate(expr string) error {
	if expr == "" {
		return nil
	}
	_, err := Parse(expr)
	return err
}

// Next returns the first time after t that the schedule fires, in UTC.
func (s *Schedule) Next(t time.Time) time.Time { return s.s.Next(t.UTC()) }

// String returns the expression.
func (s *Schedule) String() string { return s.expr }
