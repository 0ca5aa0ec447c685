package main

import (
	"context"
	"errors"
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
	register("cred", "manage credentials (create, list, get, update, rotate, rm)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "cred", credCommands, args)
	})
}

// credCommands are the subcommands of "ferry cred". Secrets come from files or standard
// input, never from the command line, where other users could read them.
var credCommands = []subcommand{
	{name: "create", args: "NAME (--generate ed25519|rsa-4096 | --import-key FILE [--passphrase-file F] | --token-file F|- [--username U] | --basic --username U --password-file F|- | --github-app --app-id ID --installation-id ID --import-key APP.pem) [--json]",
		summary: "Create a credential; for a generated key, print the public key to paste into the provider", run: runCredCreate},
	{name: "list", args: "[--json]", summary: "List credentials", run: runCredList},
	{name: "get", args: "NAME [--json]", summary: "Show a credential's public half", run: runCredGet},
	{name: "update", args: "NAME [--username U] [--token-file F|-] [--password-file F|-] [--import-key FILE [--passphrase-file F]] [--json]",
		summary: "Replace a credential's username, token, password or imported key", run: runCredUpdate},
	{name: "rotate", args: "NAME [--algorithm ed25519|rsa-4096] [--json]", summary: "Replace a generated key pair with a new one and print its public key", run: runCredRotate},
	{name: "rm", args: "NAME", summary: "Delete a credential", run: runCredRm},
}

// secretFlags are the flags that name where secrets come from.
type secretFlags struct {
	importKey, passphraseFile, tokenFile, passwordFile *string
}

func addSecretFlags(fs *flag.FlagSet) secretFlags {
	return secretFlags{
		importKey:      fs.String("import-key", "", "import the private key in `FILE` (- for standard input)"),
		passphraseFile: fs.String("passphrase-file", "", "read the imported key's passphrase from `FILE` (- for standard input)"),
		tokenFile:      fs.String("token-file", "", "read the token from `FILE` (- for standard input)"),
		passwordFile:   fs.String("password-file", "", "read the password from `FILE` (- for standard input)"),
	}
}

// read returns the contents of the files the flags name; "" for a flag not given. A
// secret's trailing line break is dropped; a key is kept whole. At most one may be "-".
func (f secretFlags) read(m *Main) (key, passphrase, token, password string, err error) {
	stdin := 0
	for _, p := range []*string{f.importKey, f.passphraseFile, f.tokenFile, f.passwordFile} {
		if *p == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return "", "", "", "", errors.New("only one secret can come from standard input (-)")
	}
	if *f.passphraseFile != "" && *f.importKey == "" {
		return "", "", "", "", errors.New("--passphrase-file goes with --import-key")
	}
	read := func(src string, trim bool) (string, error) {
		if src == "" {
			return "", nil
		}
		b, err := m.readInput(src)
		if err != nil {
			return "", err
		}
		if trim {
			return strings.TrimRight(string(b), "\r\n"), nil
		}
		return string(b), nil
	}
	if key, err = read(*f.importKey, false); err == nil {
		if passphrase, err = read(*f.passphraseFile, true); err == nil {
			if token, err = read(*f.tokenFile, true); err == nil {
				password, err = read(*f.passwordFile, true)
			}
		}
	}
	return key, passphrase, token, password, err
}

func runCredCreate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "cred")
	generate := fs.String("generate", "", "generate a key pair: `ALGORITHM` ed25519 or rsa-4096")
	basic := fs.Bool("basic", false, "create a basic credential: --username and --password-file")
	githubApp := fs.Bool("github-app", false, "create a github-app credential: --app-id, --installation-id and the App's private key with --import-key")
	appID := fs.String("app-id", "", "the GitHub App's `ID` (or client id)")
	installationID := fs.String("installation-id", "", "the GitHub App installation's `ID`")
	username := fs.String("username", "", "the username of a token or basic credential")
	asJSON := fs.Bool("json", false, "print the credential as JSON")
	secrets := addSecretFlags(fs)
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	key, passphrase, token, password, err := secrets.read(m)
	if err != nil {
		return err
	}
	req := ferryhttp.CredentialRequest{Name: pos[0], Username: *username, PrivateKey: key, Passphrase: passphrase, Token: token, Password: password}
	switch {
	case *githubApp:
		req.Kind, req.AppID, req.InstallationID = ferry.CredentialGitHubApp, *appID, *installationID
	case *appID != "" || *installationID != "":
		return errors.New("--app-id and --installation-id go with --github-app")
	case *generate != "":
		req.Kind, req.Generate = ferry.CredentialSSHKey, &ferryhttp.GenerateRequest{Algorithm: *generate}
	case *secrets.importKey != "":
		req.Kind = ferry.CredentialSSHKey
	case *basic:
		req.Kind = ferry.CredentialBasic
	case *secrets.tokenFile != "":
		req.Kind = ferry.CredentialToken
	default:
		fmt.Fprintln(m.Stderr, "ferry cred create: say what to create: --generate, --import-key, --token-file, --basic or --github-app")
		fs.Usage()
		return errUsage
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	cred, err := c.CreateCredential(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, cred)
	}
	fmt.Fprintf(m.Stdout, "Created %s credential %s.\n", cred.Kind, cred.Name)
	printPublicKey(m.Stdout, cred)
	return nil
}

