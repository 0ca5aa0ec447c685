package git

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Git's pkt-line framing: four hex digits of length (including themselves), then the data.
// Lengths 0000, 0001 and 0002 are the flush, delimiter and response-end packets.
const (
	pktFlush = -1
	pktDelim = -2
	pktEnd   = -3
)

// maxPktLen is the largest pkt-line Git sends.
const maxPktLen = 65520

// pktReader reads pkt-lines.
type pktReader struct {
	r   *bufio.Reader
	buf [maxPktLen]byte
}

func newPktReader(r io.Reader) *pktReader { return &pktReader{r: bufio.NewReaderSize(r, 64<<10)} }

// next returns the next packet's data without a trailing newline, or kind pktFlush,
// pktDelim or pktEnd (with nil data) for a special packet. kind is the data length otherwise.
// The data is valid until the next call.
func (p *pktReader) next() (data []byte, kind int, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("truncated pkt-line header")
		}
		return nil, 0, err
	}
	n, err := strconv.ParseUint(string(hdr[:]), 16, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("bad pkt-line header %q", hdr[:])
	}
	switch n {
	case 0:
		return nil, pktFlush, nil
	case 1:
		return nil, pktDelim, nil
	case 2:
		return nil, pktEnd, nil
	case 3:
		return nil, 0, errors.New("bad pkt-line length 3")
	}
	if n > maxPktLen {
		return nil, 0, fmt.Errorf("pkt-line of %d bytes is too long", n)
	}
	data = p.buf[:n-4]
	if _, err := io.ReadFull(p.r, data); err != nil {
		return nil, 0, fmt.Errorf("truncated pkt-line: %w", err)
	}
	if len(data) > 0 && data[len(data)-1] == '\n' {
		data = data[:len(data)-1]
	}
	if len(data) > 0 && data[0] == 3 { // band 3 / "ERR": an error message from the server
		return nil, 0, &remoteError{msg: string(data[1:])}
	}
	if s, ok := strings.CutPrefix(string(data), "ERR "); ok {
		return nil, 0, &remoteError{msg: s}
	}
	return data, len(data), nil
}

// remoteError is an error message the server sent in the protocol.
type remoteError struct{ msg string }

func (e *remoteError) Error() string { return "remote error: " + e.msg }

// appendPkt appends s as one pkt-line.
func appendPkt(b []byte, s string) []byte {
	b = fmt.Appendf(b, "%04x", len(s)+4)
	return append(b, s...)
}

// Special packets to append.
const (
	flushPkt = "0000"
	delimPkt = "0001"
)
