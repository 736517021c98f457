package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is a process of this same binary: a Strongroom server or the bare
// handler. It is ended (SIGTERM, then SIGKILL after a grace period) when
// stop is called or the context it was started with ends.
type child struct {
	name   string
	cmd    *exec.Cmd
	cancel context.CancelFunc
	logs   string // file holding its standard error
	done   chan struct{}
	err    error // Wait's result, once done is closed
}

// startChild runs exe with args and waits (up to a minute) for a line of
// its standard output that starts with ready, returning the rest of that
// line. Standard error goes to a file in dir, quoted when it fails.
func startChild(ctx context.Context, name, exe, dir, ready string, args ...string) (*child, string, error) {
	ctx, cancel := context.WithCancel(ctx)
	c := &child{name: name, cancel: cancel, logs: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	logf, err := os.Create(c.logs)
	if err != nil {
		cancel()
		return nil, "", err
	}
	defer logf.Close()
	c.cmd = exec.CommandContext(ctx, exe, args...)
	c.cmd.Stderr = logf
	c.cmd.Cancel = func() error { return c.cmd.Process.Signal(syscall.SIGTERM) }
	c.cmd.WaitDelay = 15 * time.Second // then SIGKILL
	c.cmd.SysProcAttr = childAttr()
	// A child reads its standard input only to notice that this process
	// went away (the pipe closes); servers ignore it.
	stdin, err := c.cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, "", err
	}
	_ = stdin // kept open until this process exits
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, "", err
	}
	if err := c.cmd.Start(); err != nil {
		cancel()
		return nil, "", fmt.Errorf("bench: cannot start the %s: %w", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), ready); ok {
				found <- rest
				break
			}
		}
		io.Copy(io.Discard, out) // whatever else it prints
	}()
	select {
	case rest := <-found:
		return c, strings.TrimSpace(rest), nil
	case <-c.done:
		return nil, "", fmt.Errorf("bench: the %s stopped at start: %v: %s", name, c.err, c.lastLog())
	case <-time.After(time.Minute):
		c.stop()
		return nil, "", fmt.Errorf("bench: the %s did not start within a minute: %s", name, c.lastLog())
	}
}

// stop ends the child and waits for it.
func (c *child) stop() {
	c.cancel()
	<-c.done
}

// failed reports why the child stopped, if it has.
func (c *child) failed() error {
	select {
	case <-c.done:
		return fmt.Errorf("bench: the %s stopped: %v: %s", c.name, c.err, c.lastLog())
	default:
		return nil
	}
}

// lastLog is the last line of the child's standard error.
func (c *child) lastLog() string {
	b, err := os.ReadFile(c.logs)
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return clip(lines[len(lines)-1], 300)
}

// memory reads the child's resident set size now and at its peak, in KiB,
// from /proc (Linux); -1 where it cannot be read.
func (c *child) memory() (rss, hwm int64) {
	rss, hwm = -1, -1
	f, err := os.Open("/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/status")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		if k == "VmRSS" {
			rss = n
		} else {
			hwm = n
		}
	}
	return
}

// userHZ is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100 on
// Linux's every architecture that Go supports).
const userHZ = 100

// cpu reads the CPU time the child has used so far, user and system, from
// /proc (Linux); false where it cannot be read.
func (c *child) cpu() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command's name, which is in parentheses and may
	// hold spaces: state is the 3rd field of the line, utime the 14th and
	// stime the 15th.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / userHZ, true
}
