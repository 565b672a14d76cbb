// Package haproxytest runs the real HAProxy binary for tests: `haproxy -dW -c`
// on a generated configuration, and `haproxy -db` on loopback ports.
//
// When haproxy is not on PATH the tests that need it are skipped, unless the
// environment variable DRAWBRIDGE_REQUIRE_HAPROXY is set to 1 (as .ci/run does),
// in which case they fail.
package haproxytest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing haproxy from a
// skip into a failure.
const RequireEnv = "DRAWBRIDGE_REQUIRE_HAPROXY"

// DirPlaceholder is replaced in configurations by the temporary directory that
// holds the configuration and its extra files.
const DirPlaceholder = "{{dir}}"

// Binary returns the path of the haproxy binary. When haproxy is missing it
// skips t, or fails t when RequireEnv is set to 1.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("haproxy")
	if err == nil {
		return p
	}
	for _, c := range []string{"/usr/sbin/haproxy", "/usr/local/sbin/haproxy"} {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("haproxytest: haproxy not found and %s=1", RequireEnv)
	}
	t.Skip("haproxytest: haproxy not found on PATH; install it (apt-get install -y haproxy) to run this test")
	return ""
}

// writeFiles writes cfg and files into a new temporary directory, replacing
// DirPlaceholder in cfg, and returns the directory and the config path.
func writeFiles(t testing.TB, cfg string, files map[string][]byte) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path = filepath.Join(dir, "haproxy.cfg")
	cfg = strings.ReplaceAll(cfg, DirPlaceholder, dir)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// CheckErr writes cfg and files like Check and runs `haproxy -dW -c -f` on
// them, returning haproxy's combined output and an error when it exits
// non-zero (warnings count as failures through -dW).
func CheckErr(t testing.TB, cfg string, files map[string][]byte) (string, error) {
	t.Helper()
	bin := Binary(t)
	dir, path := writeFiles(t, cfg, files)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-dW", "-c", "-f", path)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Check writes cfg (with DirPlaceholder replaced by the temporary directory)
// and the extra files (name to content, relative to that directory), and
// runs `haproxy -dW -c -f` on it. It fails t with haproxy's output when the
// check does not pass, warnings included.
func Check(t testing.TB, cfg string, files map[string][]byte) {
	t.Helper()
	out, err := CheckErr(t, cfg, files)
	if err != nil {
		t.Fatalf("haproxy -dW -c failed: %v\n%s\n--- config ---\n%s", err, out, numbered(cfg))
	}
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(s, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return b.String()
}

// Instance is a running haproxy started by Start.
type Instance struct {
	// Dir is the temporary directory that holds the configuration and files.
	Dir string

	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

// Output returns what haproxy has printed so far (stdout and stderr).
func (i *Instance) Output() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.out.String()
}

type lockedWriter struct{ i *Instance }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.i.mu.Lock()
	defer w.i.mu.Unlock()
	return w.i.out.Write(p)
}

// Start runs `haproxy -db -f cfg` (with the same placeholder and file rules as
// Check), waits until every port in waitPorts accepts TCP connections on
// 127.0.0.1 (10 s at most), and stops haproxy when the test ends.
func Start(t testing.TB, cfg string, files map[string][]byte, waitPorts ...int) *Instance {
	t.Helper()
	bin := Binary(t)
	dir, path := writeFiles(t, cfg, files)
	inst := &Instance{Dir: dir, done: make(chan struct{})}
	inst.cmd = exec.Command(bin, "-db", "-f", path)
	inst.cmd.Dir = dir
	inst.cmd.Stdout = lockedWriter{inst}
	inst.cmd.Stderr = lockedWriter{inst}
	if err := inst.cmd.Start(); err != nil {
		t.Fatalf("haproxytest: start haproxy: %v", err)
	}
	go func() {
		_ = inst.cmd.Wait()
		close(inst.done)
	}()
	t.Cleanup(func() {
		_ = inst.cmd.Process.Kill()
		select {
		case <-inst.done:
		case <-time.After(10 * time.Second):
			t.Errorf("haproxytest: haproxy did not exit after kill")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range waitPorts {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		for {
			select {
			case <-inst.done:
				t.Fatalf("haproxytest: haproxy exited early:\n%s\n--- config ---\n%s", inst.Output(), numbered(cfg))
			default:
			}
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("haproxytest: port %d not accepting after 10s: %v\n%s", p, err, inst.Output())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return inst
}

// FreePort returns a TCP port on 127.0.0.1 that was free when asked.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("haproxytest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
