package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
)

func init() {
	register("binding", "mirror Git into namespaces (create, list, get, update, rm, check)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "binding", bindingCommands, args)
	})
}

// bindingCommands are the subcommands of "ferry binding".
var bindingCommands = []subcommand{
	{name: "create", args: "NS NAME (--url URL | --provider P --repository R [--deploy-key]) [--webhook manual|managed|none] [--directory D] [--ref R] [--path P] [--credential C] [--direction pull|push|both] [--schedule CRON] [--json]",
		summary: "Bind directory D of namespace NS to path P of a repository; a pulling binding queues its first pull", run: runBindingCreate},
	{name: "list", args: "NS [--json]", summary: "List a namespace's bindings", run: runBindingList},
	{name: "get", args: "NS/NAME [--json]", summary: "Show a binding and its mirror status", run: runBindingGet},
	{name: "update", args: "NS/NAME [--url URL] [--directory D] [--ref R] [--path P] [--credential C] [--direction DIR] [--schedule CRON] [--json]",
		summary: "Change the fields given (an empty --schedule or --credential removes it)", run: runBindingUpdate},
	{name: "rm", args: "NS/NAME", summary: "Delete a binding and its runs; the namespace's files stay", run: runBindingRm},
	{name: "check", args: "NS/NAME [--json]", summary: "Check that Ferry can reach a binding's repository and ref with its credential", run: runBindingCheck},
}

// splitBinding splits "NS/NAME" into its namespace and binding name.
func splitBinding(arg string) (ns, name string, err error) {
	ns, name, ok := strings.Cut(arg, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%q does not name a binding; write NAMESPACE/BINDING, such as dev/payments", arg)
	}
	return ns, name, nil
}

// bindingClient reads arg as NAMESPACE/BINDING and returns it with an API client.
func (m *Main) bindingClient(arg string) (ns, name string, c *ferryhttp.Client, err error) {
	if ns, name, err = splitBinding(arg); err != nil {
		return "", "", nil, err
	}
	c, err = m.apiClient()
	return ns, name, c, err
}

// bindingFields are the flags that set a binding's configuration, by name.
type bindingFields map[string]*string

// bindingFlags defines the configuration flags on fs.
func bindingFlags(fs *flag.FlagSet) bindingFields {
	return bindingFields{
		"url":        fs.String("url", "", "the repository: https://host/org/repo.git or ssh://git@host/org/repo.git"),
		"directory":  fs.String("directory", "", "the namespace directory the repository's files go to (default: the root)"),
		"ref":        fs.String("ref", "", "the branch to follow (default: the remote's default branch)"),
		"path":       fs.String("path", "", "the repository directory to mirror (default: the root)"),
		"credential": fs.String("credential", "", "the credential to authenticate with (default: none)"),
		"direction":  fs.String("direction", "", "pull, push or both (default: pull)"),
		"schedule":   fs.String("schedule", "", `a cron expression to poll on, such as "*/5 * * * *" (default: none)`),
	}
}

func runBindingCreate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "binding")
	f := bindingFlags(fs)
	asJSON := fs.Bool("json", false, "print the binding as JSON")
	prov := fs.String("provider", "", "a provider connection to bind through, instead of --url")
	repo := fs.String("repository", "", "with --provider: the repository, such as payments-config")
	hook := fs.String("webhook", "", "manual (print a URL and secret to paste), managed (Ferry creates it; the default with --provider) or none")
	deployKey := fs.Bool("deploy-key", false, "with --provider: register the generated ssh-key --credential as the repository's deploy key")
	pos, err := parseArgs(fs, args, 1, 2)
	if err != nil {
		return err
	}
	ns, name := pos[0], ""
	if len(pos) == 2 {
		name = pos[1]
	} else if ns, name, err = splitBinding(pos[0]); err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	b, err := c.CreateBinding(ctx, ns, ferryhttp.BindingRequest{Name: name, URL: *f["url"], Directory: *f["directory"], Ref: *f["ref"],
		Path: *f["path"], Credential: *f["credential"], Direction: *f["direction"], Schedule: *f["schedule"],
		Provider: *prov, Repository: *repo, Webhook: *hook, DeployKey: *deployKey})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, b)
	}
	fmt.Fprintf(m.Stdout, "Created binding %s/%s: %s %s %s\n", b.Namespace, b.Name, slash(b.Directory), arrow(b.Direction), source(b.Binding))
	if b.HookID != "" {
		fmt.Fprintf(m.Stdout, "Created its webhook at provider %s (hook %s).\n", b.Provider, b.HookID)
	} else if w := b.Webhook; w != nil && w.Secret != "" {
		fmt.Fprintf(m.Stdout, "Webhook (shown this once; paste both into the provider):\n  URL:    %s\n  Secret: %s\n", w.URL, w.Secret)
	}
	if b.DeployKeyID != "" {
		fmt.Fprintf(m.Stdout, "Registered credential %s as deploy key %s.\n", b.Credential, b.DeployKeyID)
	}
	if r := b.FirstRun; r != nil {
		fmt.Fprintf(m.Stdout, "Queued its first pull: run %d. Follow it with 'ferry runs %s/%s %d'.\n", r.ID, b.Namespace, b.Name, r.ID)
	}
	return nil
}

