// Package storetest gives tests a real Redis: the one named by
// PUFA_TEST_REDIS_ADDR (set by scripts/test.sh), or a private redis-server that
// it starts on a free port for the test binary.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/store"
)

// server is started at most once per test binary; a test helper may keep
// this bit of state, production code may not.
var server struct {
	once sync.Once
	addr string
	err  error
}

// Addr returns the address of a running real Redis, starting one if needed.
func Addr(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv("PUFA_TEST_REDIS_ADDR"); addr != "" {
		return addr
	}
	server.once.Do(func() { server.addr, server.err = start() })
	if server.err != nil {
		t.Fatalf("storetest: %v (install redis-server, or run scripts/test.sh, which does)", server.err)
	}
	return server.addr
}

// New returns a Store on a real Redis with a prefix unique to this test, so
// tests may run in parallel without flushing each other's data. Keys are
// removed when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: Addr(t)})
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	s := store.New(rdb, prefix)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.DeleteAll(context.Background()); err != nil {
			t.Logf("storetest: %v", err)
		}
		rdb.Close()
	})
	return s
}

func start() (string, error) {
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	if _, err := launch(addr); err != nil {
		return "", err
	}
	return addr, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// launch starts redis-server on addr, with extra configuration arguments
// appended, and waits until it answers.
func launch(addr string, extra ...string) (*exec.Cmd, error) {
	return launchWith(nil, addr, extra...)
}

// launchWith is launch with arguments put before the options: redis-server
// takes a configuration file only as its first argument, and a Sentinel
// needs one.
func launchWith(first []string, addr string, extra ...string) (*exec.Cmd, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not found: %w", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	args := append(append(first, "--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no"), extra...)
	cmd := exec.Command(bin, args...)
	// The server dies with the test binary, however the binary ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if rdb.Ping(context.Background()).Err() == nil {
			return cmd, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("redis-server on %s did not answer within 10s", addr)
}

// Server is a private redis-server that a fault test may kill and restart.
type Server struct {
	t    testing.TB
	Addr string
	cmd  *exec.Cmd
}

// StartServer starts a redis-server of the test's own on a free port; it is
// killed when the test ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	s := &Server{t: t, Addr: addr}
	s.Restart()
	t.Cleanup(s.Kill)
	return s
}

// Kill stops the server at once, as a crash would.
func (s *Server) Kill() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Pause freezes the server (SIGSTOP): connections stay open, nothing answers.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume lets a paused server carry on (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil {
		s.t.Fatal("storetest: server is not running")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("storetest: %v", err)
	}
}

// Restart starts the server again on the same address (with no data).
func (s *Server) Restart() {
	s.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		cmd, err := launch(s.Addr)
		if err == nil {
			s.cmd = cmd
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("storetest: restart: %v", err)
		}
	}
}

// KeyContents reads every member, field and value of key as one string, so
// a test can tell whether anything in it still names a resident.
func KeyContents(t testing.TB, st *store.Store, key string) string {
	t.Helper()
	ctx := context.Background()
	c := st.Client()
	var parts []string
	switch typ := c.Type(ctx, key).Val(); typ {
	case "string":
		parts = []string{c.Get(ctx, key).Val()}
	case "hash":
		for k, v := range c.HGetAll(ctx, key).Val() {
			parts = append(parts, k, v)
		}
	case "list":
		parts = c.LRange(ctx, key, 0, -1).Val()
	case "set":
		parts = c.SMembers(ctx, key).Val()
	case "zset":
		parts = c.ZRange(ctx, key, 0, -1).Val()
	default:
		t.Fatalf("%s: type %q", key, typ)
	}
	return strings.Join(parts, "\n")
}
