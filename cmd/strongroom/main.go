// Command strongroom is a self-hosted CRM that keeps customer data safe.
package main

import (
	"context"
	"os"

	"strongroom.dev/strongroom/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