// slash shows a namespace or repository directory ("" is the root) as an absolute path.
func slash(dir string) string { return "/" + dir }

// arrow shows which way a binding syncs, the namespace on the left.
func arrow(direction string) string {
	switch direction {
	case ferry.DirectionPush:
		return "→"
	case ferry.DirectionBoth:
		return "↔"
	}
	return "←"
}

// source shows a binding's repository, ref and path: "URL main:/services".
func source(b *ferry.Binding) string {
	return b.URL + " " + refName(b.Ref) + ":" + slash(b.Path)
}

// refName shows a binding's ref, "" being the remote's default branch.
func refName(ref string) string {
	if ref == "" {
		return "(default branch)"
	}
	return ref
}

func runBindingList(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "binding")
	asJSON := fs.Bool("json", false, "print the bindings as a JSON list")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	all, err := listAll(ctx, func(ctx context.Context, page ferry.Page) ([]*ferry.Binding, string, error) {
		return c.ListBindings(ctx, pos[0], page)
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, all)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDIRECTORY\tDIRECTION\tSOURCE\tSCHEDULE\tSTATE\tLAST COMMIT")
	for _, b := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Name, slash(b.Directory), b.Direction, source(b), orDash(b.Schedule), b.Status.State, orDash(short(b.Status.LastCommit)))
	}
	return tw.Flush()
}

func runBindingGet(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "binding")
	asJSON := fs.Bool("json", false, "print the binding as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	ns, name, c, err := m.bindingClient(pos[0])
	if err != nil {
		return err
	}
	b, err := c.FindBinding(ctx, ns, name)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, b)
	}
	return printBinding(m.Stdout, b)
}

// printBinding shows a binding's configuration and its mirror status.
func printBinding(w io.Writer, b *ferry.Binding) error {
	st := b.Status
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Binding:\t%s/%s\nDirectory:\t%s\nDirection:\t%s\nURL:\t%s\nRef:\t%s\nPath:\t%s\nCredential:\t%s\nSchedule:\t%s\n",
		b.Namespace, b.Name, slash(b.Directory), b.Direction, b.URL, refName(b.Ref), slash(b.Path), orNone(b.Credential), orNone(b.Schedule))
	fmt.Fprintf(tw, "State:\t%s\nLast run:\t%s\nLast commit:\t%s\nLast revision:\t%s\nLast success:\t%s\nNext run:\t%s\nConsecutive failures:\t%d\n",
		st.State, orDash(idString(st.LastRun)), orDash(st.LastCommit), orDash(idString(st.LastRevision)), when(st.LastSuccessAt), when(st.NextRunAt), st.ConsecutiveFailures)
	if e := st.LastError; e != nil {
		fmt.Fprintf(tw, "Last error:\t%s: %s\n", e.Reason, e.Message)
	}
	return tw.Flush()
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprint(id)
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runBindingUpdate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "binding")
	f := bindingFlags(fs)
	asJSON := fs.Bool("json", false, "print the binding as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	var u ferry.BindingUpdate
	fields := map[string]**string{"url": &u.URL, "directory": &u.Directory, "ref": &u.Ref, "path": &u.Path,
		"credential": &u.Credential, "direction": &u.Direction, "schedule": &u.Schedule}
	changed := 0
	fs.Visit(func(fl *flag.Flag) {
		if to, ok := fields[fl.Name]; ok {
			*to = f[fl.Name]
			changed++
		}
	})
	if changed == 0 {
		fmt.Fprintf(m.Stderr, "%s: nothing to change; give at least one of --url, --directory, --ref, --path, --credential, --direction, --schedule\n", fs.Name())
		fs.Usage()
		return errUsage
	}
	ns, name, c, err := m.bindingClient(pos[0])
	if err != nil {
		return err
	}
	b, err := c.UpdateBinding(ctx, ns, name, u)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, b)
	}
	fmt.Fprintf(m.Stdout, "Updated binding %s/%s: %s %s %s\n", b.Namespace, b.Name, slash(b.Directory), arrow(b.Direction), source(b))
	return nil
}

func runBindingRm(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "binding")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	ns, name, c, err := m.bindingClient(pos[0])
	if err != nil {
		return err
	}
	if err := c.DeleteBinding(ctx, ns, name); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Deleted binding %s/%s.\n", ns, name)
	return nil
}

func runBindingCheck(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "binding")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	ns, name, c, err := m.bindingClient(pos[0])
	if err != nil {
		return err
	}
	res, err := c.CheckBinding(ctx, ns, name)
	if err != nil {
		return err
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
