package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/ferrygit/ferry"
)

func init() {
	register("webhook", "manage a binding's webhook (rotate, deliveries)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "webhook", webhookCommands, args)
	})
}

// webhookCommands are the subcommands of "ferry webhook".
var webhookCommands = []subcommand{
	{name: "rotate", args: "NS/BINDING [--json]",
		summary: "Issue a new secret for a binding's webhook and print its URL and secret, shown this once", run: runWebhookRotate},
	{name: "deliveries", args: "NS/BINDING [--limit N] [--json]",
		summary: "List the webhook deliveries a binding received, newest first", run: runWebhookDeliveries},
}

// defaultDeliveryLimit is how many deliveries "ferry webhook deliveries" shows by default.
const defaultDeliveryLimit = 20

func runWebhookRotate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "webhook")
	asJSON := fs.Bool("json", false, "print the webhook, with its new secret, as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	ns, name, c, err := m.bindingClient(pos[0])
	if err != nil {
		return err
	}
	w, err := c.RotateWebhook(ctx, ns, name)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, w)
	}
	fmt.Fprintf(m.Stdout, "Rotated the webhook secret of binding %s/%s.\n", ns, name)
	url := ""
	if w.Webhook != nil {
		url = w.URL
	}
	fmt.Fprintf(m.Stdout, "Webhook (shown this once; paste both into the provider):\n  URL:    %s\n  Secret: %s\n", url, w.Secret)
	return nil
}

func runWebhookDeliveries(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "webhook")
	asJSON := fs.Bool("json", false, "print the deliveries as a JSON list")
	limit := fs.Int("limit", defaultDeliveryLimit, "how many deliveries to show, newest first")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *limit < 1 {
		fmt.Fprintf(m.Stderr, "%s: --limit must be at least 1\n", fs.Name())
		fs.Usage()
		return errUsage
	}
	ns, name, c, err := m.bindingClient(pos[0])
	if err != nil {
		return err
	}
	all := []*ferry.Delivery{}
	page := ferry.Page{}
	for len(all) < *limit {
		page.Limit = min(*limit-len(all), ferry.MaxPageLimit)
		items, next, err := c.ListDeliveries(ctx, ns, name, page)
		if err != nil {
			return err
		}
		all = append(all, items...)
		if next == "" || len(items) == 0 {
			break
		}
		page.Cursor = next
	}
	if len(all) > *limit {
		all = all[:*limit]
	}
	if *asJSON {
		return printJSON(m.Stdout, all)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tPROVIDER\tEVENT\tDELIVERY ID\tVERDICT\tRUN")
	for _, d := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ReceivedAt.UTC().Format("2006-01-02T15:04:05Z"), orDash(d.Provider), orDash(d.Event),
			orDash(d.DeliveryID), d.Verdict, orDash(idString(d.Run)))
	}
	return tw.Flush()
}
