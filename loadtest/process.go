package loadtest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// RaiseFileLimit lifts the soft open-file limit to the hard one: every
// phone is a socket, and the default soft limit of many shells (1024)
// would cap a drill long before the machine does.
func RaiseFileLimit() (soft, hard uint64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	return rl.Cur, rl.Max
}

// clockTicks is USER_HZ, the unit of CPU times in /proc; it is 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// procUsage reads a process's resident memory and CPU time from /proc, the
// cheapest and most exact source when the server is our child.
func procUsage(pid int) (rssBytes, cpuSeconds float64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseProcStat(string(raw), os.Getpagesize())
}

// parseProcStat reads utime, stime and rss from a /proc/PID/stat line. The
// command name may contain spaces and parentheses, so fields are counted
// from the last ')'.
func parseProcStat(line string, pageSize int) (rssBytes, cpuSeconds float64, err error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, 0, errors.New("proc stat: no command name")
	}
	f := strings.Fields(line[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime 15, rss 24.
	if len(f) < 22 {
		return 0, 0, errors.New("proc stat: too few fields")
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	rss, err3 := strconv.ParseInt(f[21], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return 0, 0, fmt.Errorf("proc stat: %w", err)
	}
	return float64(rss) * float64(pageSize), float64(ut+st) / clockTicks, nil
}

// selfCPU is the CPU time this process has used so far.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
