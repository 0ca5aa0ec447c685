// Command ferry runs the Ferry server (ferry serve) and talks to one as a client.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

// Main holds what every subcommand needs: its arguments, its output writers and its
// environment. Tests run the real Main with their own writers and environment.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// command is one subcommand: a one-line summary and the function that runs it.
type command struct {
	summary string
	run     func(ctx context.Context, m *Main, args []string) error
}

// commands maps each subcommand's name to its implementation; each lives in its own file.
var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, m *Main, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		if err != errUsage && err != errCheckFailed {
			fmt.Fprintln(os.Stderr, "ferry:", err)
		}
		os.Exit(exitCode(err))
	}
}

// errUsage is returned by Run when the arguments were wrong and usage was printed already.
var errUsage = fmt.Errorf("usage")

// exitCode is 2 for usage errors and 1 for any other failure.
func exitCode(err error) int {
	if err == errUsage {
		return 2
	}
	return 1
}

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		m.usage(m.Stdout)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(m.Stderr, "ferry: unknown command %q\n\n", args[0])
		m.usage(m.Stderr)
		return errUsage
	}
	return c.run(ctx, m, args[1:])
}

func (m *Main) usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Ferry keeps a platform's files in step with Git.\n\nUsage: ferry <command> [arguments]\n\nCommands:\n")
	for _, name := range names {
		fmt.Fprintf(&b, "  %-12s %s\n", name, commands[name].summary)
	}
	b.WriteString("\nClient commands read FERRY_URL (default http://127.0.0.1:8080) and FERRY_TOKEN.\nRun 'ferry <command> -h' for a command's flags.\n")
	io.WriteString(w, b.String())
}
