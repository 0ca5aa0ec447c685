package ferry

import (
	"math"
	"strings"
	"testing"
	"time"
)

// lifetimeEpoch is the fixed time lifetimes are added to in tests: the last day of a 31-day
// month in a leap year, so that month arithmetic shows how time.AddDate normalizes.
var lifetimeEpoch = time.Date(2024, time.January, 31, 10, 0, 0, 0, time.UTC)

func TestParseLifetime(t *testing.T) {
	tests := []struct {
		in     string
		want   Lifetime
		str    string    // String(); "" means in itself
		addTo  time.Time // lifetimeEpoch plus the lifetime
		approx time.Duration
	}{
		{in: "P1Y", want: Lifetime{Years: 1}, addTo: date(2025, 1, 31, 10, 0, 0), approx: 31556952 * time.Second},
		{in: "P3Y6M4DT12H30M5S", want: Lifetime{Years: 3, Months: 6, Days: 4, Hours: 12, Minutes: 30, Seconds: 5},
			// 31 July 2027 plus 4 days, then 12:30:05 of clock time.
			addTo: date(2027, 8, 4, 22, 30, 5)},
		{in: "PT12H", want: Lifetime{Hours: 12}, addTo: date(2024, 1, 31, 22, 0, 0), approx: 12 * time.Hour},
		{in: "P2W", want: Lifetime{Weeks: 2}, addTo: date(2024, 2, 14, 10, 0, 0), approx: 14 * 24 * time.Hour},
		// AddDate normalizes rather than clamps: 31 January plus a month is "31 February",
		// which is 2 March in 2024 (a leap year).
		{in: "P1M", want: Lifetime{Months: 1}, addTo: date(2024, 3, 2, 10, 0, 0), approx: 2629746 * time.Second},
		{in: "P13M", want: Lifetime{Months: 13}, str: "P13M", addTo: date(2025, 3, 3, 10, 0, 0)},
		{in: "PT1M", want: Lifetime{Minutes: 1}, addTo: date(2024, 1, 31, 10, 1, 0), approx: time.Minute},
		{in: "PT1S", want: Lifetime{Seconds: 1}, addTo: date(2024, 1, 31, 10, 0, 1), approx: time.Second},
		{in: "P1Y2M3DT4H5M6S", want: Lifetime{1, 2, 0, 3, 4, 5, 6}, addTo: date(2025, 4, 3, 14, 5, 6)}, // 31 March 2025 + 3 days
		{in: "P0Y1D", want: Lifetime{Days: 1}, str: "P1D", addTo: date(2024, 2, 1, 10, 0, 0), approx: 24 * time.Hour},
		{in: "P1W2D", want: Lifetime{Weeks: 1, Days: 2}, addTo: date(2024, 2, 9, 10, 0, 0), approx: 9 * 24 * time.Hour},
		{in: "P1DT0H", want: Lifetime{Days: 1}, str: "P1D", addTo: date(2024, 2, 1, 10, 0, 0)},
		{in: "PT36H", want: Lifetime{Hours: 36}, addTo: date(2024, 2, 1, 22, 0, 0), approx: 36 * time.Hour},
		{in: "PT90M", want: Lifetime{Minutes: 90}, addTo: date(2024, 1, 31, 11, 30, 0)},
		{in: "P007D", want: Lifetime{Days: 7}, str: "P7D", addTo: date(2024, 2, 7, 10, 0, 0)},
		{in: "P1000Y", want: Lifetime{Years: 1000}, addTo: date(3024, 1, 31, 10, 0, 0), approx: math.MaxInt64},
		{in: "P12000M", want: Lifetime{Months: 12000}, addTo: date(3024, 1, 31, 10, 0, 0), approx: math.MaxInt64},
		// The longest clock part: beyond what one time.Duration holds.
		{in: "PT8765000H", want: Lifetime{Hours: 8765000}, addTo: lifetimeEpoch.Add(8765000 / 4 * time.Hour).Add(8765000 / 4 * time.Hour).Add(8765000 / 4 * time.Hour).Add(8765000 / 4 * time.Hour), approx: math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l, err := ParseLifetime(tt.in)
			if err != nil {
				t.Fatalf("ParseLifetime: %v", err)
			}
			if l != tt.want {
				t.Fatalf("ParseLifetime = %+v, want %+v", l, tt.want)
			}
			str := tt.str
			if str == "" {
				str = tt.in
			}
			if got := l.String(); got != str {
				t.Errorf("String() = %q, want %q", got, str)
			}
			if again, err := ParseLifetime(l.String()); err != nil || again != l {
				t.Errorf("ParseLifetime(String()) = %+v, %v; want %+v", again, err, l)
			}
			if got := l.AddTo(lifetimeEpoch); !got.Equal(tt.addTo) {
				t.Errorf("AddTo = %v, want %v", got, tt.addTo)
			}
			if tt.approx != 0 && l.Approx() != tt.approx {
				t.Errorf("Approx() = %v, want %v", l.Approx(), tt.approx)
			}
		})
	}
}

func date(y int, mon time.Month, d, h, m, s int) time.Time {
	return time.Date(y, mon, d, h, m, s, 0, time.UTC)
}

