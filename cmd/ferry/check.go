package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/ferrygit/ferry"
)

func init() {
	register("check", "check that Ferry can reach a repository (URL [--ref R] [--credential C])", runCheck)
}

// checkCommand describes "ferry check" for its usage text.
var checkCommand = subcommand{name: "check", args: "URL [--ref REF] [--credential NAME] [--json]",
	summary: "Check that Ferry can reach a repository with a credential, and that the ref exists"}

// errCheckFailed is returned when the check ran and found a problem, which it printed.
var errCheckFailed = errors.New("check failed")

func runCheck(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("ferry check", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: ferry check %s\n\n%s.\n\nFlags:\n", checkCommand.args, checkCommand.summary)
		fs.PrintDefaults()
	}
	ref := fs.String("ref", "", "the branch or tag to look for (default: the default branch)")
	cred := fs.String("credential", "", "the credential to authenticate with")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	res, err := c.Check(ctx, ferry.CheckRequest{URL: pos[0], Ref: *ref, Credential: *cred})
	if err != nil {
		return cliError(err)
	}
	if *asJSON {
		if err := printJSON(m.Stdout, res); err != nil {
			return err
		}
	} else {
		printCheck(m, res)
	}
	if !res.OK() {
		return errCheckFailed
	}
	return nil
}

// printCheck shows a check's result: "ok" with the head commit, or the reason and what to do.
func printCheck(m *Main, res *ferry.CheckResult) {
	if res.OK() {
		fmt.Fprintf(m.Stdout, "ok: %s %s is at %s (default branch %s, %d ms)\n", res.URL, res.Ref, res.HeadCommit, orNone(res.DefaultBranch), res.DurationMS)
	} else {
		fmt.Fprintf(m.Stdout, "%s: %s\n  %s\n", res.Reason, res.URL, res.Message)
	}
	if k := res.HostKey; k != nil {
		known := "pinned"
		if !k.Known {
			known = "NOT pinned: if it is the host's key, trust it with 'ferry known-hosts trust HOST " + k.Fingerprint + "'"
		}
		fmt.Fprintf(m.Stdout, "  host key: %s %s (%s)\n", k.Type, k.Fingerprint, known)
	}
	for _, step := range []struct {
		name string
		ok   bool
	}{{"reachable", res.Reachable}, {"authenticated", res.Authenticated}, {"ref exists", res.RefExists}} {
		mark := "no"
		if step.ok {
			mark = "yes"
		}
		fmt.Fprintf(m.Stdout, "  %-14s %s\n", step.name+":", mark)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
