package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/provider"
	"github.com/ferrygit/ferry/provider/azuredevops"
	"github.com/ferrygit/ferry/provider/bitbucketcloud"
	"github.com/ferrygit/ferry/provider/bitbucketserver"
	"github.com/ferrygit/ferry/provider/gitea"
	"github.com/ferrygit/ferry/provider/github"
	"github.com/ferrygit/ferry/provider/gitlab"
	"github.com/ferrygit/ferry/sqlstore"
)

// providerConstructors is the client of each provider kind.
var providerConstructors = map[string]provider.Constructor{
	ferry.ProviderGitHub:          github.New,
	ferry.ProviderGitLab:          gitlab.New,
	ferry.ProviderBitbucketCloud:  bitbucketcloud.New,
	ferry.ProviderBitbucketServer: bitbucketserver.New,
	ferry.ProviderAzureDevOps:     azuredevops.New,
	ferry.ProviderGitea:           gitea.New,
}

// newProviderService joins the provider clients to the database, calling providers under
// the URL policy.
func newProviderService(db *sqlstore.DB, policy ferry.URLPolicy, logger *slog.Logger) *provider.Service {
	reg := provider.NewRegistry(provider.RegistryConfig{Credentials: db, Policy: policy, Logger: logger}, providerConstructors)
	return &provider.Service{Store: db, Registry: reg, Logger: logger}
}

func init() {
	register("provider", "connect Git providers (create, list, get, rm, validate, repos, create-repo)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "provider", providerCommands, args)
	})
}

// providerCommands are the subcommands of "ferry provider".
var providerCommands = []subcommand{
	{name: "create", args: "NAME --kind " + strings.Join(ferry.ProviderKinds, "|") + " --owner O --credential C [--base-url U] [--project-key K] [--json]",
		summary: "Connect a provider's organization, group, workspace or project with a credential", run: runProviderCreate},
	{name: "list", args: "[--json]", summary: "List providers and whether they are valid", run: runProviderList},
	{name: "get", args: "NAME [--json]", summary: "Show a provider and its last validation", run: runProviderGet},
	{name: "rm", args: "NAME", summary: "Delete a provider and its cached repository list", run: runProviderRm},
	{name: "validate", args: "NAME [--json]", summary: "Check the provider's credential and the permissions Ferry needs", run: runProviderValidate},
	{name: "repos", args: "NAME [--refresh] [--json]", summary: "List the owner's repositories from the cache; --refresh asks the provider first", run: runProviderRepos},
	{name: "create-repo", args: "NAME REPO [--private] [--json]", summary: "Create repository REPO with the provider", run: runProviderCreateRepo},
}

func runProviderCreate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "provider")
	kind := fs.String("kind", "", "the provider kind: "+strings.Join(ferry.ProviderKinds, ", "))
	baseURL := fs.String("base-url", "", "the API's address (default for github, gitlab, bitbucket-cloud and azure-devops: the hosted service)")
	owner := fs.String("owner", "", "the organization, group, workspace, project key, or organization/project for azure-devops")
	projectKey := fs.String("project-key", "", "bitbucket-cloud: the project new repositories go to")
	credential := fs.String("credential", "", "the credential to call the API with")
	asJSON := fs.Bool("json", false, "print the provider as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	p, err := c.CreateProvider(ctx, ferryhttp.ProviderRequest{Name: pos[0], Kind: *kind, BaseURL: *baseURL, Owner: *owner,
		ProjectKey: *projectKey, Credential: *credential})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, p)
	}
	fmt.Fprintf(m.Stdout, "Created %s provider %s for %s at %s. Check it with: ferry provider validate %s\n", p.Kind, p.Name, p.Owner, p.BaseURL, p.Name)
	return nil
}

func runProviderList(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "provider")
	asJSON := fs.Bool("json", false, "print the providers as a JSON list")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	all, err := listAll(ctx, c.ListProviders)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, all)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tOWNER\tCREDENTIAL\tSTATUS")
	for _, p := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Kind, p.Owner, p.Credential, statusWord(p.Status))
	}
	return tw.Flush()
}

