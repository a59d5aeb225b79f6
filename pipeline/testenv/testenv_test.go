package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestRedisDBLeases: tests asking at the same time (each with its own
// connection, as test processes have) get different databases, each empty,
// and a database is free again once its test ends.
func TestRedisDBLeases(t *testing.T) {
	svc := Get(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: svc.RedisAddr})
	defer admin.Close()

	// A test leaves keys behind in its database; the next test to lease it
	// finds it empty.
	var used int
	t.Run("first", func(t *testing.T) {
		used = RedisDB(t)
		c := redis.NewClient(&redis.Options{Addr: svc.RedisAddr, DB: used})
		defer c.Close()
		if err := c.Set(ctx, "left-over", "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("next", func(t *testing.T) {
		if !claim(t, admin, used) {
			t.Fatalf("database %d is still leased after its test ended", used)
		}
		c := redis.NewClient(&redis.Options{Addr: svc.RedisAddr, DB: used})
		defer c.Close()
		if size, err := c.DBSize(ctx).Result(); err != nil || size != 0 {
			t.Errorf("database %d holds %d keys (%v) when leased again, want none", used, size, err)
		}
	})

	const n = 24
	dbs := make([]int, n)
	tokens := map[int]string{} // the value of each of this test's leases
	t.Run("leases", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dbs[i] = RedisDB(t) // held until this subtest ends
			}()
		}
		wg.Wait()
		for _, db := range dbs {
			tok, err := admin.Get(ctx, leasePrefix+strconv.Itoa(db)).Result()
			if err != nil {
				t.Fatalf("lease of database %d: %v", db, err)
			}
			tokens[db] = tok
		}
		// The counter comes round to a database still leased: it is passed over.
		if err := admin.Set(ctx, counterKey, dbs[0]-PoolStart, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if db := RedisDB(t); slices.Contains(dbs, db) {
			t.Errorf("RedisDB handed out database %d, which is leased", db)
		}
		for _, db := range dbs {
			c := redis.NewClient(&redis.Options{Addr: svc.RedisAddr, DB: db})
			if size, err := c.DBSize(ctx).Result(); err != nil || size != 0 {
				t.Errorf("database %d holds %d keys (%v), want an empty one", db, size, err)
			}
			c.Close()
		}
	})
	seen := map[int]bool{}
	for _, db := range dbs {
		if db < PoolStart || seen[db] {
			t.Errorf("databases handed out at once: %v, want %d different ones from %d up", dbs, n, PoolStart)
			break
		}
		seen[db] = true
	}
	// The leases are given back. Other test processes lease databases of the
	// same pool meanwhile, and the counter was set back to these very
	// databases: one may already be leased again, under another value.
	for db, tok := range tokens {
		if v, err := admin.Get(ctx, leasePrefix+strconv.Itoa(db)).Result(); err == nil && v == tok {
			t.Errorf("lease of database %d still held after its test ended", db)
		} else if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
	}
}

// TestFreeAddr: the addresses are free and below the kernel's ephemeral
// port range, where no outgoing connection or Listen(":0") takes them.
func TestFreeAddr(t *testing.T) {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		t.Fatal(err)
	}
	var low, high int
	if _, err := fmt.Sscan(string(data), &low, &high); err != nil {
		t.Fatalf("ip_local_port_range %q: %v", data, err)
	}
	for range 20 {
		addr := FreeAddr(t)
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		port, err := strconv.Atoi(p)
		if err != nil || port >= low && port <= high {
			t.Fatalf("FreeAddr = %s, in the ephemeral range %d-%d", addr, low, high)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("FreeAddr = %s, not free: %v", addr, err)
		}
		l.Close()
	}
}
