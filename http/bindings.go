package http

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ferrygit/ferry"
)

// registerBindingRoutes registers the routes that manage a namespace's bindings.
func (s *Server) registerBindingRoutes(mux *http.ServeMux) {
	s.api(mux, "POST /api/v1/namespaces/{ns}/bindings", ferry.PermBindingsManage, s.handleCreateBinding)
	s.api(mux, "GET /api/v1/namespaces/{ns}/bindings", ferry.PermNamespacesRead, s.handleListBindings)
	s.api(mux, "GET /api/v1/namespaces/{ns}/bindings/{b}", ferry.PermNamespacesRead, s.handleGetBinding)
	s.api(mux, "PATCH /api/v1/namespaces/{ns}/bindings/{b}", ferry.PermBindingsManage, s.handleUpdateBinding)
	s.api(mux, "DELETE /api/v1/namespaces/{ns}/bindings/{b}", ferry.PermBindingsManage, s.handleDeleteBinding)
	s.api(mux, "POST /api/v1/namespaces/{ns}/bindings/{b}/check", ferry.PermNamespacesRead, s.handleCheckBinding)
}

// BindingRequest is the body of POST /api/v1/namespaces/{ns}/bindings, and the "mirror" of
// POST /api/v1/namespaces. Directory and Path may start with '/'; Direction defaults to pull.
type BindingRequest struct {
	Name       string `json:"name"`
	Directory  string `json:"directory,omitempty"`
	URL        string `json:"url"`
	Ref        string `json:"ref,omitempty"`
	Path       string `json:"path,omitempty"`
	Credential string `json:"credential,omitempty"`
	Direction  string `json:"direction,omitempty"`
	Schedule   string `json:"schedule,omitempty"`
	// Webhook is "manual" for a webhook whose URL and secret the answer shows, once; "" or
	// "none" for none.
	Webhook string `json:"webhook,omitempty"`
	// Provider and Repository name a provider connection and one of its repositories
	// instead of URL; the webhook is then managed unless Webhook says otherwise.
	Provider   string `json:"provider,omitempty"`
	Repository string `json:"repository,omitempty"`
	// DeployKey registers the binding's generated ssh-key credential as a deploy key.
	DeployKey bool `json:"deploy_key,omitempty"`
	// Entities makes pulls read catalog entities from the files its glob selects.
	Entities *ferry.EntitySpec `json:"entities,omitempty"`
}

// binding returns the binding req describes in namespace ns, validated, and checks its
// webhook mode.
func (req *BindingRequest) binding(ns string) (*ferry.Binding, error) {
	b := &ferry.Binding{Namespace: ns, Name: req.Name, Directory: req.Directory, URL: req.URL, Ref: req.Ref,
		Path: req.Path, Credential: req.Credential, Direction: req.Direction, Schedule: req.Schedule,
		Provider: req.Provider, Repository: req.Repository, Entities: req.Entities}
	if req.Provider != "" && req.URL != "" {
		return b, ferry.Errorf(ferry.EINVALID, "Give url, or provider and repository, not both.")
	}
	if req.Repository != "" && req.Provider == "" {
		return b, ferry.Errorf(ferry.EINVALID, "Field repository needs provider: the provider connection it belongs to.")
	}
	if err := b.Validate(); err != nil {
		return b, err
	}
	if req.Provider != "" {
		if req.Webhook != "" && req.Webhook != ferry.WebhookNone {
			return b, ferry.ValidateWebhookMode(req.Webhook)
		}
		return b, nil
	}
	if req.DeployKey {
		return b, ferry.Errorf(ferry.EINVALID, "Field deploy_key needs provider and repository.")
	}
	return b, checkWebhookMode(req.Webhook)
}

// BindingResponse is a binding as the API answers it: with its webhook, if it has one, and
// from a create with its first pull, when one was queued.
type BindingResponse struct {
	*ferry.Binding
	FirstRun *ferry.Run       `json:"first_run,omitempty"`
	Webhook  *WebhookResponse `json:"webhook,omitempty"` // its secret only on the answer that issued it
}

// syncReady answers 503 and returns false when the server has no sync service.
func (s *Server) syncReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Sync == nil || s.Bindings == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server does not sync with Git."))
		return false
	}
	return true
}

// bindingsReady answers 503 and returns false when the server keeps no bindings or runs.
func (s *Server) bindingsReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Bindings == nil || s.Runs == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server keeps no bindings."))
		return false
	}
	return true
}

// bindingParams returns the {ns} and {b} path parameters. Returns EINVALID for a bad name.
func bindingParams(r *http.Request) (ns, name string, err error) {
	if ns, err = namespaceParam(r); err != nil {
		return "", "", err
	}
	name = r.PathValue("b")
	if err := ferry.ValidateNamespaceName(name); err != nil {
		return "", "", ferry.Errorf(ferry.EINVALID, "Binding name: %s", ferry.ErrorMessage(err))
	}
	return ns, name, nil
}

// bindingLocation returns the API path of a binding.
func bindingLocation(ns, name string) string {
	return apiPrefix + "/namespaces/" + url.PathEscape(ns) + "/bindings/" + url.PathEscape(name)
}