// statusWord is a provider status in one word: valid, invalid or unchecked.
func statusWord(s ferry.ProviderStatus) string {
	switch {
	case s.CheckedAt == nil:
		return "unchecked"
	case s.Valid:
		return "valid"
	}
	return "invalid"
}

func runProviderGet(ctx context.Context, m *Main, sub subcommand, args []string) error {
	return providerShow(ctx, m, sub, args, func(c *ferryhttp.Client, name string) (*ferry.Provider, error) {
		return c.FindProvider(ctx, name)
	})
}

func runProviderValidate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	return providerShow(ctx, m, sub, args, func(c *ferryhttp.Client, name string) (*ferry.Provider, error) {
		return c.ValidateProvider(ctx, name)
	})
}

// providerShow runs get, one provider by name, and prints it.
func providerShow(ctx context.Context, m *Main, sub subcommand, args []string, get func(*ferryhttp.Client, string) (*ferry.Provider, error)) error {
	fs := sub.flagSet(m, "provider")
	asJSON := fs.Bool("json", false, "print the provider as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	p, err := get(c, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, p)
	}
	return printProvider(m.Stdout, p)
}

// printProvider prints a provider and its status, the missing permissions named.
func printProvider(w io.Writer, p *ferry.Provider) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\nKind:\t%s\nBase URL:\t%s\nOwner:\t%s\n", p.Name, p.Kind, p.BaseURL, p.Owner)
	if p.ProjectKey != "" {
		fmt.Fprintf(tw, "Project key:\t%s\n", p.ProjectKey)
	}
	fmt.Fprintf(tw, "Credential:\t%s\n", p.Credential)
	st := p.Status
	switch {
	case st.CheckedAt == nil:
		fmt.Fprintf(tw, "Status:\tnot validated yet (ferry provider validate %s)\n", p.Name)
	case st.Valid:
		fmt.Fprintf(tw, "Status:\t✓ valid, checked %s\n", st.CheckedAt.UTC().Format(time.RFC3339))
	default:
		fmt.Fprintf(tw, "Status:\t✗ invalid, checked %s\n", st.CheckedAt.UTC().Format(time.RFC3339))
	}
	if st.Login != "" {
		fmt.Fprintf(tw, "Acting as:\t%s\n", st.Login)
	}
	if len(st.Missing) > 0 {
		fmt.Fprintf(tw, "Missing:\t%s\n", strings.Join(st.Missing, ", "))
	}
	if st.Message != "" {
		fmt.Fprintf(tw, "Message:\t%s\n", st.Message)
	}
	return tw.Flush()
}

func runProviderRm(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "provider")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if err := c.DeleteProvider(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Deleted provider %s.\n", pos[0])
	return nil
}

func runProviderRepos(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "provider")
	refresh := fs.Bool("refresh", false, "fetch the list from the provider first")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	l, err := c.ListRepositories(ctx, pos[0], *refresh)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, l)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVISIBILITY\tBRANCH\tCLONE")
	for _, r := range l.Repositories {
		vis := "public"
		if r.Private {
			vis = "private"
		}
		branch := r.DefaultBranch
		if branch == "" {
			branch = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, vis, branch, r.CloneHTTPS)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if l.FetchedAt != nil {
		fmt.Fprintf(m.Stdout, "\n%d repositories, fetched %s.\n", len(l.Repositories), l.FetchedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

func runProviderCreateRepo(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "provider")
	private := fs.Bool("private", false, "make the repository private")
	asJSON := fs.Bool("json", false, "print the repository as JSON")
	pos, err := parseArgs(fs, args, 2, 2)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	r, err := c.CreateRepository(ctx, pos[0], ferry.RepositoryRequest{Name: pos[1], Private: *private})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, r)
	}
	fmt.Fprintf(m.Stdout, "Created repository %s.\n", r.FullName)
	if r.CloneHTTPS != "" {
		fmt.Fprintf(m.Stdout, "Clone over HTTPS: %s\n", r.CloneHTTPS)
	}
	if r.CloneSSH != "" {
		fmt.Fprintf(m.Stdout, "Clone over SSH:   %s\n", r.CloneSSH)
	}
	return nil
}
