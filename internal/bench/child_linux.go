package bench

import "syscall"

// childAttr asks the kernel to kill a child if this process dies without
// ending it (a crash, SIGKILL).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
