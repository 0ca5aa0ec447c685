package gitsync

import (
	"context"
	"log/slog"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
)

// BinderStore is the storage the Binder needs.
type BinderStore interface {
	FindBinding(ctx context.Context, ns, name string) (*ferry.Binding, error)
	FindCredential(ctx context.Context, name string) (*ferry.Credential, error)
	PutWebhook(ctx context.Context, w *ferry.Webhook, secret string) error
	FindWebhook(ctx context.Context, bindingID int64) (*ferry.Webhook, error)
	DeleteWebhook(ctx context.Context, bindingID int64) error
	WebhookTarget(ctx context.Context, bindingID int64) (*ferry.Binding, string, error)
	SetBindingProviderIDs(ctx context.Context, id int64, hookID, deployKeyID string) error
	SetBindingProviderError(ctx context.Context, id int64, msg string) error
}

// Binder makes, changes and removes bindings through provider connections: it resolves a
// binding's URL from the provider's repository list and creates and deletes the managed
// webhook and deploy key at the provider, so that none is left behind without a binding.
type Binder struct {
	Sync      ferry.SyncService
	Store     BinderStore
	Providers ferry.ProviderManager
	// HookURL returns the URL providers deliver binding id's webhooks to.
	HookURL func(bindingID int64) string
	Logger  *slog.Logger
}

// hookEvents are the events a managed webhook asks for: pushes, and pull requests opened or
// updated (Azure DevOps: git.push, git.pullrequest.created and git.pullrequest.updated),
// which the receiver answers 200 and ignores unless a binding asks for them.
var hookEvents = []string{ferry.WebhookEventPush, ferry.WebhookEventPullRequest}

func (m *Binder) logger() *slog.Logger {
	if m.Logger == nil {
		return slog.Default()
	}
	return m.Logger
}

// Resolve sets b.URL to the clone URL of b.Repository in provider b.Provider's repository
// list (refreshed once when the repository is not in the cache): the SSH URL when b's
// credential is an SSH key, HTTPS otherwise.
func (m *Binder) Resolve(ctx context.Context, b *ferry.Binding) error {
	if m.Providers == nil {
		return ferry.Errorf(ferry.EUNAVAILABLE, "This server has no provider connections.")
	}
	ssh := false
	if b.Credential != "" {
		c, err := m.Store.FindCredential(ctx, b.Credential)
		if err != nil {
			return err
		}
		ssh = c.Kind == ferry.CredentialSSHKey
	}
	var repo *ferry.Repository
	for _, refresh := range []bool{false, true} {
		l, err := m.Providers.Repositories(ctx, b.Provider, refresh)
		if err != nil {
			return err
		}
		for i := range l.Repositories {
			if strings.EqualFold(l.Repositories[i].Name, b.Repository) {
				repo = &l.Repositories[i]
				break
			}
		}
		if repo != nil {
			break
		}
	}
	if repo == nil {
		return ferry.Errorf(ferry.ENOTFOUND, "Provider %q has no repository %q.", b.Provider, b.Repository)
	}
	url := repo.CloneHTTPS
	if ssh {
		url = repo.CloneSSH
	}
	if url == "" {
		kind := "HTTPS"
		if ssh {
			kind = "SSH"
		}
		return ferry.Errorf(ferry.EINVALID, "Provider %q lists no %s clone URL for repository %q.", b.Provider, kind, b.Repository)
	}
	b.URL, b.Repository = url, repo.Name
	return nil
}