// printPublicKey prints an ssh-key credential's public key, ready to paste into a provider.
func printPublicKey(w io.Writer, c *ferry.Credential) {
	if c.Kind != ferry.CredentialSSHKey {
		return
	}
	fmt.Fprintf(w, "\nPublic key (%s) — add it to the repository's deploy keys or the account's SSH keys:\n\n%s\n\nFingerprint: %s\n",
		c.Algorithm, c.PublicKey, c.Fingerprint)
}

func runCredList(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "cred")
	asJSON := fs.Bool("json", false, "print the credentials as a JSON list")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	all, err := listAll(ctx, c.ListCredentials)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, all)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tDETAIL\tUPDATED")
	for _, cred := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cred.Name, cred.Kind, credDetail(cred), cred.UpdatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

// credDetail is the one-line summary of a credential's public half.
func credDetail(c *ferry.Credential) string {
	if c.Kind == ferry.CredentialGitHubApp {
		return "app " + c.AppID + " installation " + c.InstallationID + " " + c.Fingerprint
	}
	if c.Kind == ferry.CredentialSSHKey {
		how := "imported"
		if c.Generated {
			how = "generated"
		}
		return c.Algorithm + " " + how + " " + c.Fingerprint
	}
	if c.Username != "" {
		return "user " + c.Username
	}
	return "-"
}

func runCredGet(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "cred")
	asJSON := fs.Bool("json", false, "print the credential as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	cred, err := c.FindCredential(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, cred)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\nKind:\t%s\n", cred.Name, cred.Kind)
	if cred.Username != "" {
		fmt.Fprintf(tw, "Username:\t%s\n", cred.Username)
	}
	if cred.Kind == ferry.CredentialSSHKey {
		fmt.Fprintf(tw, "Algorithm:\t%s\nGenerated:\t%t\nFingerprint:\t%s\n", cred.Algorithm, cred.Generated, cred.Fingerprint)
	}
	if cred.Kind == ferry.CredentialGitHubApp {
		fmt.Fprintf(tw, "App ID:\t%s\nInstallation ID:\t%s\nKey fingerprint:\t%s\n", cred.AppID, cred.InstallationID, cred.Fingerprint)
	}
	fmt.Fprintf(tw, "Created:\t%s\nUpdated:\t%s\n", cred.CreatedAt.UTC().Format(time.RFC3339), cred.UpdatedAt.UTC().Format(time.RFC3339))
	if !cred.RotatedAt.IsZero() {
		fmt.Fprintf(tw, "Rotated:\t%s\n", cred.RotatedAt.UTC().Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if cred.PublicKey != "" {
		fmt.Fprintf(m.Stdout, "Public key:\n%s\n", cred.PublicKey)
	}
	return nil
}

func runCredUpdate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "cred")
	username := fs.String("username", "", "the new username")
	asJSON := fs.Bool("json", false, "print the credential as JSON")
	secrets := addSecretFlags(fs)
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	key, passphrase, token, password, err := secrets.read(m)
	if err != nil {
		return err
	}
	var p ferryhttp.CredentialPatch
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "username":
			p.Username = username
		case "import-key":
			p.PrivateKey = &key
		case "passphrase-file":
			p.Passphrase = &passphrase
		case "token-file":
			p.Token = &token
		case "password-file":
			p.Password = &password
		}
	})
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	cred, err := c.UpdateCredential(ctx, pos[0], p)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, cred)
	}
	fmt.Fprintf(m.Stdout, "Updated credential %s.\n", cred.Name)
	if p.PrivateKey != nil {
		printPublicKey(m.Stdout, cred)
	}
	return nil
}

func runCredRotate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "cred")
	algorithm := fs.String("algorithm", "", "the new key's `ALGORITHM`, ed25519 or rsa-4096 (default: the old key's)")
	asJSON := fs.Bool("json", false, "print the credential as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	cred, err := c.RotateCredential(ctx, pos[0], *algorithm)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, cred)
	}
	fmt.Fprintf(m.Stdout, "Rotated credential %s: Ferry now uses the new key. Add it to the provider, then remove the old one.\n", cred.Name)
	printPublicKey(m.Stdout, cred)
	return nil
}

func runCredRm(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "cred")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if err := c.DeleteCredential(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Deleted credential %s.\n", pos[0])
	return nil
}