func (s *Server) handleCreateBinding(w http.ResponseWriter, r *http.Request) {
	if !s.syncReady(w, r) {
		return
	}
	ns, err := namespaceParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req BindingRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := req.binding(ns)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var resp *BindingResponse
	if b.Provider != "" {
		resp, err = s.createProviderBinding(r.Context(), b, ferry.BindOptions{Webhook: req.Webhook, DeployKey: req.DeployKey, Actor: actorFrom(r.Context())})
	} else {
		resp, err = s.createBinding(r.Context(), b, req.Webhook)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", bindingLocation(ns, b.Name))
	writeJSON(w, http.StatusCreated, resp)
}

// createBinding creates a validated binding through the sync service, with a webhook in
// mode unless it is "", and returns it as stored, status and all, with its first pull. A
// binding whose webhook cannot be made is removed again.
func (s *Server) createBinding(ctx context.Context, b *ferry.Binding, webhookMode string) (*BindingResponse, error) {
	run, err := s.Sync.CreateBinding(ctx, b, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	stored, err := s.Bindings.FindBinding(ctx, b.Namespace, b.Name)
	if err != nil {
		return nil, err
	}
	resp := &BindingResponse{Binding: stored, FirstRun: run}
	if webhookMode != "" && webhookMode != ferry.WebhookNone {
		if resp.Webhook, err = s.setWebhook(ctx, stored, webhookMode); err != nil {
			if err := s.Sync.DeleteBinding(context.WithoutCancel(ctx), b.Namespace, b.Name); err != nil {
				s.logger().Error("could not remove a binding whose webhook failed", "namespace", b.Namespace, "binding", b.Name, "err", err)
			}
			return nil, err
		}
	}
	return resp, nil
}

// createProviderBinding makes a binding through a provider connection with the Binder,
// which leaves nothing behind at the provider when it fails.
func (s *Server) createProviderBinding(ctx context.Context, b *ferry.Binding, opts ferry.BindOptions) (*BindingResponse, error) {
	if s.Binder == nil {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "This server makes no bindings through provider connections.")
	}
	run, secret, err := s.Binder.CreateBinding(ctx, b, opts)
	if err != nil {
		return nil, err
	}
	stored, err := s.Bindings.FindBinding(ctx, b.Namespace, b.Name)
	if err != nil {
		return nil, err
	}
	resp := &BindingResponse{Binding: stored, FirstRun: run}
	if resp.Webhook, err = s.findWebhook(ctx, stored.ID); err != nil {
		return nil, err
	}
	if resp.Webhook != nil {
		resp.Webhook.Secret = secret
	}
	return resp, nil
}

func (s *Server) handleListBindings(w http.ResponseWriter, r *http.Request) {
	if !s.bindingsReady(w, r) {
		return
	}
	ns, err := namespaceParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.Bindings.ListBindings(r.Context(), ns, page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}

func (s *Server) handleGetBinding(w http.ResponseWriter, r *http.Request) {
	if !s.bindingsReady(w, r) {
		return
	}
	ns, name, err := bindingParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := s.Bindings.FindBinding(r.Context(), ns, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wh, err := s.findWebhook(r.Context(), b.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, BindingResponse{Binding: b, Webhook: wh})
}

// bindingPatch is the body of PATCH …/bindings/{b}: a ferry.BindingUpdate and the webhook
// mode ("manual", or "none" to remove it).
type bindingPatch struct {
	ferry.BindingUpdate
	Webhook *string `json:"webhook"`
}

// handleUpdateBinding applies a ferry.BindingUpdate and answers with the binding as stored.
func (s *Server) handleUpdateBinding(w http.ResponseWriter, r *http.Request) {
	if !s.syncReady(w, r) {
		return
	}
	ns, name, err := bindingParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var u bindingPatch
	if err := decodeJSON(w, r, s.maxRequestSize(), &u, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if u.Webhook != nil {
		if err := checkWebhookMode(*u.Webhook); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if u.Webhook != nil && s.Binder != nil {
		if cur, err := s.Bindings.FindBinding(r.Context(), ns, name); err == nil && cur.HookID != "" {
			s.writeError(w, r, ferry.Errorf(ferry.EINVALID, "Binding %q has a webhook Ferry manages at provider %q; delete and re-create the binding to change it.", name, cur.Provider))
			return
		}
	}
	if u.Webhook == nil || u.BindingUpdate != (ferry.BindingUpdate{}) {
		update := s.Sync.UpdateBinding
		if s.Binder != nil {
			update = s.Binder.UpdateBinding
		}
		if _, err := update(r.Context(), ns, name, u.BindingUpdate); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	b, err := s.Bindings.FindBinding(r.Context(), ns, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var wh *WebhookResponse
	if u.Webhook != nil {
		wh, err = s.setWebhook(r.Context(), b, *u.Webhook)
	} else {
		wh, err = s.findWebhook(r.Context(), b.ID)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, BindingResponse{Binding: b, Webhook: wh})
}

func (s *Server) handleDeleteBinding(w http.ResponseWriter, r *http.Request) {
	if !s.syncReady(w, r) {
		return
	}
	ns, name, err := bindingParams(r)
	if err == nil && s.Binder != nil {
		err = s.Binder.DeleteBinding(r.Context(), ns, name)
	} else if err == nil {
		err = s.Sync.DeleteBinding(r.Context(), ns, name)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleCheckBinding runs "check availability" with a binding's URL, ref and credential. A
// failure of the remote is a finding (200), not an error of the request.
func (s *Server) handleCheckBinding(w http.ResponseWriter, r *http.Request) {
	if !s.syncReady(w, r) {
		return
	}
	ns, name, err := bindingParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.Sync.CheckBinding(r.Context(), ns, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
