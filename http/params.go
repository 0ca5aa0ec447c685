package http

import (
	"net/http"
	"strconv"

	"github.com/ferrygit/ferry"
)

// pageParams reads ?limit= (1 to ferry.MaxPageLimit, default ferry.DefaultPageLimit) and
// ?cursor=.
func pageParams(r *http.Request) (ferry.Page, error) {
	page := ferry.Page{Cursor: r.URL.Query().Get("cursor")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > ferry.MaxPageLimit {
			return page, ferry.Errorf(ferry.EINVALID, "Parameter limit must be a whole number from 1 to %d.", ferry.MaxPageLimit)
		}
		page.Limit = n
	}
	return page, nil
}

// revisionParam parses a revision number given as parameter name. Returns EINVALID
// unless it is a positive integer.
func revisionParam(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, ferry.Errorf(ferry.EINVALID, "Parameter %s must be a revision number: a whole number from 1 up (got %q).", name, clip(v))
	}
	return n, nil
}

// optionalRevision reads query parameter name as a revision number; absent means 0.
func optionalRevision(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	return revisionParam(name, v)
}

// boolParam reads query parameter name as true or false; absent means false.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, ferry.Errorf(ferry.EINVALID, "Parameter %s must be true or false (got %q).", name, clip(v))
	}
	return b, nil
}

// namespaceParam returns the {ns} path parameter. Returns EINVALID for a bad name.
func namespaceParam(r *http.Request) (string, error) {
	ns := r.PathValue("ns")
	return ns, ferry.ValidateNamespaceName(ns)
}
