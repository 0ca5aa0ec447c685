package main

import (
	"context"
	"fmt"
	"runtime"
)

func init() {
	register("version", "print Ferry's version", func(ctx context.Context, m *Main, args []string) error {
		fmt.Fprintf(m.Stdout, "ferry %s (%s %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	})
}
