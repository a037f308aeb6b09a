package storetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// sentinelUp bounds how long a fresh master, replica and Sentinel may take
// to find each other; they take a fraction of a second.
const sentinelUp = 15 * time.Second

// Sentinel timings. A master that does not answer for sentinelDownAfter is
// down; with a quorum of one the Sentinel then fails over at once. A
// failover that has not promoted the replica within sentinelFailoverTimeout
// is abandoned and retried after twice that, still within a test's budget.
const (
	sentinelDownAfter       = 500 * time.Millisecond
	sentinelFailoverTimeout = 3 * time.Second
)

// Sentinel is a private Redis master with one replica, watched by one
// Sentinel that promotes the replica within a few seconds of the master's
// death. A service under test is configured as an operator would: its
// redis.addrs are Addrs and its redis.master_name is MasterName.
type Sentinel struct {
	Addrs       []string // the Sentinels (one)
	MasterName  string   // the name the master is monitored under
	MasterAddr  string   // the master as started
	ReplicaAddr string   // its replica, which a failover promotes

	t      testing.TB
	dir    string
	master *exec.Cmd // nil once killed
}

// StartSentinel starts, on free ports, a master, a replica of it (in sync
// when this returns) and a Sentinel that knows both, monitoring the master
// as "pufa-test" with a quorum of one. The processes are killed and their
// files removed when the test ends.
//
// It needs only redis-server, which runs as a Sentinel when given
// --sentinel.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("storetest: redis-server not found (install it, or run scripts/test.sh, which does): %v", err)
	}
	// Registered before the processes' cleanup, so it runs after it: the
	// files are removed once nobody writes to them.
	dir := t.TempDir()
	ports, err := freePorts(3)
	if err != nil {
		t.Fatalf("storetest: sentinel ports: %v", err)
	}
	addr := func(i int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i])) }
	s := &Sentinel{
		Addrs: []string{addr(2)}, MasterName: "pufa-test",
		MasterAddr: addr(0), ReplicaAddr: addr(1),
		t: t, dir: dir,
	}
	// Each node has a directory of its own: the replica writes the RDB the
	// master sends it there.
	node := func(name string, extra ...string) []string {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatalf("storetest: %v", err)
		}
		return append([]string{"--dir", d, "--logfile", filepath.Join(dir, name+".log")}, extra...)
	}

	// The master sends the replica its data at once rather than after the
	// default 5 s, in which it waits for more replicas to sync together.
	master, err := launch(s.MasterAddr, node("master", "--repl-diskless-sync-delay", "0")...)
	if err != nil {
		t.Fatalf("storetest: sentinel master: %v", err)
	}
	s.master = master
	t.Cleanup(s.KillMaster)
	replica, err := launch(s.ReplicaAddr, node("replica", "--replicaof", "127.0.0.1", strconv.Itoa(ports[0]))...)
	if err != nil {
		t.Fatalf("storetest: sentinel replica: %v", err)
	}
	t.Cleanup(func() { kill(replica) })
	if err := s.await("the replica to sync", s.replicaInSync); err != nil {
		t.Fatal(err)
	}

	// Started once the replica is in sync, the Sentinel learns of it from
	// its first INFO of the master instead of up to 10 s later. It rewrites
	// its configuration file with what it learns, so the file is its own.
	conf := filepath.Join(dir, "sentinel.conf")
	config := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 1\n"+
		"sentinel down-after-milliseconds %[1]s %[3]d\n"+
		"sentinel failover-timeout %[1]s %[4]d\n",
		s.MasterName, ports[0], sentinelDownAfter.Milliseconds(), sentinelFailoverTimeout.Milliseconds())
	if err := os.WriteFile(conf, []byte(config), 0o644); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	sentinel, err := launchWith([]string{conf, "--sentinel"}, s.Addrs[0], node("sentinel")...)
	if err != nil {
		t.Fatalf("storetest: sentinel: %v%s", err, s.Logs())
	}
	t.Cleanup(func() { kill(sentinel) })
	if err := s.await("the Sentinel to know the master and its replica", s.sentinelReady); err != nil {
		t.Fatal(err)
	}
	return s
}

