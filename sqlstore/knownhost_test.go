package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

// Two keys for tests: GitHub's published ed25519 key (so its fingerprint is known) and
// GitLab's.
const (
	githubEd25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
	gitlabEd25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIAfuCHKVTjquxvt6CM6tdG4SLp1Btn/nOeHHE5UOzRdf"
)

func TestKnownHosts(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		all, err := db.ListKnownHosts(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(ferry.BuiltinKnownHosts()) {
			t.Fatalf("a new database lists %d keys, want the %d built-in ones", len(all), len(ferry.BuiltinKnownHosts()))
		}
		k := &ferry.KnownHost{Host: "Git.Example.com:2222", Key: githubEd25519, Source: ferry.KnownHostAdded}
		if err := db.AddKnownHost(ctx, k); err != nil {
			t.Fatal(err)
		}
		if k.Host != "git.example.com:2222" || k.KeyType != "ssh-ed25519" || !k.CreatedAt.Equal(fixedNow) ||
			k.Fingerprint != "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU" {
			t.Fatalf("added %+v", k)
		}
		trusted := &ferry.KnownHost{Host: "git.example.com:2222", Key: gitlabEd25519, Source: ferry.KnownHostTrusted}
		if err := db.AddKnownHost(ctx, trusted); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.AddKnownHost(ctx, &ferry.KnownHost{Host: "git.example.com:2222", Key: githubEd25519, Source: ferry.KnownHostAdded}), ferry.ECONFLICT)
		wantCode(t, db.AddKnownHost(ctx, &ferry.KnownHost{Host: "github.com", Key: githubEd25519, Source: ferry.KnownHostAdded}), ferry.ECONFLICT)
		wantCode(t, db.AddKnownHost(ctx, &ferry.KnownHost{Host: "h", Key: "bad key", Source: ferry.KnownHostAdded}), ferry.EINVALID)
		wantCode(t, db.AddKnownHost(ctx, &ferry.KnownHost{Host: "h", Key: githubEd25519, Source: ferry.KnownHostBuiltin}), ferry.EINVALID)
		wantCode(t, db.AddKnownHost(ctx, &ferry.KnownHost{Host: "ssh://h", Key: githubEd25519, Source: ferry.KnownHostAdded}), ferry.EINVALID)

		got, err := db.ListKnownHosts(ctx, "GIT.example.com:2222")
		if err != nil || len(got) != 2 || got[0].Source == got[1].Source {
			t.Fatalf("list of the host = %+v, %v", got, err)
		}
		gh, _ := db.ListKnownHosts(ctx, "github.com")
		if len(gh) != 3 || gh[0].Source != ferry.KnownHostBuiltin {
			t.Fatalf("github.com lists %+v", gh)
		}
		all, _ = db.ListKnownHosts(ctx, "")
		for i := 1; i < len(all); i++ {
			if all[i-1].Host > all[i].Host {
				t.Fatalf("not ordered by host: %s before %s", all[i-1].Host, all[i].Host)
			}
		}

		// Built-ins cannot be deleted; added keys can, one or all of a host.
		err = db.DeleteKnownHost(ctx, "github.com", "")
		wantCode(t, err, ferry.ECONFLICT)
		if !strings.Contains(ferry.ErrorMessage(err), "built into Ferry") {
			t.Errorf("message %q", ferry.ErrorMessage(err))
		}
		wantCode(t, db.DeleteKnownHost(ctx, "github.com", "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"), ferry.ECONFLICT)
		if err := db.DeleteKnownHost(ctx, "git.example.com:2222", trusted.Fingerprint); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.DeleteKnownHost(ctx, "git.example.com:2222", trusted.Fingerprint), ferry.ENOTFOUND)
		if err := db.DeleteKnownHost(ctx, "git.example.com:2222", ""); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.DeleteKnownHost(ctx, "git.example.com:2222", ""), ferry.ENOTFOUND)
		wantCode(t, db.DeleteKnownHost(ctx, "bad host!", ""), ferry.EINVALID)
		if got, _ := db.ListKnownHosts(ctx, "git.example.com:2222"); len(got) != 0 {
			t.Fatalf("after delete: %+v", got)
		}
	})
}
