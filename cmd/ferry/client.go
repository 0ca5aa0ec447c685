package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
)

// defaultServerURL is where client commands look for the server when FERRY_URL is not set.
const defaultServerURL = "http://127.0.0.1:8080"

// errNoToken is returned by client commands when FERRY_TOKEN is not set.
var errNoToken = errors.New("FERRY_TOKEN is not set; set it to an API token. " +
	"The admin token is printed once in the server log when the server first starts, " +
	"or chosen by setting FERRY_ADMIN_TOKEN before starting it")

// apiClient returns a client for the server at FERRY_URL that sends FERRY_TOKEN.
func (m *Main) apiClient() (*ferryhttp.Client, error) {
	token := m.Getenv("FERRY_TOKEN")
	if token == "" {
		return nil, errNoToken
	}
	url := m.Getenv("FERRY_URL")
	if url == "" {
		url = defaultServerURL
	}
	return ferryhttp.NewClient(url, token), nil
}

// apiError is a server's error as the CLI shows it: "<message> (<code>)".
type apiError struct{ err *ferry.Error }

func (e *apiError) Error() string { return e.err.Message + " (" + e.err.Code + ")" }

// Unwrap returns the server's error, so ferry.ErrorCode still sees its code.
func (e *apiError) Unwrap() error { return e.err }

// cliError turns an API error into an apiError and leaves other errors as they are.
func cliError(err error) error {
	var fe *ferry.Error
	if errors.As(err, &fe) {
		return &apiError{err: fe}
	}
	return err
}

// subcommand is one action of a command group, such as "ns create".
type subcommand struct {
	name    string
	args    string // the positional arguments, for usage
	summary string
	run     func(ctx context.Context, m *Main, sub subcommand, args []string) error
}

// runGroup runs the subcommand of group named by args[0].
func runGroup(ctx context.Context, m *Main, group string, subs []subcommand, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		w := m.Stderr
		if len(args) > 0 {
			w = m.Stdout
		}
		groupUsage(w, group, subs)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, sub := range subs {
		if sub.name == args[0] {
			err := sub.run(ctx, m, sub, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return cliError(err)
		}
	}
	fmt.Fprintf(m.Stderr, "ferry %s: unknown command %q\n\n", group, args[0])
	groupUsage(m.Stderr, group, subs)
	return errUsage
}

func groupUsage(w io.Writer, group string, subs []subcommand) {
	fmt.Fprintf(w, "Usage: ferry %s <command> [arguments]\n\nCommands:\n", group)
	for _, sub := range subs {
		fmt.Fprintf(w, "  %s %s\n      %s.\n", sub.name, sub.args, sub.summary)
	}
	fmt.Fprintf(w, "\nRun 'ferry %s <command> -h' for a command's flags.\n", group)
}

// flagSet returns the flag set of a subcommand, writing its errors and usage to m.Stderr.
func (sub subcommand) flagSet(m *Main, group string) *flag.FlagSet {
	fs := flag.NewFlagSet("ferry "+group+" "+sub.name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: ferry %s %s %s\n\n%s.\n", group, sub.name, sub.args, sub.summary)
		if hasFlags(fs) {
			fmt.Fprintln(m.Stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseArgs parses flags placed anywhere among args and returns the positional arguments,
// of which there must be from min to max. Returns flag.ErrHelp for -h and errUsage, after
// printing usage, for anything wrong.
func parseArgs(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...) // everything after "--" is positional
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < min || len(pos) > max {
		fmt.Fprintf(fs.Output(), "%s: expected %s, got %d argument%s\n", fs.Name(), countWords(min, max), len(pos), plural(len(pos)))
		fs.Usage()
		return nil, errUsage
	}
	return pos, nil
}

func countWords(min, max int) string {
	if min == max {
		return fmt.Sprintf("%d argument%s", min, plural(min))
	}
	return fmt.Sprintf("%d to %d arguments", min, max)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// listAll follows the pages of a list until its end and returns every item.
func listAll[T any](ctx context.Context, list func(context.Context, ferry.Page) ([]T, string, error)) ([]T, error) {
	all := []T{}
	page := ferry.Page{Limit: ferry.MaxPageLimit}
	for {
		items, next, err := list(ctx, page)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		page.Cursor = next
	}
}

// printJSON writes v to w as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
