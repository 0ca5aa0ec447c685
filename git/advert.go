package git

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ferrygit/ferry"
)

// isOID reports whether s is a full SHA-1 or SHA-256 object ID in lowercase hex.
func isOID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// refCollector builds a RemoteInfo from advertised refs, keeping branches and tags.
type refCollector struct {
	refs map[string]*ferry.RemoteRef
	head string
}

func (c *refCollector) add(oid, name, peeled string) error {
	if !isOID(oid) || (peeled != "" && !isOID(peeled)) {
		return fmt.Errorf("bad object ID in ref advertisement for %q", name)
	}
	if !strings.HasPrefix(name, "refs/heads/") && !strings.HasPrefix(name, "refs/tags/") {
		return nil
	}
	if c.refs == nil {
		c.refs = map[string]*ferry.RemoteRef{}
	}
	r := &ferry.RemoteRef{Name: name, Commit: oid}
	if peeled != "" {
		r.Tag, r.Commit = oid, peeled
	}
	c.refs[name] = r
	return nil
}

// peel records the "^{}" line that follows an annotated tag in a v0 advertisement.
func (c *refCollector) peel(name, oid string) {
	if r := c.refs[name]; r != nil && r.Tag == "" && isOID(oid) {
		r.Tag, r.Commit = r.Commit, oid
	}
}

func (c *refCollector) info() *ferry.RemoteInfo {
	info := &ferry.RemoteInfo{Head: c.head, Refs: make([]ferry.RemoteRef, 0, len(c.refs))}
	for _, r := range c.refs {
		info.Refs = append(info.Refs, *r)
	}
	sort.Slice(info.Refs, func(i, j int) bool { return info.Refs[i].Name < info.Refs[j].Name })
	return info
}

// errVersion2 is returned by readV0 when the server answered in protocol version 2.
var errVersion2 = errors.New("protocol version 2")

// readV0 reads a protocol v0 ref advertisement up to its flush packet. It skips a smart
// HTTP "# service=" preamble, and returns errVersion2 if the server speaks version 2.
func readV0(p *pktReader) (*ferry.RemoteInfo, error) {
	var c refCollector
	first := true
	for {
		data, kind, err := p.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if kind == pktFlush { // an empty repository may advertise nothing at all
			return c.info(), nil
		}
		if kind < 0 {
			return nil, errors.New("unexpected special packet in ref advertisement")
		}
		line := string(data)
		if first && strings.HasPrefix(line, "# service=") {
			if _, kind, err := p.next(); err != nil || kind != pktFlush {
				return nil, errors.New("malformed smart HTTP preamble")
			}
			continue
		}
		if first && line == "version 2" {
			return nil, errVersion2
		}
		if first && line == "version 1" {
			continue
		}
		if first {
			first = false
			var caps string
			line, caps, _ = strings.Cut(line, "\x00")
			for _, cap := range strings.Fields(caps) {
				if t, ok := strings.CutPrefix(cap, "symref=HEAD:"); ok {
					c.head = t
				}
			}
		}
		oid, name, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("malformed ref advertisement line")
		}
		if name == "capabilities^{}" {
			continue
		}
		if base, ok := strings.CutSuffix(name, "^{}"); ok {
			c.peel(base, oid)
			continue
		}
		if err := c.add(oid, name, ""); err != nil {
			return nil, err
		}
	}
}

// skipV2Caps reads the rest of a version 2 capability advertisement (after "version 2").
func skipV2Caps(p *pktReader) error {
	for {
		_, kind, err := p.next()
		if err != nil {
			return err
		}
		if kind == pktFlush {
			return nil
		}
	}
}

// lsRefsRequest is a version 2 ls-refs command asking for HEAD, branches and tags.
func lsRefsRequest() []byte {
	var b []byte
	b = appendPkt(b, "command=ls-refs\n")
	b = append(b, delimPkt...)
	for _, arg := range []string{"peel", "symrefs", "ref-prefix HEAD", "ref-prefix refs/heads/", "ref-prefix refs/tags/"} {
		b = appendPkt(b, arg+"\n")
	}
	return append(b, flushPkt...)
}

// readLsRefs reads a version 2 ls-refs response up to its flush packet.
func readLsRefs(p *pktReader) (*ferry.RemoteInfo, error) {
	var c refCollector
	for {
		data, kind, err := p.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if kind == pktFlush || kind == pktEnd {
			return c.info(), nil
		}
		if kind < 0 {
			return nil, errors.New("unexpected special packet in ls-refs response")
		}
		fields := strings.Split(string(data), " ")
		if len(fields) < 2 {
			return nil, errors.New("malformed ls-refs line")
		}
		oid, name, peeled := fields[0], fields[1], ""
		for _, attr := range fields[2:] {
			if t, ok := strings.CutPrefix(attr, "symref-target:"); ok && name == "HEAD" {
				c.head = t
			}
			if t, ok := strings.CutPrefix(attr, "peeled:"); ok {
				peeled = t
			}
		}
		if name == "HEAD" || oid == "unborn" {
			continue
		}
		if err := c.add(oid, name, peeled); err != nil {
			return nil, err
		}
	}
}
