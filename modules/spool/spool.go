// Package spool keeps check results on local disk while they cannot be
// published, and hands them back oldest first once they can.
//
// A worker that loses Redis (the control plane) writes the results of the
// checks it ran into its spool, in its data directory, and publishes them
// when Redis is back; the spool survives a restart of the worker, so the
// next process on the same directory publishes what the last one left.
//
// # Format
//
// A spool is a directory of segment files named by a sequence number
// ("0000000000000001.jsonl", ...), each a file of JSON lines, one
// queue.Result a line. Writes only ever append to the newest segment, one
// batch per write followed by fsync: a batch Append returned nil for is on
// disk. A segment holds at most SegmentSize(max) results; then a new one
// is begun. Replay reads the oldest segment whole, the caller publishes it,
// and Remove deletes the file: a crash between the two publishes the
// segment again, which is harmless because ingest is idempotent on monitor,
// region and scheduled time. A line that does not decode (a write torn by a
// crash or a full disk) is skipped and counted (Corrupt). Segments found on
// Open are never appended to, so a new line never follows a torn one.
//
// # Bounds
//
// The spool holds at most max results. An Append that would go over it
// deletes whole segments, oldest first, until it fits (Evict), and reports
// how many results they held: the newest results matter most, and a check
// never waits for room. Dropping whole segments keeps every file
// append-only; the price is that up to one segment (at most 1/16 of max)
// more than needed is dropped. At the default 100,000 results, healthy
// results (about 300 bytes) take some 30 MB; failed ones carry evidence
// (headers and up to 4 KiB of body), so the worst case is about 500 MB.
//
// # Disk full
//
// A write or fsync that fails (ENOSPC, EIO) returns the error and leaves
// the segment as it was (truncated back to its size before the batch, and
// sealed): that batch is lost, and the caller counts it. Nothing blocks,
// nothing is retried: the next batch tries again.
package spool

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/betterstack/betterstack/modules/queue"
)

const suffix = ".jsonl"

// maxLine bounds one result's JSON line when reading (evidence is capped
// well below this).
const maxLine = 1 << 20

// SegmentSize is how many results one segment file holds for a spool of
// limit results: a sixteenth of it, between 1 and 1000, so dropping a
// segment loses little and a replay is a few round trips.
func SegmentSize(limit int) int {
	return min(max(limit/16, 1), 1000)
}

// Evict returns how many of the oldest segments (counts, oldest first) must
// go so that they hold at most limit results. It never returns more than
// len(counts).
func Evict(counts []int, limit int) int {
	total := 0
	for _, n := range counts {
		total += n
	}
	k := 0
	for k < len(counts) && total > limit {
		total -= counts[k]
		k++
	}
	return k
}

// Spool is a bounded on-disk queue of results; safe for concurrent use.
type Spool struct {
	dir     string
	max     int
	segSize int

	mu      sync.Mutex
	segs    []*segment // oldest first
	total   int
	corrupt int64
}

type segment struct {
	seq    uint64
	n      int
	size   int64
	sealed bool     // no more appends (found on Open, full, handed to replay, or a failed write)
	f      *os.File // open for append while not sealed
}

// Batch is the oldest segment's results, handed out for replay; Remove it
// once published.
type Batch struct {
	seq     uint64
	Results []queue.Result
}

// Open opens (creating) the spool in dir, holding at most limit results
// (limit > 0), and counts what an earlier process left there.
func Open(dir string, limit int) (*Spool, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("spool: limit must be positive, not %d", limit)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, max: limit, segSize: SegmentSize(limit)}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	for _, e := range entries {
		seq, ok := parseName(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		rs, bad, err := readSegment(s.path(seq))
		if err != nil {
			return nil, err
		}
		s.corrupt += int64(bad)
		if len(rs) == 0 {
			if err := os.Remove(s.path(seq)); err != nil {
				return nil, fmt.Errorf("spool: %w", err)
			}
			continue
		}
		s.segs = append(s.segs, &segment{seq: seq, n: len(rs), sealed: true})
		s.total += len(rs)
	}
	sort.Slice(s.segs, func(i, j int) bool { return s.segs[i].seq < s.segs[j].seq })
	return s, nil
}

func parseName(name string) (uint64, bool) {
	base, ok := strings.CutSuffix(name, suffix)
	if !ok || len(base) != 16 {
		return 0, false
	}
	seq, err := strconv.ParseUint(base, 16, 64)
	return seq, err == nil
}

func (s *Spool) path(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%016x%s", seq, suffix))
}

// Len is how many results the spool holds.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Corrupt is how many lines did not decode (torn writes), since Open.
func (s *Spool) Corrupt() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.corrupt
}

