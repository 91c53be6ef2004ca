package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// WorkerFlag is the hidden command-line flag that turns the drill binary
// into a phone worker. One process may hold 20,000 files here and each
// loopback source address only ~28,000 ephemeral ports, so a drill of tens
// of thousands of phones spreads them over several processes, each dialling
// from its own 127.0.0.x.
const WorkerFlag = "-phone-worker"

// RunWorker is a worker process's whole life: read the fleet spec from in,
// run its phones, stream their events to out as JSON lines, and hang up
// when in is closed (the parent asks, or died).
func RunWorker(in io.Reader, out io.Writer) error {
	RaiseFileLimit()
	dec := json.NewDecoder(in)
	var spec fleetSpec
	if err := dec.Decode(&spec); err != nil {
		return fmt.Errorf("worker: read spec: %w", err)
	}
	w := bufio.NewWriterSize(out, 64<<10)
	enc := json.NewEncoder(w)
	var mu sync.Mutex
	emit := func(ev Event) {
		mu.Lock()
		_ = enc.Encode(ev)
		mu.Unlock()
	}
	done := make(chan struct{})
	go func() { // flush often enough for a live progress line
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				mu.Lock()
				_ = w.Flush()
				mu.Unlock()
			}
		}
	}()
	f, err := startFleet(context.Background(), &spec, emit)
	if err != nil {
		close(done)
		return err
	}
	_, _ = io.Copy(io.Discard, in) // until the parent closes our stdin
	f.stop()
	close(done)
	mu.Lock()
	defer mu.Unlock()
	return w.Flush()
}

// workerFleet is the parent's handle on one worker process.
type workerFleet struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	sendMu sync.Mutex // serialises lines written to stdin
	reader sync.WaitGroup
	err    error
}

// startWorker launches exe as a worker for spec and feeds its events to
// apply.
func startWorker(exe string, spec *fleetSpec, apply func(Event)) (*workerFleet, error) {
	return spawnWorker(exe, WorkerFlag, spec, func(line []byte) {
		var ev Event
		if json.Unmarshal(line, &ev) == nil {
			apply(ev)
		}
	})
}

// spawnWorker launches exe with flag, sends it spec as the first line on
// stdin and hands every line of its stdout to onLine.
func spawnWorker(exe, flag string, spec any, onLine func([]byte)) (*workerFleet, error) {
	cmd := exec.Command(exe, flag)
	cmd.Stderr = os.Stderr
	// Out of the terminal's process group: Ctrl-C is for the parent, which
	// stops workers by closing their stdin after the drain.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	w := &workerFleet{cmd: cmd, stdin: stdin}
	w.reader.Add(1)
	go func() {
		defer w.reader.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			onLine(sc.Bytes())
		}
		if err := sc.Err(); err != nil {
			w.err = err
		}
	}()
	if err := w.Send(spec); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("send spec to worker: %w", err)
	}
	return w, nil
}

// stop closes the worker's stdin, reads its last events and waits for it.
// It returns the CPU time the worker used, so the report can say what the
// drill itself cost.
func (w *workerFleet) stop(timeout time.Duration) (cpuSeconds float64, err error) {
	_ = w.stdin.Close()
	done := make(chan error, 1)
	go func() {
		w.reader.Wait()
		done <- w.cmd.Wait()
	}()
	select {
	case err = <-done:
	case <-time.After(timeout):
		_ = w.cmd.Process.Kill()
		err = errors.Join(errors.New("phone worker did not stop in time: killed"), <-done)
	}
	if st := w.cmd.ProcessState; st != nil {
		cpuSeconds = (st.UserTime() + st.SystemTime()).Seconds()
	}
	return cpuSeconds, errors.Join(err, w.err)
}

// pid is the worker's process id, for live CPU sampling.
func (w *workerFleet) pid() int { return w.cmd.Process.Pid }
