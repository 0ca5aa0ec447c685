package sqlstore_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

func TestWebhooks(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		a, b := newBinding("dev", "a", "a"), newBinding("dev", "b", "b")
		for _, x := range []*ferry.Binding{a, b} {
			if err := db.CreateBinding(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, db.PutWebhook(ctx, &ferry.Webhook{BindingID: 999, Mode: ferry.WebhookManual}, "x"), ferry.ENOTFOUND)
		wantCode(t, db.PutWebhook(ctx, &ferry.Webhook{BindingID: a.ID, Mode: "sometimes"}, "x"), ferry.EINVALID)
		_, err := db.FindWebhook(ctx, a.ID)
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.WebhookTarget(ctx, a.ID)
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.WebhookTarget(ctx, 999)
		wantCode(t, err, ferry.ENOTFOUND)

		secret := ferry.NewWebhookSecret()
		if len(secret) != 43 || secret == ferry.NewWebhookSecret() {
			t.Fatalf("secret %q is not 32 random bytes in base64url", secret)
		}
		w := &ferry.Webhook{BindingID: a.ID, Mode: ferry.WebhookManual}
		if err := db.PutWebhook(ctx, w, secret); err != nil {
			t.Fatal(err)
		}
		if w.Mode != ferry.WebhookManual || !w.CreatedAt.Equal(fixedNow) || !w.RotatedAt.IsZero() {
			t.Fatalf("put = %+v", w)
		}
		if target, got, err := db.WebhookTarget(ctx, a.ID); err != nil || got != secret || target.ID != a.ID || target.Namespace != "dev" ||
			target.Name != "a" || target.Ref != "main" || target.Direction != ferry.DirectionPull {
			t.Fatalf("target = %+v, %q, %v", target, got, err)
		}
		raw, err := sqlstore.RawWebhookSecret(db, a.ID)
		if err != nil || bytes.Contains(raw, []byte(secret)) || len(raw) < len(secret) {
			t.Fatalf("the secret is not sealed at rest: %q, %v", raw, err)
		}

		// Rotation replaces the secret and records when.
		rotated := ferry.NewWebhookSecret()
		w = &ferry.Webhook{BindingID: a.ID, Mode: ferry.WebhookManual}
		if err := db.PutWebhook(ctx, w, rotated); err != nil || !w.RotatedAt.Equal(fixedNow) || !w.CreatedAt.Equal(fixedNow) {
			t.Fatalf("rotate = %+v, %v", w, err)
		}
		if _, got, _ := db.WebhookTarget(ctx, a.ID); got != rotated {
			t.Fatal("rotation kept the old secret")
		}

		// A sealed secret opens only for its binding.
		if err := db.PutWebhook(ctx, &ferry.Webhook{BindingID: b.ID, Mode: ferry.WebhookManual}, secret); err != nil {
			t.Fatal(err)
		}
		if err := sqlstore.SwapWebhookSecrets(db, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, got, err := db.WebhookTarget(ctx, a.ID); err == nil {
			t.Fatalf("b's sealed secret opened for a: %q", got)
		}

		if err := db.DeleteWebhook(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.DeleteWebhook(ctx, a.ID), ferry.ENOTFOUND)
		// Deleting a binding deletes its webhook.
		if err := db.DeleteBinding(ctx, "dev", "b"); err != nil {
			t.Fatal(err)
		}
		_, err = db.FindWebhook(ctx, b.ID)
		wantCode(t, err, ferry.ENOTFOUND)
	})
}

