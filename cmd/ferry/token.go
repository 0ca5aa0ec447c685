package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
)

func init() {
	register("token", "manage API tokens (create, list, show, revoke)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "token", tokenCommands, args)
	})
}

// tokenCommands are the subcommands of "ferry token".
var tokenCommands = []subcommand{
	{name: "create", args: "--description D --lifetime P1Y --permission P[,P…] [--permission P…] [--namespace NS] [--json]",
		summary: "Create an API token and print it, this once", run: runTokenCreate},
	{name: "list", args: "[--revoked] [--json]", summary: "List the API tokens you manage (never the tokens themselves)", run: runTokenList},
	{name: "show", args: "ID [--json]", summary: "Show an API token (never the token itself)", run: runTokenShow},
	{name: "revoke", args: "ID", summary: "Revoke an API token: it is refused from now on", run: runTokenRevoke},
}

// permissionFlag collects permissions from repeated flags, each one or more separated
// by commas.
type permissionFlag []ferry.Permission

func (p *permissionFlag) String() string {
	if p == nil {
		return ""
	}
	return joinPermissions(*p)
}

func (p *permissionFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*p = append(*p, ferry.Permission(s))
		}
	}
	return nil
}

func joinPermissions(perms []ferry.Permission) string {
	s := make([]string, len(perms))
	for i, p := range perms {
		s[i] = string(p)
	}
	return strings.Join(s, ",")
}

func runTokenCreate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "token")
	description := fs.String("description", "", "what the token is for, such as \"GitLab CI sync for payments\" (required)")
	lifetime := fs.String("lifetime", "", "how long the token lasts, an ISO-8601 duration such as P1Y, P6M, P2W or PT12H (required)")
	var perms permissionFlag
	fs.Var(&perms, "permission", "a `PERMISSION` the token holds; repeat or separate with commas: "+joinPermissions(ferry.Permissions))
	namespace := fs.String("namespace", "", "limit the token to namespace `NS` (default: all namespaces)")
	asJSON := fs.Bool("json", false, "print the answer, token included, as JSON")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if _, err := ferry.ParseLifetime(*lifetime); err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	t, err := c.CreateToken(ctx, ferryhttp.TokenRequest{Description: *description, Lifetime: *lifetime, Permissions: perms, Namespace: *namespace})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, t)
	}
	fmt.Fprintf(m.Stdout, "Created API token %d (%s), expiring %s. It is shown this once; store it now:\n\n    %s\n\n"+
		"Use it as FERRY_TOKEN or as 'Authorization: Bearer <token>'; revoke it with: ferry token revoke %d\n",
		t.ID, t.Description, formatTime(t.ExpiresAt), t.Secret, t.ID)
	return nil
}

func runTokenList(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "token")
	revoked := fs.Bool("revoked", false, "include revoked tokens")
	asJSON := fs.Bool("json", false, "print the tokens as a JSON list")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	tokens, err := c.ListTokens(ctx, *revoked)
	if err != nil {
		return err
	}
	if *asJSON {
		if tokens == nil {
			tokens = []*ferry.Token{}
		}
		return printJSON(m.Stdout, tokens)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDESCRIPTION\tPERMISSIONS\tNAMESPACE\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
	for _, t := range tokens {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Description, joinPermissions(t.Permissions), tokenNamespace(t.Namespace),
			formatTime(t.CreatedAt), formatTime(t.ExpiresAt), timeOr(t.LastUsedAt, "never"), timeOr(t.RevokedAt, "-"))
	}
	return tw.Flush()
}

func runTokenShow(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "token")
	asJSON := fs.Bool("json", false, "print the token as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	id, err := tokenID(pos[0])
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	t, err := c.GetToken(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, t)
	}
	return printToken(m.Stdout, t)
}

// printToken prints what is stored of an API token.
func printToken(w io.Writer, t *ferry.Token) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID:\t%d\nDescription:\t%s\nPermissions:\t%s\nNamespace:\t%s\nCreated by:\t%s\nCreated:\t%s\nExpires:\t%s\nLast used:\t%s\n",
		t.ID, t.Description, joinPermissions(t.Permissions), tokenNamespace(t.Namespace), t.CreatedBy,
		formatTime(t.CreatedAt), formatTime(t.ExpiresAt), timeOr(t.LastUsedAt, "never"))
	if !t.RevokedAt.IsZero() {
		fmt.Fprintf(tw, "Revoked:\t%s\n", formatTime(t.RevokedAt))
	}
	return tw.Flush()
}

func runTokenRevoke(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "token")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	id, err := tokenID(pos[0])
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if err := c.RevokeToken(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Revoked API token %d.\n", id)
	return nil
}

// tokenID parses an API token's ID as given on the command line.
func tokenID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("token ID %q is not a whole number from 1 up (see ferry token list)", s)
	}
	return id, nil
}

// tokenNamespace is the namespace a token is limited to, or "all".
func tokenNamespace(ns string) string {
	if ns == "" {
		return "all"
	}
	return ns
}

// formatTime prints t in UTC as RFC 3339.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// timeOr prints t as formatTime does, or none when t is zero.
func timeOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return formatTime(t)
}