// Append writes rs to disk (fsync'd) and returns how many of the oldest
// results were dropped to stay within the bound. On error nothing of rs is
// kept (a batch written in part is cut back), and dropped is 0.
func (s *Spool) Append(rs []queue.Result) (dropped int, err error) {
	if len(rs) == 0 {
		return 0, nil
	}
	lines := make([][]byte, len(rs))
	for i, r := range rs {
		b, err := json.Marshal(r)
		if err != nil {
			return 0, fmt.Errorf("spool: encode result of %q: %w", r.JobID, err)
		}
		lines[i] = append(b, '\n')
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(lines) > 0 {
		seg, err := s.writable()
		if err != nil {
			return 0, err
		}
		take := min(len(lines), s.segSize-seg.n)
		if err := seg.write(bytes.Join(lines[:take], nil)); err != nil {
			return 0, fmt.Errorf("spool: write %s: %w", s.path(seg.seq), err)
		}
		seg.n += take
		s.total += take
		lines = lines[take:]
		if seg.n >= s.segSize {
			seg.seal()
		}
	}
	return s.evict(), nil
}

// writable returns the newest segment if it takes more, or begins one.
func (s *Spool) writable() (*segment, error) {
	if n := len(s.segs); n > 0 && !s.segs[n-1].sealed {
		return s.segs[n-1], nil
	}
	var seq uint64 = 1
	if n := len(s.segs); n > 0 {
		seq = s.segs[n-1].seq + 1
	}
	f, err := os.OpenFile(s.path(seq), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	// The new name must survive a crash too.
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync() // best effort: some filesystems refuse fsync on a directory
		_ = d.Close()
	}
	seg := &segment{seq: seq, f: f}
	s.segs = append(s.segs, seg)
	return seg, nil
}

// write appends b and fsyncs; on failure it cuts the file back and seals
// the segment.
func (g *segment) write(b []byte) error {
	_, err := g.f.Write(b)
	if err == nil {
		err = g.f.Sync()
	}
	if err != nil {
		_ = g.f.Truncate(g.size) // best effort; a torn line left behind is skipped on read
		g.seal()
		return err
	}
	g.size += int64(len(b))
	return nil
}

func (g *segment) seal() {
	if g.f != nil {
		_ = g.f.Close() // every write was already fsync'd
		g.f = nil
	}
	g.sealed = true
}

// evict deletes the oldest segments while over the bound.
func (s *Spool) evict() int {
	counts := make([]int, len(s.segs))
	for i, g := range s.segs {
		counts[i] = g.n
	}
	k := Evict(counts, s.max)
	dropped := 0
	for _, g := range s.segs[:k] {
		g.seal()
		// A file that cannot be removed is forgotten all the same, so the
		// count keeps to the bound; the next Open finds it again.
		_ = os.Remove(s.path(g.seq))
		dropped += g.n
	}
	s.segs = s.segs[k:]
	s.total -= dropped
	return dropped
}

// Oldest returns the oldest segment's results (ok false when the spool is
// empty). The segment is sealed, so new results go to another one.
func (s *Spool) Oldest() (b Batch, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.segs) > 0 {
		g := s.segs[0]
		g.seal()
		rs, bad, err := readSegment(s.path(g.seq))
		if err != nil {
			return Batch{}, false, err
		}
		s.corrupt += int64(bad)
		if len(rs) == 0 {
			s.removeLocked(g.seq)
			continue
		}
		return Batch{seq: g.seq, Results: rs}, true, nil
	}
	return Batch{}, false, nil
}

// Remove deletes b's segment once its results are published. A segment
// dropped meanwhile (the bound) is already gone: nothing to do.
func (s *Spool) Remove(b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removeLocked(b.seq)
}

func (s *Spool) removeLocked(seq uint64) error {
	for i, g := range s.segs {
		if g.seq != seq {
			continue
		}
		g.seal()
		s.segs = append(s.segs[:i], s.segs[i+1:]...)
		s.total -= g.n
		if err := os.Remove(s.path(seq)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("spool: %w", err)
		}
		return nil
	}
	return nil
}

// Close closes the open segment; what was appended stays on disk.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.segs {
		g.seal()
	}
	return nil
}

// readSegment reads a segment's results and counts the lines that did not
// decode.
func readSegment(path string) (rs []queue.Result, bad int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		var r queue.Result
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.JobID == "" {
			bad++
			continue
		}
		rs = append(rs, r)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return rs, bad + 1, nil
		}
		return nil, 0, fmt.Errorf("spool: read %s: %w", path, err)
	}
	return rs, bad, nil
}
