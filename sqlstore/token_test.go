package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

func tokenHash(s string) [32]byte { return sha256.Sum256([]byte(ferry.TokenPrefix + s)) }

func mustCreateToken(t *testing.T, db *sqlstore.DB, tok *ferry.Token, secret string) *ferry.Token {
	t.Helper()
	if err := db.CreateToken(context.Background(), tok, tokenHash(secret)); err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		expires := time.Date(2027, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
		a := mustCreateToken(t, db, &ferry.Token{Description: "deploy bot", CreatedBy: "user:alice", Namespace: "dev", ExpiresAt: expires,
			Permissions: []ferry.Permission{ferry.PermSyncTrigger, ferry.PermNamespacesRead, ferry.PermAdmin}}, "a")
		if a.ID == 0 || !a.CreatedAt.Equal(fixedNow) || a.ExpiresAt.Location() != time.UTC || !a.ExpiresAt.Equal(expires) {
			t.Fatalf("created %+v", a)
		}
		b := mustCreateToken(t, db, &ferry.Token{Description: "ci", CreatedBy: "admin", Permissions: []ferry.Permission{ferry.PermNamespacesRead}}, "b")
		if b.ID <= a.ID {
			t.Fatalf("IDs %d then %d", a.ID, b.ID)
		}
		err := db.CreateToken(ctx, &ferry.Token{Description: "again", CreatedBy: "admin", Permissions: []ferry.Permission{ferry.PermAdmin}}, tokenHash("a"))
		wantCode(t, err, ferry.ECONFLICT)

		got, err := db.FindTokenByHash(ctx, tokenHash("a"))
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Fatalf("find by hash = %+v, %v; want %+v", got, err, a)
		}
		if got, err := db.FindToken(ctx, b.ID); err != nil || !reflect.DeepEqual(got, b) || !got.ExpiresAt.IsZero() || got.Namespace != "" {
			t.Fatalf("find = %+v, %v; want %+v", got, err, b)
		}
		unknown := tokenHash("nope")
		_, err = db.FindTokenByHash(ctx, unknown)
		wantCode(t, err, ferry.ENOTFOUND)
		if msg := err.(*ferry.Error).Message; strings.Contains(strings.ToLower(msg), hex.EncodeToString(unknown[:4])) {
			t.Fatalf("the message echoes the hash: %q", msg)
		}
		_, err = db.FindToken(ctx, 999)
		wantCode(t, err, ferry.ENOTFOUND)

		// Revoking: once, then never again; listed only when asked.
		wantCode(t, db.RevokeToken(ctx, 999), ferry.ENOTFOUND)
		if err := db.RevokeToken(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.RevokeToken(ctx, a.ID), ferry.ENOTFOUND)
		if got, _ := db.FindTokenByHash(ctx, tokenHash("a")); got == nil || !got.RevokedAt.Equal(fixedNow) {
			t.Fatalf("a revoked token is still found, marked revoked: %+v", got)
		}
		c := mustCreateToken(t, db, &ferry.Token{Description: "c", CreatedBy: "admin", Permissions: []ferry.Permission{ferry.PermCatalogRead}}, "c")
		for _, tc := range []struct {
			revoked bool
			want    []int64
		}{{false, []int64{c.ID, b.ID}}, {true, []int64{c.ID, b.ID, a.ID}}} {
			list, err := db.ListTokens(ctx, tc.revoked)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, x := range list {
				ids = append(ids, x.ID)
			}
			if !reflect.DeepEqual(ids, tc.want) {
				t.Fatalf("list (revoked %v) = %v, want %v", tc.revoked, ids, tc.want)
			}
		}
	})
}

func TestTouchToken(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		tok := mustCreateToken(t, db, &ferry.Token{Description: "t", CreatedBy: "admin", Permissions: []ferry.Permission{ferry.PermAdmin}}, "t")
		other := mustCreateToken(t, db, &ferry.Token{Description: "o", CreatedBy: "admin", Permissions: []ferry.Permission{ferry.PermAdmin}}, "o")
		t0 := fixedNow.Add(time.Hour)
		for _, tc := range []struct {
			at   time.Time
			want time.Time
		}{
			{t0.In(time.FixedZone("EST", -5*3600)), t0}, // first use, stored in UTC
			{t0.Add(30 * time.Second), t0},              // within the minute: not written
			{t0.Add(time.Minute), t0},                   // exactly a minute: not yet
			{t0.Add(time.Minute + time.Second), t0.Add(time.Minute + time.Second)},
			{t0, t0.Add(time.Minute + time.Second)}, // never backwards
		} {
			written := db.RowsWritten()
			if err := db.TouchToken(ctx, tok.ID, tc.at); err != nil {
				t.Fatal(err)
			}
			got, err := db.FindToken(ctx, tok.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.LastUsedAt.Equal(tc.want) || got.LastUsedAt.Location() != time.UTC {
				t.Fatalf("after touch at %v: last used %v, want %v", tc.at, got.LastUsedAt, tc.want)
			}
			if wrote := db.RowsWritten() != written; wrote != tc.at.Equal(tc.want) {
				t.Fatalf("touch at %v wrote a row: %v", tc.at, wrote)
			}
		}
		if got, _ := db.FindToken(ctx, other.ID); !got.LastUsedAt.IsZero() {
			t.Fatalf("touching one token touched another: %+v", got)
		}
	})
}
