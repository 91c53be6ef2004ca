package loadtest

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
)

// BuildTool builds ./cmd/NAME of the module above the working directory
// into dir, as the drill builds its server, and returns the binary: for a
// command the drill runs beside it without importing (cmd/replay).
func BuildTool(ctx context.Context, dir, name string, status io.Writer) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	if status != nil {
		fmt.Fprintf(status, "building %s ...\n", filepath.Join(root, "cmd", name))
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %w\n%s", name, err, out)
	}
	return bin, nil
}