// CreateBinding makes binding b through its provider: it resolves the URL, stores the
// binding and its webhook secret, then creates the managed webhook and the deploy key at
// the provider. On a failure it removes what it made, at the provider first, and returns
// the error. It returns the first pull and the webhook's secret ("" without a webhook).
func (m *Binder) CreateBinding(ctx context.Context, b *ferry.Binding, opts ferry.BindOptions) (*ferry.Run, string, error) {
	mode := opts.Webhook
	if mode == "" {
		mode = ferry.WebhookManaged
	}
	if mode != ferry.WebhookNone {
		if err := ferry.ValidateWebhookMode(mode); err != nil {
			return nil, "", err
		}
	}
	var pub string
	if opts.DeployKey {
		if b.Credential == "" {
			return nil, "", ferry.Errorf(ferry.EINVALID, "A deploy key needs a credential: a generated ssh-key credential whose public key Ferry registers.")
		}
		c, err := m.Store.FindCredential(ctx, b.Credential)
		if err != nil {
			return nil, "", err
		}
		if c.Kind != ferry.CredentialSSHKey || !c.Generated || c.PublicKey == "" {
			return nil, "", ferry.Errorf(ferry.EINVALID, "Credential %q is not an ssh-key credential Ferry generated; a deploy key needs one.", c.Name)
		}
		pub = c.PublicKey
	}
	if err := m.Resolve(ctx, b); err != nil {
		return nil, "", err
	}
	var client ferry.ProviderClient
	if mode == ferry.WebhookManaged || opts.DeployKey {
		c, err := m.Providers.Client(ctx, b.Provider)
		if err != nil {
			return nil, "", err
		}
		client = c
	}
	run, err := m.Sync.CreateBinding(ctx, b, opts.Actor)
	if err != nil {
		return nil, "", err
	}
	var secret, hookID, keyID string
	undo := func(err error) (*ferry.Run, string, error) {
		ctx := context.WithoutCancel(ctx)
		if keyID != "" {
			if e := provider.IgnoreNotFound(client.RemoveDeployKey(ctx, b.Repository, keyID)); e != nil {
				m.logger().Error("could not remove the deploy key of a binding that failed", "provider", b.Provider, "repository", b.Repository, "key", keyID, "err", e)
			}
		}
		if hookID != "" {
			if e := provider.IgnoreNotFound(client.DeleteWebhook(ctx, b.Repository, hookID)); e != nil {
				m.logger().Error("could not remove the webhook of a binding that failed", "provider", b.Provider, "repository", b.Repository, "hook", hookID, "err", e)
			}
		}
		if e := m.Sync.DeleteBinding(ctx, b.Namespace, b.Name); e != nil {
			m.logger().Error("could not remove a binding whose provider set-up failed", "namespace", b.Namespace, "binding", b.Name, "err", e)
		}
		return nil, "", err
	}
	if mode != ferry.WebhookNone {
		secret = ferry.NewWebhookSecret()
		if err := m.Store.PutWebhook(ctx, &ferry.Webhook{BindingID: b.ID, Mode: mode}, secret); err != nil {
			return undo(err)
		}
	}
	if mode == ferry.WebhookManaged {
		if hookID, err = client.CreateWebhook(ctx, b.Repository, m.HookURL(b.ID), secret, hookEvents); err != nil {
			return undo(err)
		}
	}
	if opts.DeployKey {
		title := "Ferry " + b.Namespace + "/" + b.Name
		if keyID, err = client.AddDeployKey(ctx, b.Repository, title, pub, !b.Pushes()); err != nil {
			return undo(err)
		}
	}
	if hookID != "" || keyID != "" {
		if err := m.Store.SetBindingProviderIDs(ctx, b.ID, hookID, keyID); err != nil {
			return undo(err)
		}
		b.HookID, b.DeployKeyID = hookID, keyID
	}
	return run, secret, nil
}

// detach removes b's webhook and deploy key at the provider, and forgets their ids. One
// already gone is no error; a provider that cannot be reached is (EUNAVAILABLE), and
// then nothing is forgotten.
func (m *Binder) detach(ctx context.Context, b *ferry.Binding) error {
	if b.HookID == "" && b.DeployKeyID == "" {
		return nil
	}
	client, err := m.Providers.Client(ctx, b.Provider)
	if err != nil {
		return err
	}
	if b.HookID != "" {
		if err := provider.IgnoreNotFound(client.DeleteWebhook(ctx, b.Repository, b.HookID)); err != nil {
			return err
		}
	}
	if b.DeployKeyID != "" {
		if err := provider.IgnoreNotFound(client.RemoveDeployKey(ctx, b.Repository, b.DeployKeyID)); err != nil {
			if b.HookID != "" { // the hook is gone: forget it, keep the key
				if e := m.Store.SetBindingProviderIDs(ctx, b.ID, "", b.DeployKeyID); e != nil {
					return e
				}
			}
			return err
		}
	}
	return m.Store.SetBindingProviderIDs(ctx, b.ID, "", "")
}

// DeleteBinding removes binding ns/name, after its webhook and deploy key at the provider.
// A provider that cannot be reached keeps the binding and returns EUNAVAILABLE.
func (m *Binder) DeleteBinding(ctx context.Context, ns, name string) error {
	b, err := m.Store.FindBinding(ctx, ns, name)
	if err != nil {
		return err
	}
	if err := m.detach(ctx, b); err != nil {
		return m.failed(ctx, b, "Deleting the binding's webhook or deploy key at the provider failed, so the binding is kept", err)
	}
	return m.Sync.DeleteBinding(ctx, ns, name)
}

