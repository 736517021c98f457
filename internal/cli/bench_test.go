package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestBenchFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--conns", "0"}, "--conns"},
		{[]string{"bench", "--servers", "2"}, "--postgres"},
		{[]string{"bench", "--duration", "soon"}, "duration"},
		{[]string{"bench", "--nope"}, "nope"},
		{[]string{"bench", "extra"}, "extra"},
		{[]string{"bench", "--bare-server", "127.0.0.1:0"}, "--tls-dir"},
	} {
		var out, errb bytes.Buffer
		code := Run(context.Background(), c.args, Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		msg := strings.TrimSpace(errb.String())
		if code != exitUsage || !strings.Contains(msg, c.want) || strings.Count(msg, "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line naming %s", c.args, code, msg, exitUsage, c.want)
		}
	}
}
