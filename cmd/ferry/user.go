package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
)

func init() {
	register("user", "manage users who log in to the UI (create, list, show, delete, grant, revoke, passwd)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "user", userCommands, args)
	})
}

// userCommands are the subcommands of "ferry user". Passwords come from a file, a
// terminal prompt or standard input, never from the command line.
var userCommands = []subcommand{
	{name: "create", args: "NAME [--role admin | --role viewer|editor|maintainer --namespace NS] [--password-file F|-] [--json]",
		summary: "Create a user; the password is read from --password-file, else asked for on the terminal, else read as one line from standard input", run: runUserCreate},
	{name: "list", args: "[--json]", summary: "List users and their roles", run: runUserList},
	{name: "show", args: "NAME [--json]", summary: "Show a user and their roles", run: runUserShow},
	{name: "delete", args: "NAME", summary: "Delete a user and end their sessions", run: runUserDelete},
	{name: "grant", args: "NAME --namespace NS --role viewer|editor|maintainer", summary: "Give a user a role in a namespace, replacing any they had there", run: runUserGrant},
	{name: "revoke", args: "NAME --namespace NS", summary: "Take a user's role in a namespace away", run: runUserRevoke},
	{name: "passwd", args: "NAME [--password-file F|-] [--current-password-file F]",
		summary: "Change a user's password, which ends their sessions; the new one is read as for create", run: runUserPasswd},
}

func runUserCreate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "user")
	role := fs.String("role", "", "admin (every namespace), or viewer, editor or maintainer in --namespace")
	namespace := fs.String("namespace", "", "the namespace `NS` the --role is for")
	passwordFile := fs.String("password-file", "", "read the password from `FILE` (- for standard input)")
	asJSON := fs.Bool("json", false, "print the user as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	req := ferryhttp.UserRequest{Name: pos[0]}
	switch {
	case *role == ferry.RoleAdmin && *namespace != "":
		return errors.New("--role admin is for every namespace; leave out --namespace")
	case *role == ferry.RoleAdmin:
		req.Admin = true
	case *role != "" && *namespace == "":
		return fmt.Errorf("--role %s needs --namespace NS (only admin is for every namespace)", *role)
	case *role == "" && *namespace != "":
		return errors.New("--namespace needs --role viewer, editor or maintainer")
	case *role != "":
		req.Roles = map[string]string{*namespace: *role}
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if req.Password, err = m.newPassword(*passwordFile, "Password for "+req.Name); err != nil {
		return err
	}
	u, err := c.CreateUser(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, u)
	}
	fmt.Fprintf(m.Stdout, "Created user %s (%s).\n", u.Name, userRoles(u))
	return nil
}

func runUserList(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "user")
	asJSON := fs.Bool("json", false, "print the users as a JSON list")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	users, err := c.ListUsers(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if users == nil {
			users = []*ferry.User{}
		}
		return printJSON(m.Stdout, users)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLES\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, userRoles(u), formatTime(u.CreatedAt))
	}
	return tw.Flush()
}

// userRoles describes a user's roles in one line: "admin", "dev=editor, qa=viewer" or
// "no roles".
func userRoles(u *ferry.User) string {
	var parts []string
	if u.Admin {
		parts = append(parts, "admin")
	}
	for _, ns := range slices.Sorted(maps.Keys(u.Roles)) {
		parts = append(parts, ns+"="+u.Roles[ns])
	}
	if len(parts) == 0 {
		return "no roles"
	}
	return strings.Join(parts, ", ")
}

func runUserShow(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "user")
	asJSON := fs.Bool("json", false, "print the user as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	u, err := c.GetUser(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, u)
	}
	return printUser(m.Stdout, u)
}

