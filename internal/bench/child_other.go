//go:build !linux

package bench

import "syscall"

// childAttr: only Linux can tie a child's life to its parent's; elsewhere
// the bare handler still ends when its standard input closes.
func childAttr() *syscall.SysProcAttr { return nil }