func TestParseLifetimeInvalid(t *testing.T) {
	tests := []struct {
		in   string
		rule string // a fragment of the message
	}{
		{"", "required, such as P1Y"},
		{"1y", "use forms such as P1Y"},
		{"1Y", "use forms such as P1Y"},
		{"P", "use forms such as"},
		{"PT", "T must be followed"},
		{"P1DT", "T must be followed"},
		{"PTT1H", "use forms such as"},
		{"P1", "needs a designator"},
		{"PT5", "needs a designator"},
		{"-P1D", "cannot be negative"},
		{"+P1D", "use forms such as"},
		{"P-1D", "cannot have a sign"},
		{"P+1D", "cannot have a sign"},
		{"P1.5D", "fractions are not supported"},
		{"PT0.5S", "fractions are not supported"},
		{"PT0,5S", "fractions are not supported"},
		{"PT.5S", "fractions are not supported"},
		{"p1y", "use forms such as"},
		{"P1y", "use forms such as"},
		{"pt12h", "use forms such as"},
		{"P1Y ", "remove the spaces"},
		{" P1Y", "remove the spaces"},
		{"P1Y 2M", "remove the spaces"},
		{"P1Y\n", "remove the spaces"},
		{"P1S", "in that order"},
		{"P1H", "in that order"},
		{"PT1D", "in that order"},
		{"PT1Y", "in that order"},
		{"P1M1Y", "in that order"},
		{"P1D1W", "in that order"},
		{"PT1S1H", "in that order"},
		{"P1Y1Y", "at most once"},
		{"PT1M1M", "at most once"},
		{"P1X", "use forms such as"},
		{"P1DX", "use forms such as"},
		{"P１D", "use forms such as"}, // a full-width digit
		{"P0D", "must be positive"},
		{"PT0S", "must be positive"},
		{"P0Y0M0W0DT0H0M0S", "must be positive"},
		{"P9999999999Y", "at most 9 digits"},
		{"P0000000001Y", "at most 9 digits"},
		{"P1000000Y", "at most 1000 years"},
		{"P1001Y", "at most 1000 years"},
		{"P1000Y1D", "at most 1000 years"},
		{"P999999999Y999999999M999999999W999999999DT999999999H999999999M999999999S", "at most 1000 years"},
		{"PT999999999H", "at most 1000 years"},
		{"P1Y" + strings.Repeat("x", 200), "use forms such as"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l, err := ParseLifetime(tt.in)
			if err == nil {
				t.Fatalf("ParseLifetime(%q) = %+v, want an error", tt.in, l)
			}
			if code := ErrorCode(err); code != EINVALID {
				t.Errorf("code = %q, want %q (%v)", code, EINVALID, err)
			}
			msg := ErrorMessage(err)
			if !strings.Contains(msg, tt.rule) {
				t.Errorf("message %q does not contain %q", msg, tt.rule)
			}
			if len(msg) > 300 {
				t.Errorf("message is %d bytes long: %q", len(msg), msg)
			}
			if l != (Lifetime{}) {
				t.Errorf("ParseLifetime returned %+v with its error", l)
			}
		})
	}
}

func TestLifetimeSaturates(t *testing.T) {
	huge := Lifetime{Years: math.MaxInt, Weeks: math.MaxInt, Hours: math.MaxInt, Seconds: math.MaxInt}
	if got := huge.Approx(); got != math.MaxInt64 {
		t.Errorf("Approx() = %v, want the largest Duration", got)
	}
	negative := Lifetime{Years: math.MinInt, Minutes: math.MinInt}
	if got := negative.Approx(); got != math.MinInt64 {
		t.Errorf("Approx() = %v, want the smallest Duration", got)
	}
	huge.AddTo(lifetimeEpoch) // must not panic
	negative.AddTo(lifetimeEpoch)
	if got := (Lifetime{}).String(); got != "PT0S" {
		t.Errorf("zero String() = %q, want PT0S", got)
	}
}

func TestLifetimeAddToKeepsLocation(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	// The night clocks go forward: a calendar day is 23 hours, PT24H is 24.
	start := time.Date(2024, time.March, 30, 12, 0, 0, 0, loc)
	if got, want := (Lifetime{Days: 1}).AddTo(start), time.Date(2024, time.March, 31, 12, 0, 0, 0, loc); !got.Equal(want) || got.Location() != loc {
		t.Errorf("P1D AddTo = %v, want %v", got, want)
	}
	if got, want := (Lifetime{Hours: 24}).AddTo(start), time.Date(2024, time.March, 31, 13, 0, 0, 0, loc); !got.Equal(want) || got.Location() != loc {
		t.Errorf("PT24H AddTo = %v, want %v", got, want)
	}
}

func FuzzParseLifetime(f *testing.F) {
	for _, s := range []string{"P1Y", "P3Y6M4DT12H30M5S", "PT12H", "P2W", "P1W2D", "P0Y1D", "P1000Y",
		"PT8765000H", "P999999999W", "", "P", "PT", "P1DT", "-P1D", "PT0.5S", "P1M1Y", "P0D", "p1y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLifetime(s)
		if err != nil {
			if ErrorCode(err) != EINVALID || ErrorMessage(err) == "" {
				t.Fatalf("ParseLifetime(%q): %v, want EINVALID with a message", s, err)
			}
			return
		}
		if l.Approx() <= 0 {
			t.Errorf("ParseLifetime(%q) = %+v with Approx() %v", s, l, l.Approx())
		}
		if again, err := ParseLifetime(l.String()); err != nil || again != l {
			t.Errorf("ParseLifetime(%q).String() = %q parses to %+v, %v", s, l.String(), again, err)
		}
		if got := l.AddTo(lifetimeEpoch); !got.After(lifetimeEpoch) {
			t.Errorf("ParseLifetime(%q).AddTo(%v) = %v, not after", s, lifetimeEpoch, got)
		}
	})
}
