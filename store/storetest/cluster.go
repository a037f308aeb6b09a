package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/store"
)

// clusterSlots returns the slot ranges of the masters StartCluster builds,
// in the order of the addresses it returns.
func clusterSlots() [][2]int { return [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}} }

// clusterUp bounds how long a fresh cluster may take to agree on its slots.
const clusterUp = 15 * time.Second

// StartCluster starts a private Redis Cluster of three masters (no
// replicas) on free ports and returns the masters' addresses, serving slots
// 0-5460, 5461-10922 and 10923-16383 in that order. It returns once every
// node reports cluster_state:ok and all of them map every slot to the same
// master; a fresh cluster takes about two seconds, as Redis holds a new
// master's state back that long. The processes are killed and their files
// removed when the test ends.
//
// It needs only redis-server: the slots are assigned and the nodes
// introduced with CLUSTER commands, not with redis-cli --cluster create.
func StartCluster(t testing.TB) []string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("storetest: redis-server not found (install it, or run scripts/test.sh, which does): %v", err)
	}
	// Registered before the processes' cleanup, so it runs after it: the
	// files are removed once nobody writes to them.
	dir := t.TempDir()
	// A client port and a cluster bus port per node, all distinct. The bus
	// port is set explicitly (cluster-port, Redis 7) because the default,
	// port+10000, may be taken or beyond 65535.
	slots := clusterSlots()
	ports, err := freePorts(2 * len(slots))
	if err != nil {
		t.Fatalf("storetest: cluster ports: %v", err)
	}
	addrs := make([]string, len(slots))
	for i := range slots {
		port, bus := ports[2*i], ports[2*i+1]
		addrs[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd, err := launch(addrs[i],
			"--cluster-enabled", "yes",
			"--cluster-port", strconv.Itoa(bus),
			"--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", i)),
			"--cluster-node-timeout", "5000",
			"--dir", dir,
			"--logfile", filepath.Join(dir, fmt.Sprintf("redis-%d.log", i)))
		if err != nil {
			t.Fatalf("storetest: cluster node %d: %v", i, err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	if err := formCluster(addrs, ports); err != nil {
		t.Fatalf("storetest: form cluster: %v%s", err, clusterLogs(dir))
	}
	return addrs
}

// NewOnCluster returns a Store opened with store.Open on the cluster at
// addrs (several addresses make a ClusterClient, as in production) with a
// key prefix unique to this test. The cluster is the test's own, so keys are
// not removed; the connections are closed when the test ends.
func NewOnCluster(t testing.TB, addrs []string) *store.Store {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	st, err := store.Open(store.Options{Addrs: addrs, Prefix: "test:" + hex.EncodeToString(b) + ":"})
	if err != nil {
		t.Fatalf("storetest: open cluster: %v", err)
	}
	if _, ok := st.Client().(*redis.ClusterClient); !ok {
		t.Fatalf("storetest: store.Open made a %T for %d addresses, want a cluster client", st.Client(), len(addrs))
	}
	if err := st.Ping(context.Background()); err != nil {
		t.Fatalf("storetest: cluster: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// formCluster gives node i the slots clusterSlots()[i], introduces the
// nodes to each other and waits until they agree.
func formCluster(addrs []string, ports []int) error {
	ctx := context.Background()
	clients := make([]*redis.Client, len(addrs))
	for i, addr := range addrs {
		clients[i] = redis.NewClient(&redis.Options{Addr: addr})
		defer clients[i].Close()
	}
	for i, c := range clients {
		r := clusterSlots()[i]
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", r[0], r[1]).Err(); err != nil {
			return fmt.Errorf("node %s: add slots %d-%d: %w", addrs[i], r[0], r[1], err)
		}
	}
	// Meeting one node is enough: gossip introduces the rest. Every node
	// meets every other anyway, which makes the handshake quicker.
	for i, c := range clients {
		for j := range clients {
			if i == j {
				continue
			}
			if err := c.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", ports[2*j], ports[2*j+1]).Err(); err != nil {
				return fmt.Errorf("node %s: meet %s: %w", addrs[i], addrs[j], err)
			}
		}
	}
	var last error
	for deadline := time.Now().Add(clusterUp); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if last = clusterAgrees(ctx, clients, addrs); last == nil {
			return nil
		}
	}
	return fmt.Errorf("not ready within %v: %w", clusterUp, last)
}

// clusterAgrees reports why the cluster is not ready yet, or nil: every node
// must be in state ok, know all nodes, and map each slot range to the node
// StartCluster gave it.
func clusterAgrees(ctx context.Context, clients []*redis.Client, addrs []string) error {
	want := make([]string, len(addrs))
	for i, addr := range addrs {
		r := clusterSlots()[i]
		want[i] = fmt.Sprintf("%d-%d@%s", r[0], r[1], addr)
	}
	slices.Sort(want)
	for i, c := range clients {
		info, err := c.ClusterInfo(ctx).Result()
		if err != nil {
			return fmt.Errorf("node %s: cluster info: %w", addrs[i], err)
		}
		for _, field := range []string{"cluster_state:ok", "cluster_slots_ok:16384",
			"cluster_known_nodes:" + strconv.Itoa(len(addrs))} {
			if !strings.Contains(info, field+"\r\n") {
				return fmt.Errorf("node %s: want %s in CLUSTER INFO:\n%s", addrs[i], field, info)
			}
		}
		slots, err := c.ClusterSlots(ctx).Result()
		if err != nil {
			return fmt.Errorf("node %s: cluster slots: %w", addrs[i], err)
		}
		got := make([]string, 0, len(slots))
		for _, s := range slots {
			if len(s.Nodes) == 0 {
				return fmt.Errorf("node %s: slots %d-%d have no master", addrs[i], s.Start, s.End)
			}
			got = append(got, fmt.Sprintf("%d-%d@%s", s.Start, s.End, s.Nodes[0].Addr))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("node %s maps slots as %v, want %v", addrs[i], got, want)
		}
	}
	return nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. The listeners
// stay open until all are chosen, so no port is handed out twice.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// clusterLogs returns the nodes' logs for a failure message.
func clusterLogs(dir string) string {
	logs, _ := filepath.Glob(filepath.Join(dir, "redis-*.log"))
	var b strings.Builder
	for _, l := range logs {
		data, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "\n--- %s\n%s", filepath.Base(l), data)
	}
	return b.String()
}
