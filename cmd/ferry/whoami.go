package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/ferrygit/ferry"
)

func init() {
	register("whoami", "show who FERRY_TOKEN acts as and what it may do", func(ctx context.Context, m *Main, args []string) error {
		return runTop(ctx, m, whoamiCommand, args)
	})
}

// whoamiCommand describes "ferry whoami".
var whoamiCommand = subcommand{name: "whoami", args: "[--json]",
	summary: "Show who FERRY_TOKEN acts as: its kind, name, permissions or roles, namespace and expiry", run: runWhoAmI}

func runWhoAmI(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.topFlagSet(m)
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	s, err := c.WhoAmI(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, s)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Kind:\t%s\n", s.Kind)
	if s.ID != 0 {
		fmt.Fprintf(tw, "ID:\t%d\n", s.ID)
	}
	fmt.Fprintf(tw, "Name:\t%s\n", s.Name)
	if len(s.Permissions) > 0 {
		fmt.Fprintf(tw, "Permissions:\t%s\n", joinPermissions(s.Permissions))
	}
	for i, ns := range slices.Sorted(maps.Keys(s.Roles)) {
		label := ""
		if i == 0 {
			label = "Roles:"
		}
		fmt.Fprintf(tw, "%s\t%s in %s\n", label, s.Roles[ns], ns)
	}
	if s.Kind != ferry.PrincipalUser { // a user's namespaces are those of its roles
		fmt.Fprintf(tw, "Namespace:\t%s\n", tokenNamespace(s.Namespace))
	}
	fmt.Fprintf(tw, "Expires:\t%s\n", timeOr(s.ExpiresAt, "never"))
	return tw.Flush()
}