// UpdateBinding applies u to binding ns/name. When u moves a binding made through a
// provider to another repository, its webhook and deploy key are removed from the old
// repository first, the new URL is resolved, and they are made again on the new one (the
// webhook keeps its secret). Moving off providers (provider "") turns a managed webhook off.
func (m *Binder) UpdateBinding(ctx context.Context, ns, name string, u ferry.BindingUpdate) (*ferry.Binding, error) {
	b, err := m.Store.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if !u.ChangesRepository(b) {
		return m.Sync.UpdateBinding(ctx, ns, name, u)
	}
	next := *b
	u.Apply(&next)
	if b.Provider != "" && u.URL != nil && next.Provider != "" {
		return nil, ferry.Errorf(ferry.EINVALID, "Binding %q is made through provider %q: change its repository, or set provider to \"\" with the URL.", name, b.Provider)
	}
	if next.Provider == "" {
		empty := ""
		u.Repository = &empty
		if u.URL == nil {
			return nil, ferry.Errorf(ferry.EINVALID, "A binding taken off its provider needs url.")
		}
	} else {
		if next.Repository == "" {
			return nil, ferry.Errorf(ferry.EINVALID, "Repository is required with provider %q.", next.Provider)
		}
		if err := m.Resolve(ctx, &next); err != nil {
			return nil, err
		}
		u.URL, u.Repository = &next.URL, &next.Repository
	}
	hadHook, hadKey := b.HookID != "", b.DeployKeyID != ""
	if err := m.detach(ctx, b); err != nil {
		return nil, m.failed(ctx, b, "Removing the webhook or deploy key from the old repository failed, so the binding was not moved", err)
	}
	updated, err := m.Sync.UpdateBinding(ctx, ns, name, u)
	if err != nil {
		return nil, err
	}
	if !hadHook && !hadKey {
		return updated, nil
	}
	if updated.Provider == "" {
		if hadHook {
			if err := m.Store.DeleteWebhook(ctx, updated.ID); err != nil && ferry.ErrorCode(err) != ferry.ENOTFOUND {
				return nil, err
			}
		}
		return updated, nil
	}
	if err := m.attach(ctx, updated, hadHook, hadKey); err != nil {
		return nil, m.failed(ctx, updated, "The binding moved, but its webhook or deploy key could not be made at the new repository (delete and re-create the binding to retry)", err)
	}
	return m.Store.FindBinding(ctx, ns, name)
}

// attach makes b's managed webhook (with its stored secret) and deploy key again.
func (m *Binder) attach(ctx context.Context, b *ferry.Binding, hook, key bool) error {
	client, err := m.Providers.Client(ctx, b.Provider)
	if err != nil {
		return err
	}
	var hookID, keyID string
	if hook {
		_, secret, err := m.Store.WebhookTarget(ctx, b.ID)
		if err != nil {
			return err
		}
		if hookID, err = client.CreateWebhook(ctx, b.Repository, m.HookURL(b.ID), secret, hookEvents); err != nil {
			return err
		}
	}
	if key {
		c, err := m.Store.FindCredential(ctx, b.Credential)
		if err == nil {
			keyID, err = client.AddDeployKey(ctx, b.Repository, "Ferry "+b.Namespace+"/"+b.Name, c.PublicKey, !b.Pushes())
		}
		if err != nil {
			if hookID != "" {
				if e := m.Store.SetBindingProviderIDs(ctx, b.ID, hookID, ""); e != nil {
					return e
				}
			}
			return err
		}
	}
	return m.Store.SetBindingProviderIDs(ctx, b.ID, hookID, keyID)
}

// failed records on binding b that what Ferry tried at its provider failed with err, and
// returns err, its message prefixed with what, so that the binding shows it until a later
// attempt succeeds.
func (m *Binder) failed(ctx context.Context, b *ferry.Binding, what string, err error) error {
	code := ferry.ErrorCode(err)
	msg := what + ": " + ferry.ErrorMessage(err)
	if code == ferry.EINTERNAL {
		m.logger().Error("provider set-up of a binding failed", "namespace", b.Namespace, "binding", b.Name, "err", err)
		msg = what + "; see the server log."
	}
	if e := m.Store.SetBindingProviderError(context.WithoutCancel(ctx), b.ID, msg); e != nil {
		m.logger().Error("could not record a binding's provider failure", "namespace", b.Namespace, "binding", b.Name, "err", e)
	}
	return ferry.Errorf(code, "%s", msg)
}