// SyncReplica returns once the replica has every write the master has
// acknowledged so far (WAIT 1), so that a failover loses none of them.
func (s *Sentinel) SyncReplica() {
	s.t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: s.MasterAddr})
	defer rdb.Close()
	n, err := rdb.Wait(context.Background(), 1, sentinelUp).Result()
	if err != nil || n != 1 {
		s.t.Fatalf("storetest: WAIT 1 on the master: %d replicas acknowledged (%v)%s", n, err, s.Logs())
	}
}

// KillMaster kills the master with SIGKILL, as a crash or the OOM killer
// would: its connections drop at once and it writes nothing more.
func (s *Sentinel) KillMaster() {
	if s.master != nil {
		kill(s.master)
		s.master = nil
	}
}

// Master returns the master's address as the Sentinel gives it to clients
// now: MasterAddr until a failover has promoted the replica, ReplicaAddr
// after. The Sentinel switches only once the replica reports itself master.
func (s *Sentinel) Master(ctx context.Context) (string, error) {
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addrs[0]})
	defer sc.Close()
	hp, err := sc.GetMasterAddrByName(ctx, s.MasterName).Result()
	if err != nil {
		return "", fmt.Errorf("storetest: sentinel get-master-addr-by-name %s: %w", s.MasterName, err)
	}
	if len(hp) != 2 {
		return "", fmt.Errorf("storetest: sentinel get-master-addr-by-name %s: %q", s.MasterName, hp)
	}
	return net.JoinHostPort(hp[0], hp[1]), nil
}

// Logs returns the master's, the replica's and the Sentinel's logs, for a
// failure message.
func (s *Sentinel) Logs() string {
	var b strings.Builder
	for _, name := range []string{"master", "replica", "sentinel"} {
		data, err := os.ReadFile(filepath.Join(s.dir, name+".log"))
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "\n--- %s.log\n%s", name, data)
	}
	return b.String()
}

// await polls ready until it reports nil, for at most sentinelUp.
func (s *Sentinel) await(what string, ready func(context.Context) error) error {
	ctx := context.Background()
	var last error
	for deadline := time.Now().Add(sentinelUp); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if last = ready(ctx); last == nil {
			return nil
		}
	}
	return fmt.Errorf("storetest: waited %v for %s: %w%s", sentinelUp, what, last, s.Logs())
}

// replicaInSync reports why the replica is not streaming from the master
// yet, or nil.
func (s *Sentinel) replicaInSync(ctx context.Context) error {
	rdb := redis.NewClient(&redis.Options{Addr: s.ReplicaAddr})
	defer rdb.Close()
	info, err := rdb.Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("replica %s: info replication: %w", s.ReplicaAddr, err)
	}
	if !strings.Contains(info, "master_link_status:up\r\n") {
		return fmt.Errorf("replica %s: want master_link_status:up in INFO replication:\n%s", s.ReplicaAddr, info)
	}
	return nil
}

// sentinelReady reports why the Sentinel could not fail over yet, or nil:
// it must see the master up and the replica up and linked to it.
func (s *Sentinel) sentinelReady(ctx context.Context) error {
	if addr, err := s.Master(ctx); err != nil || addr != s.MasterAddr {
		return fmt.Errorf("sentinel names master %q (%v), want %s", addr, err, s.MasterAddr)
	}
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addrs[0]})
	defer sc.Close()
	m, err := sc.Master(ctx, s.MasterName).Result()
	if err != nil {
		return fmt.Errorf("sentinel master %s: %w", s.MasterName, err)
	}
	if m["flags"] != "master" {
		return fmt.Errorf("sentinel sees the master with flags %q, want master", m["flags"])
	}
	replicas, err := sc.Replicas(ctx, s.MasterName).Result()
	if err != nil {
		return fmt.Errorf("sentinel replicas %s: %w", s.MasterName, err)
	}
	for _, r := range replicas {
		if net.JoinHostPort(r["ip"], r["port"]) == s.ReplicaAddr &&
			r["flags"] == "slave" && r["master-link-status"] == "ok" {
			return nil
		}
	}
	return fmt.Errorf("sentinel does not see replica %s up and linked: %v", s.ReplicaAddr, replicas)
}

// kill stops a process with SIGKILL and reaps it.
func kill(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}
