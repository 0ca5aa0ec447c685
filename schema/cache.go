package schema

import (
	"container/list"
	"crypto/sha256"
	"encoding/json"
	"sync"
)

// Cache compiles each distinct schema (by the SHA-256 of its bytes) once and keeps the
// most recently used ones, so a blueprint's schema is compiled once rather than for every
// entity. It is safe for concurrent use.
type Cache struct {
	max int

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*list.Element // guarded by mu; values are *cacheEntry
	order   *list.List                          // guarded by mu; most recently used first
}

type cacheEntry struct {
	key    [sha256.Size]byte
	schema *Schema
}

// NewCache returns a cache that keeps at most size compiled schemas (at least one).
func NewCache(size int) *Cache {
	return &Cache{max: max(1, size), entries: map[[sha256.Size]byte]*list.Element{}, order: list.New()}
}

// Get returns raw compiled, compiling it only if no schema with the same bytes is cached.
// Schemas that do not compile are not cached. Returns EINVALID as Compile does.
func (c *Cache) Get(raw json.RawMessage) (*Schema, error) {
	key := sha256.Sum256(raw)
	if s := c.lookup(key); s != nil {
		return s, nil
	}
	s, err := Compile(raw)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok { // compiled meanwhile by another caller: keep one
		c.order.MoveToFront(e)
		return e.Value.(*cacheEntry).schema, nil
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, schema: s})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).key)
	}
	return s, nil
}

func (c *Cache) lookup(key [sha256.Size]byte) *Schema {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).schema
}
