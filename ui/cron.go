package ui

import (
	"fmt"
	"strconv"
	"strings"
)

// cronText returns a reading of a 5-field cron expression (minute, hour, day of month,
// month, day of week; times in UTC) for people: "every 5 minutes", "every weekday at
// 22:00". It reads the common forms only; anything else, or anything it is unsure of, is
// "cron: " and the expression, so a reading is never wrong.
func cronText(expr string) string {
	expr = strings.TrimSpace(expr)
	if text, ok := cronDescriptors[strings.ToLower(expr)]; ok {
		return text
	}
	if text, ok := readCron(strings.Fields(expr)); ok {
		return text
	}
	return "cron: " + expr
}

// cronDescriptors are the @-forms the schedule package accepts with a fixed meaning.
var cronDescriptors = map[string]string{
	"@hourly":   "every hour",
	"@daily":    "every day at 00:00",
	"@midnight": "every day at 00:00",
	"@weekly":   "every Sunday at 00:00",
	"@monthly":  "on day 1 of every month at 00:00",
}

// readCron reads the fields of an expression; false when it is not one of the common forms.
func readCron(f []string) (string, bool) {
	if len(f) != 5 || f[3] != "*" {
		return "", false
	}
	minute, hour, dom, dow := f[0], f[1], allDays(f[2]), allDays(f[4])
	switch {
	case hour == "*" && dom && dow:
		return everyMinutes(minute)
	case !dom && !dow:
		return "", false // cron runs on either day, which no short reading says well
	}
	m, okM := cronNumber(minute, 0, 59)
	if !okM {
		return "", false
	}
	if hour == "*" || strings.HasPrefix(hour, "*/") {
		if !dom || !dow {
			return "", false
		}
		return everyHours(hour, m)
	}
	h, okH := cronNumber(hour, 0, 23)
	if !okH {
		return "", false
	}
	at := fmt.Sprintf("at %02d:%02d", h, m)
	switch {
	case dom && dow:
		return "every day " + at, true
	case !dom:
		d, ok := cronNumber(f[2], 1, 31)
		if !ok {
			return "", false
		}
		return fmt.Sprintf("on day %d of every month %s", d, at), true
	}
	days, ok := cronDays(f[4])
	if !ok {
		return "", false
	}
	return "every " + days + " " + at, true
}

// allDays reports whether a day field matches every day: "*" or "?".
func allDays(field string) bool { return field == "*" || field == "?" }

// everyMinutes reads the minute field of an expression whose other fields are all "*".
func everyMinutes(minute string) (string, bool) {
	switch minute {
	case "*", "*/1":
		return "every minute", true
	case "0":
		return "every hour", true
	}
	if n, ok := cronStep(minute, 60); ok {
		return fmt.Sprintf("every %d minutes", n), true
	}
	if m, ok := cronNumber(minute, 1, 59); ok {
		return fmt.Sprintf("every hour at minute %d", m), true
	}
	return "", false
}

// everyHours reads an hour field of "*" or "*/N" at minute m.
func everyHours(hour string, m int) (string, bool) {
	switch {
	case (hour == "*" || hour == "*/1") && m == 0:
		return "every hour", true
	case hour == "*" || hour == "*/1":
		return fmt.Sprintf("every hour at minute %d", m), true
	}
	n, ok := cronStep(hour, 24)
	if !ok {
		return "", false
	}
	if m == 0 {
		return fmt.Sprintf("every %d hours", n), true
	}
	return fmt.Sprintf("every %d hours at minute %d", n, m), true
}

// cronStep reads "*/N" where N divides period evenly (so the interval never shortens at the
// wrap) and is more than 1.
func cronStep(field string, period int) (int, bool) {
	s, ok := strings.CutPrefix(field, "*/")
	if !ok {
		return 0, false
	}
	n, ok := cronNumber(s, 2, period-1)
	if !ok || period%n != 0 {
		return 0, false
	}
	return n, true
}

// cronNumber reads a plain decimal number from lo to hi.
func cronNumber(s string, lo, hi int) (int, bool) {
	if s == "" || len(s) > 2 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= lo && n <= hi
}

var weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// cronDays reads a day-of-week field: one day, "1-5" (weekdays), or a list of days.
func cronDays(field string) (string, bool) {
	if strings.EqualFold(field, "1-5") || strings.EqualFold(field, "MON-FRI") {
		return "weekday", true
	}
	var seen [7]bool
	for _, part := range strings.Split(field, ",") {
		d, ok := cronDay(part)
		if !ok || seen[d] {
			return "", false
		}
		seen[d] = true
	}
	var names []string
	for i := range weekdays {
		if d := (i + 1) % 7; seen[d] { // Monday first
			names = append(names, weekdays[d])
		}
	}
	if len(names) == 1 {
		return names[0], true
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1], true
}

// cronDay reads one day of the week: 0–6 (Sunday is 0) or its three-letter name.
func cronDay(s string) (int, bool) {
	if d, ok := cronNumber(s, 0, 6); ok {
		return d, true
	}
	for i, name := range weekdays {
		if strings.EqualFold(s, name[:3]) {
			return i, true
		}
	}
	return 0, false
}
