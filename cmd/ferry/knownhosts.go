package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/ferrygit/ferry"
)

func init() {
	register("known-hosts", "manage pinned SSH host keys (list, add, trust, rm)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "known-hosts", knownHostCommands, args)
	})
}

// knownHostCommands are the subcommands of "ferry known-hosts".
var knownHostCommands = []subcommand{
	{name: "list", args: "[--host HOST] [--json]", summary: "List pinned host keys, built-in ones included", run: runKnownHostsList},
	{name: "add", args: "HOST KEY [--json]", summary: `Pin KEY ("ssh-ed25519 AAAA…", one argument or two) for HOST (name or name:port)`, run: runKnownHostsAdd},
	{name: "trust", args: "HOST FINGERPRINT [--json]", summary: "Connect to HOST and pin the key it presents if its fingerprint is FINGERPRINT (SHA256:…)", run: runKnownHostsTrust},
	{name: "rm", args: "HOST [FINGERPRINT]", summary: "Remove HOST's pinned keys, or only the one with FINGERPRINT", run: runKnownHostsRm},
}

func runKnownHostsList(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "known-hosts")
	host := fs.String("host", "", "list only the keys of `HOST`")
	asJSON := fs.Bool("json", false, "print the keys as a JSON list")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	keys, err := c.ListKnownHosts(ctx, *host)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, keys)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tTYPE\tFINGERPRINT\tSOURCE")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Host, k.KeyType, k.Fingerprint, k.Source)
	}
	return tw.Flush()
}

func runKnownHostsAdd(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "known-hosts")
	asJSON := fs.Bool("json", false, "print the key as JSON")
	pos, err := parseArgs(fs, args, 2, 4)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	k, err := c.AddKnownHost(ctx, pos[0], strings.Join(pos[1:], " "))
	if err != nil {
		return err
	}
	return printKnownHost(m, k, "Pinned", *asJSON)
}

func runKnownHostsTrust(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "known-hosts")
	asJSON := fs.Bool("json", false, "print the key as JSON")
	pos, err := parseArgs(fs, args, 2, 2)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	k, err := c.TrustKnownHost(ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	return printKnownHost(m, k, "Trusted", *asJSON)
}

func printKnownHost(m *Main, k *ferry.KnownHost, verb string, asJSON bool) error {
	if asJSON {
		return printJSON(m.Stdout, k)
	}
	_, err := fmt.Fprintf(m.Stdout, "%s %s key %s for %s.\n", verb, k.KeyType, k.Fingerprint, k.Host)
	return err
}

func runKnownHostsRm(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "known-hosts")
	pos, err := parseArgs(fs, args, 1, 2)
	if err != nil {
		return err
	}
	fp := ""
	if len(pos) == 2 {
		fp = pos[1]
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if err := c.DeleteKnownHost(ctx, pos[0], fp); err != nil {
		return err
	}
	if fp != "" {
		fmt.Fprintf(m.Stdout, "Removed key %s of %s.\n", fp, pos[0])
	} else {
		fmt.Fprintf(m.Stdout, "Removed the pinned keys of %s.\n", pos[0])
	}
	return nil
}
