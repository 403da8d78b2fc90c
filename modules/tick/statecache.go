package tick

import "sync"

// stateCache keeps, per monitor, the region states this process last wrote
// and the monitor_state version it wrote with them (migration 00013).
//
// Every writer of a monitor's region states holds its monitor_state row
// lock and adds one to version, so a locked row whose version equals the
// cached one proves that nobody wrote the region states since: the batch
// uses the cached ones instead of reading monitor_region_state (a cold page
// per monitor, the largest single cost of a batch at 200,000 monitors).
// Any other version (another alerter stored a result, a restart, a race
// between this process's own loops) is a miss and the rows are read; a
// stale entry can only cost a read, never decide on old state.
type stateCache struct {
	mu  sync.Mutex
	max int
	m   map[int64]cachedRegions
}

type cachedRegions struct {
	version int64
	regions []RegionState
}

func newStateCache(max int) *stateCache {
	return &stateCache{max: max, m: map[int64]cachedRegions{}}
}

// get returns the monitor's region states if they were cached at version.
// The slice is shared: callers copy the values they change.
func (c *stateCache) get(id, version int64) ([]RegionState, bool) {
	if c == nil || c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || e.version != version {
		return nil, false
	}
	return e.regions, true
}

// put records the region states a committed batch left at version. When
// full it forgets about a tenth of the entries (map order is random), so
// memory stays bounded and a miss only costs a read.
func (c *stateCache) put(id, version int64, regions []RegionState) {
	if c == nil || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[id]; !ok && len(c.m) >= c.max {
		drop := max(c.max/10, 1)
		for k := range c.m {
			delete(c.m, k)
			if drop--; drop == 0 {
				break
			}
		}
	}
	c.m[id] = cachedRegions{version: version, regions: regions}
}