// printUser prints a user with one line per namespace role.
func printUser(w io.Writer, u *ferry.User) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	admin := "no"
	if u.Admin {
		admin = "yes (every namespace)"
	}
	fmt.Fprintf(tw, "Name:\t%s\nID:\t%d\nAdmin:\t%s\nCreated:\t%s\n", u.Name, u.ID, admin, formatTime(u.CreatedAt))
	if len(u.Roles) == 0 {
		fmt.Fprintln(tw, "Roles:\tnone")
	}
	for i, ns := range slices.Sorted(maps.Keys(u.Roles)) {
		label := ""
		if i == 0 {
			label = "Roles:"
		}
		fmt.Fprintf(tw, "%s\t%s in %s\n", label, u.Roles[ns], ns)
	}
	return tw.Flush()
}

func runUserDelete(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "user")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if err := c.DeleteUser(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Deleted user %s.\n", pos[0])
	return nil
}

func runUserGrant(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "user")
	namespace := fs.String("namespace", "", "the namespace `NS` (required)")
	role := fs.String("role", "", "viewer, editor or maintainer (required)")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *namespace == "" || *role == "" {
		return errors.New("both --namespace NS and --role viewer|editor|maintainer are required")
	}
	return setRole(ctx, m, pos[0], *namespace, *role)
}

func runUserRevoke(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "user")
	namespace := fs.String("namespace", "", "the namespace `NS` (required)")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *namespace == "" {
		return errors.New("--namespace NS is required")
	}
	return setRole(ctx, m, pos[0], *namespace, "")
}

// setRole gives user name role in namespace ns, or takes the role there away for role "",
// and prints the user's roles after.
func setRole(ctx context.Context, m *Main, name, ns, role string) error {
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	u, err := c.SetUserRole(ctx, name, ns, role)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "User %s now has: %s.\n", u.Name, userRoles(u))
	return nil
}

func runUserPasswd(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "user")
	passwordFile := fs.String("password-file", "", "read the new password from `FILE` (- for standard input)")
	currentFile := fs.String("current-password-file", "", "read the current password from `FILE`; needed when you change your own password without being an admin")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *currentFile == "-" {
		return errors.New("--current-password-file must name a file: standard input is for the new password")
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	var req ferryhttp.PasswordRequest
	if *currentFile != "" {
		if req.Current, err = m.passwordFromFile(*currentFile); err != nil {
			return err
		}
	}
	if req.Password, err = m.newPassword(*passwordFile, "New password for "+pos[0]); err != nil {
		return err
	}
	if err := c.SetUserPassword(ctx, pos[0], req); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Changed the password of %s; their sessions have ended.\n", pos[0])
	return nil
}

// newPassword returns a new password: from file (- for standard input) without one
// trailing line break; else asked for twice on the terminal without echo when standard
// input is one; else the first line of standard input.
func (m *Main) newPassword(file, prompt string) (string, error) {
	if file != "" {
		return m.passwordFromFile(file)
	}
	if f, ok := m.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		pw, err := m.askPassword(f, prompt+": ")
		if err != nil {
			return "", err
		}
		again, err := m.askPassword(f, "Again: ")
		if err != nil {
			return "", err
		}
		if pw != again {
			return "", errors.New("the two passwords differ")
		}
		return pw, nil
	}
	if m.Stdin == nil {
		return "", errors.New("no password: give --password-file FILE")
	}
	line, err := bufio.NewReader(m.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	if line == "" {
		return "", errors.New("no password on standard input: give --password-file FILE or type it at a terminal")
	}
	return trimNewline(line), nil
}

// passwordFromFile reads a password from file (- for standard input) and drops one
// trailing line break.
func (m *Main) passwordFromFile(file string) (string, error) {
	b, err := m.readInput(file)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return trimNewline(string(b)), nil
}

// askPassword prompts on standard error and reads a line from terminal f without echo.
func (m *Main) askPassword(f *os.File, prompt string) (string, error) {
	fmt.Fprint(m.Stderr, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(m.Stderr)
	if err != nil {
		return "", fmt.Errorf("read the password from the terminal: %w", err)
	}
	return string(b), nil
}

// trimNewline drops one trailing "\n" or "\r\n" from s.
func trimNewline(s string) string {
	s, ok := strings.CutSuffix(s, "\n")
	if ok {
		s = strings.TrimSuffix(s, "\r")
	}
	return s
}