func TestDeliveries(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		a, b := newBinding("dev", "a", "a"), newBinding("dev", "b", "b")
		for _, x := range []*ferry.Binding{a, b} {
			if err := db.CreateBinding(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		record := func(bindingID int64, id, verdict string, claim bool) (*ferry.Delivery, error) {
			d := &ferry.Delivery{BindingID: bindingID, Provider: "github", Event: "push", DeliveryID: id, Verdict: verdict, Ref: "refs/heads/main", Commit: "c1"}
			return d, db.RecordDelivery(ctx, d, claim)
		}
		// A rejected delivery claims nothing: the real one that follows is handled.
		if _, err := record(a.ID, "d1", ferry.VerdictRejectedSignature, false); err != nil {
			t.Fatal(err)
		}
		first, err := record(a.ID, "d1", ferry.VerdictQueued, true)
		if err != nil || first.ID == 0 || !first.ReceivedAt.Equal(fixedNow) {
			t.Fatalf("record = %+v, %v", first, err)
		}
		_, err = record(a.ID, "d1", ferry.VerdictQueued, true)
		wantCode(t, err, ferry.ECONFLICT)
		if _, err := record(a.ID, "d1", ferry.VerdictDuplicate, false); err != nil {
			t.Fatal(err)
		}
		if _, err := record(b.ID, "d1", ferry.VerdictQueued, true); err != nil { // IDs are per binding
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // no delivery ID: nothing to claim
			if _, err := record(a.ID, "", ferry.VerdictQueued, true); err != nil {
				t.Fatal(err)
			}
		}
		_, err = record(999, "x", ferry.VerdictQueued, true)
		wantCode(t, err, ferry.ENOTFOUND)

		// A failed delivery gives its ID back for the provider's retry.
		first.Verdict, first.Message, first.Run = ferry.VerdictFailed, "no queue", 0
		if err := db.UpdateDelivery(ctx, first, true); err != nil {
			t.Fatal(err)
		}
		retry, err := record(a.ID, "d1", ferry.VerdictQueued, true)
		if err != nil {
			t.Fatalf("the retry of a failed delivery: %v", err)
		}
		retry.Run, retry.Message = 42, "Pull run 42."
		if err := db.UpdateDelivery(ctx, retry, false); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.UpdateDelivery(ctx, &ferry.Delivery{ID: 99999}, false), ferry.ENOTFOUND)

		items, next, err := db.ListDeliveries(ctx, "dev", "a", ferry.Page{Limit: 4})
		if err != nil || len(items) != 4 || next == "" {
			t.Fatalf("list = %d items, next %q, %v", len(items), next, err)
		}
		if got := items[0]; got.ID != retry.ID || got.Run != 42 || got.Message != "Pull run 42." || got.Verdict != ferry.VerdictQueued ||
			got.Provider != "github" || got.Event != "push" || got.DeliveryID != "d1" || got.Ref != "refs/heads/main" || got.Commit != "c1" || got.BindingID != a.ID {
			t.Fatalf("newest = %+v", got)
		}
		rest, next, err := db.ListDeliveries(ctx, "dev", "a", ferry.Page{Limit: 4, Cursor: next})
		if err != nil || len(rest) != 2 || next != "" || rest[1].Verdict != ferry.VerdictRejectedSignature || rest[0].Verdict != ferry.VerdictFailed {
			t.Fatalf("second page = %+v, %q, %v", rest, next, err)
		}
		_, _, err = db.ListDeliveries(ctx, "dev", "nope", ferry.Page{})
		wantCode(t, err, ferry.ENOTFOUND)

		// Deleting a binding deletes its deliveries.
		if err := db.DeleteBinding(ctx, "dev", "b"); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateBinding(ctx, newBinding("dev", "b", "b")); err != nil {
			t.Fatal(err)
		}
		if items, _, _ := db.ListDeliveries(ctx, "dev", "b", ferry.Page{}); len(items) != 0 {
			t.Fatalf("the deleted binding's deliveries remain: %+v", items)
		}
	})
}

func TestDeliveriesPruned(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		b := newBinding("dev", "a", "a")
		if err := db.CreateBinding(ctx, b); err != nil {
			t.Fatal(err)
		}
		n := sqlstore.MaxDeliveries + 200
		for i := 0; i < n; i++ {
			d := &ferry.Delivery{BindingID: b.ID, DeliveryID: fmt.Sprint(i), Verdict: ferry.VerdictIgnored}
			if err := db.RecordDelivery(ctx, d, true); err != nil {
				t.Fatal(err)
			}
		}
		kept, page := 0, ferry.Page{Limit: ferry.MaxPageLimit}
		for {
			items, next, err := db.ListDeliveries(ctx, "dev", "a", page)
			if err != nil {
				t.Fatal(err)
			}
			if kept == 0 && items[0].DeliveryID != fmt.Sprint(n-1) {
				t.Fatalf("newest kept is %q", items[0].DeliveryID)
			}
			kept += len(items)
			if page.Cursor = next; next == "" {
				break
			}
		}
		if kept < sqlstore.MaxDeliveries || kept > sqlstore.MaxDeliveries+64 {
			t.Fatalf("kept %d of %d deliveries, want the newest %d (+ up to 64 before a prune)", kept, n, sqlstore.MaxDeliveries)
		}
	})
}
