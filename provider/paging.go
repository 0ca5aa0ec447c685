package provider

import (
	"net/http"
	"strings"

	"github.com/ferrygit/ferry"
)

// NextLink returns the rel="next" URL of an RFC 8288 Link header (GitHub, Gitea), or "".
func NextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, link := range splitLinks(v) {
			target, params, ok := strings.Cut(link, ";")
			if !ok {
				continue
			}
			target = strings.TrimSpace(target)
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "rel") && hasRel(strings.Trim(strings.TrimSpace(v), `"`), "next") {
					return target[1 : len(target)-1]
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header's value at the commas between links, not those inside
// a <URL>.
func splitLinks(v string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// hasRel reports whether the space-separated relation types rels include rel.
func hasRel(rels, rel string) bool {
	for _, r := range strings.Fields(rels) {
		if strings.EqualFold(r, rel) {
			return true
		}
	}
	return false
}

// Missing returns the entries of required that granted lacks, where implied maps a
// granted scope to the scopes it includes as well (GitHub's "repo" includes "repo:status").
func Missing(required, granted []string, implied map[string][]string) []string {
	have := map[string]bool{}
	for _, g := range granted {
		g = strings.TrimSpace(g)
		have[g] = true
		for _, i := range implied[g] {
			have[i] = true
		}
	}
	var missing []string
	for _, r := range required {
		if !have[r] {
			missing = append(missing, r)
		}
	}
	return missing
}

// SplitScopes splits a scopes header such as "repo, admin:repo_hook" or "api read_user".
func SplitScopes(h string) []string {
	return strings.FieldsFunc(h, func(r rune) bool { return r == ',' || r == ' ' })
}

// MapEvents translates Ferry's webhook events (ferry.WebhookEventPush,
// ferry.WebhookEventPullRequest) into a provider's, in order and without repeats: none
// means a push. Returns EINVALID for an event the table lacks.
func MapEvents(a *API, events []string, table map[string][]string) ([]string, error) {
	if len(events) == 0 {
		events = []string{ferry.WebhookEventPush}
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range events {
		names, ok := table[e]
		if !ok {
			return nil, a.Errorf(ferry.EINVALID, "webhook event %q is not one of %s or %s.", clipText(e), ferry.WebhookEventPush, ferry.WebhookEventPullRequest)
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out, nil
}
