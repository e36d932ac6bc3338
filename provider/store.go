package provider

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// StoreFile is the bbolt file the provider keeps under Options.DataDir.
const StoreFile = "provider.db"

// bucket names; the order is bucket's value.
type bucket uint8

const (
	bEndpoints bucket = iota
	bEvents
	bDeliveries
	bIdempotency
	bucketCount
)

func (b bucket) name() []byte {
	switch b {
	case bEndpoints:
		return []byte("endpoints")
	case bEvents:
		return []byte("events")
	case bDeliveries:
		return []byte("deliveries")
	}
	return []byte("idempotency")
}

// kv is one write: val nil deletes the key.
type kv struct {
	b   bucket
	key string
	val []byte
}

type storeOp struct {
	kvs  []kv
	done chan error // nil: nobody waits
}

// store persists records in bbolt with group commit: one goroutine applies
// every queued write in one transaction. With no file (in-memory mode)
// writes are dropped at once.
type store struct {
	db   *bbolt.DB // nil in memory
	ops  chan storeOp
	wg   sync.WaitGroup
	logf func(string, ...any)

	mu     sync.RWMutex // guards closed (and sends on ops against close)
	closed bool
}

// maxBatch bounds how many queued writes share one transaction.
const maxBatch = 4096

// batchLinger is how long a commit waits for more writes to share it.
const batchLinger = 500 * time.Microsecond

// openStore opens (creating) DataDir/provider.db, or returns an in-memory
// store when dir is empty. Without fsync, commits reach the OS but are
// not flushed to the disk: they survive the provider crashing, not the
// machine.
func openStore(dir string, fsync bool, logf func(string, ...any)) (*store, error) {
	s := &store{logf: logf}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir %q: %w", dir, err)
	}
	path := filepath.Join(dir, StoreFile)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, NoSync: !fsync, NoGrowSync: !fsync})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open store %q: locked by another process", path)
		}
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for b := bucket(0); b < bucketCount; b++ {
			if _, err := tx.CreateBucketIfNotExists(b.name()); err != nil {
				return fmt.Errorf("create bucket %s: %w", b.name(), err)
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	s.db = db
	s.ops = make(chan storeOp, 8192)
	s.wg.Add(1)
	go s.run()
	return s, nil
}

func (s *store) persistent() bool { return s.db != nil }

// write queues kvs; with wait it returns once they are committed.
func (s *store) write(kvs []kv, wait bool) error {
	if s.db == nil || len(kvs) == 0 {
		return nil
	}
	op := storeOp{kvs: kvs}
	if wait {
		op.done = make(chan error, 1)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	s.ops <- op
	s.mu.RUnlock()
	if !wait {
		return nil
	}
	return <-op.done
}

func (s *store) run() {
	defer s.wg.Done()
	batch := make([]storeOp, 0, 64)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for op := range s.ops {
		batch = append(batch[:0], op)
		n := len(op.kvs)
		// Group commit: take what is queued, then linger briefly for more
		// (a commit costs far more than the wait).
		linger.Reset(batchLinger)
		lingering := true // until linger fires
	drain:
		for n < maxBatch {
			select {
			case more, ok := <-s.ops:
				if !ok {
					break drain
				}
				batch = append(batch, more)
				n += len(more.kvs)
				continue
			default:
			}
			if !lingering {
				break
			}
			select {
			case more, ok := <-s.ops:
				if !ok {
					break drain
				}
				batch = append(batch, more)
				n += len(more.kvs)
			case <-linger.C:
				lingering = false
			}
		}
		linger.Stop() // Go ≥ 1.23 timers: no stale tick survives Stop or Reset
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for _, op := range batch {
				for _, w := range op.kvs {
					bk := tx.Bucket(w.b.name())
					var err error
					if w.val == nil {
						err = bk.Delete([]byte(w.key))
					} else {
						err = bk.Put([]byte(w.key), w.val)
					}
					if err != nil {
						return fmt.Errorf("%s %q: %w", w.b.name(), w.key, err)
					}
				}
			}
			return nil
		})
		if err != nil {
			err = fmt.Errorf("store write: %w", err)
			if s.logf != nil {
				s.logf("%v", err)
			}
		}
		for _, op := range batch {
			if op.done != nil {
				op.done <- err
			}
		}
		clear(batch)
	}
}

// forEach calls f for every key of a bucket, in key order.
func (s *store) forEach(b bucket, f func(k, v []byte) error) error {
	if s.db == nil {
		return nil
	}
	return s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(b.name()).ForEach(f)
	})
}

// close flushes queued writes and closes the file. Writes after close
// fail with ErrClosed.
func (s *store) close() error {
	if s.db == nil {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.ops)
	s.mu.Unlock()
	s.wg.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}
