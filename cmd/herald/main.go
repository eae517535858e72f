// Command herald is a status page, incident communication and uptime
// monitoring server for web hosting providers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/heraldhq/herald/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
